-- Development data: demo users (inserted into auth.users as Supabase seeds do; the
-- profile trigger creates their public.users rows), trips with bookings, one trip
-- shared with another user at each permission level (invitations they accepted), and
-- one invitation still waiting for its answer.
-- Tokens for these users: npm run -s token -- alice@example.com

insert into auth.users (instance_id, id, aud, role, email, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data)
values
  ('00000000-0000-0000-0000-000000000000', 'a11ce000-0000-4000-8000-000000000001', 'authenticated',
   'authenticated', 'alice@example.com', now(), '{"provider":"email","providers":["email"]}',
   '{"name":"Alice Traveler"}'),
  ('00000000-0000-0000-0000-000000000000', 'b0b00000-0000-4000-8000-000000000002', 'authenticated',
   'authenticated', 'bob@example.com', now(), '{"provider":"email","providers":["email"]}',
   '{"name":"Bob Viewer"}'),
  ('00000000-0000-0000-0000-000000000000', 'ca201000-0000-4000-8000-000000000003', 'authenticated',
   'authenticated', 'carol@example.com', now(), '{"provider":"email","providers":["email"]}',
   '{"name":"Carol Editor"}'),
  ('00000000-0000-0000-0000-000000000000', 'da7e0000-0000-4000-8000-000000000004', 'authenticated',
   'authenticated', 'dave@example.com', now(), '{"provider":"email","providers":["email"]}',
   '{"name":"Dave Admin"}')
on conflict do nothing;

insert into public.trips (id, user_id, name, destination, start_date, end_date, budget, currency,
                          travelers, status, trip_type, description)
overriding system value
values
  (1001, 'a11ce000-0000-4000-8000-000000000001', 'Cherry blossoms in Kyoto', 'Kyoto, Japan',
   '2027-04-01', '2027-04-10', 4500, 'USD', 2, 'planning', 'leisure', 'Temples, gardens, ramen.'),
  (1002, 'a11ce000-0000-4000-8000-000000000001', 'Lisbon offsite', 'Lisbon, Portugal',
   '2027-06-14', '2027-06-18', 2800, 'EUR', 1, 'booked', 'business', null),
  (1003, 'b0b00000-0000-4000-8000-000000000002', 'Alps ski week', 'Chamonix, France',
   '2027-01-20', '2027-01-27', 3200, 'EUR', 4, 'planning', 'family', null)
on conflict do nothing;
-- Keep identity values clear of the fixed ids above.
select setval(pg_get_serial_sequence('public.trips', 'id'), greatest(1003, (select max(id) from public.trips)));

insert into public.flights (trip_id, origin, destination, airline, flight_number, departure_time,
                            arrival_time, flight_class, price, currency, booking_status)
values
  (1001, 'SFO', 'KIX', 'Japan Airlines', 'JL1', '2027-04-01 11:00+00', '2027-04-02 02:00+00',
   'economy', 1240.00, 'USD', 'booked'),
  (1001, 'KIX', 'SFO', 'Japan Airlines', 'JL2', '2027-04-10 08:00+00', '2027-04-10 18:30+00',
   'economy', 1180.00, 'USD', 'saved'),
  (1002, 'JFK', 'LIS', 'TAP Air Portugal', 'TP202', '2027-06-13 22:00+00', '2027-06-14 09:40+00',
   'business', 2100.00, 'EUR', 'booked');

insert into public.accommodations (trip_id, name, accommodation_type, address, check_in_date,
                                   check_out_date, price_per_night, total_price, currency, rating,
                                   amenities, booking_status)
values
  (1001, 'Gion Ryokan', 'guesthouse', 'Higashiyama-ku, Kyoto', '2027-04-02', '2027-04-10',
   180, 1440, 'USD', 4.7, '{onsen,breakfast}', 'booked'),
  (1002, 'Baixa Suites', 'hotel', 'Rua Augusta, Lisbon', '2027-06-14', '2027-06-18',
   210, 840, 'EUR', 4.3, '{wifi,gym}', 'booked');

insert into public.itinerary_items (trip_id, title, item_type, item_date, start_time, end_time,
                                    location, price, currency, sort_order)
values
  (1001, 'Fushimi Inari at dawn', 'activity', '2027-04-03', '06:00', '09:00', 'Fushimi Inari Taisha', 0, 'USD', 1),
  (1001, 'Nishiki Market lunch', 'meal', '2027-04-03', '12:00', '13:30', 'Nishiki Market', 40, 'USD', 2),
  (1002, 'Team dinner', 'meal', '2027-06-15', '19:30', '22:00', 'Time Out Market', 300, 'EUR', 1);

insert into public.transportation (trip_id, transport_type, provider, origin, destination,
                                   departure_time, arrival_time, price, currency, booking_status)
values
  (1001, 'train', 'JR West', 'Kansai Airport', 'Kyoto Station', '2027-04-02 03:00+00',
   '2027-04-02 04:20+00', 25, 'USD', 'booked');

-- Alice's Kyoto trip is shared at every level: Bob, Carol and Dave each accepted an
-- invitation (rows as public.respond_to_trip_invitation leaves them).
insert into public.trip_invitations (trip_id, email, permission_level, invited_by, status, responded_at)
select 1001, v.email, v.lvl::public.trip_permission_level, 'a11ce000-0000-4000-8000-000000000001',
       'accepted', now()
  from (values ('bob@example.com', 'view'), ('carol@example.com', 'edit'), ('dave@example.com', 'admin')) v(email, lvl)
 where not exists (select 1 from public.trip_invitations i where i.trip_id = 1001 and i.email = v.email);
insert into public.trip_collaborators (trip_id, user_id, added_by, permission_level)
values
  (1001, 'b0b00000-0000-4000-8000-000000000002', 'a11ce000-0000-4000-8000-000000000001', 'view'),
  (1001, 'ca201000-0000-4000-8000-000000000003', 'a11ce000-0000-4000-8000-000000000001', 'edit'),
  (1001, 'da7e0000-0000-4000-8000-000000000004', 'a11ce000-0000-4000-8000-000000000001', 'admin')
on conflict do nothing;

-- Alice has invited Bob to her Lisbon offsite: he finds it in GET /trips/invitations
-- and accepts or declines it (README, "Share a trip").
insert into public.trip_invitations (trip_id, email, permission_level, invited_by)
select 1002, 'bob@example.com', 'edit', 'a11ce000-0000-4000-8000-000000000001'
 where not exists (select 1 from public.trip_invitations i where i.trip_id = 1002 and i.status = 'pending');

insert into public.trip_notes (trip_id, user_id, content)
values (1001, 'ca201000-0000-4000-8000-000000000003', 'Book the tea ceremony two weeks ahead.');

insert into public.chat_sessions (id, user_id, trip_id, title)
values ('c4a70000-0000-4000-8000-000000000001', 'a11ce000-0000-4000-8000-000000000001', 1001, 'Kyoto ideas')
on conflict do nothing;
insert into public.chat_messages (session_id, role, content)
values
  ('c4a70000-0000-4000-8000-000000000001', 'user', 'Where should we eat near Gion?'),
  ('c4a70000-0000-4000-8000-000000000001', 'assistant', 'Try the kaiseki places along Hanamikoji.');

insert into public.price_history (entity_type, entity_ref, price, currency, "timestamp")
values
  ('flight', 'SFO-KIX-2027-04-01', 1320, 'USD', now() - interval '14 days'),
  ('flight', 'SFO-KIX-2027-04-01', 1240, 'USD', now() - interval '2 days');
