-- get_trip is security definer (one explicit permission check instead of RLS on
-- every row it reads): it must show a member exactly what RLS lets them read, and
-- nothing to anyone else.
begin;
select plan(14);

select tests.create_user(u) from unnest(array['gt_owner', 'gt_viewer', 'gt_stranger']) u;

select tests.authenticate_as('gt_owner');
create temporary table ids (k text primary key, v bigint) on commit drop;
grant all on ids to authenticated;
insert into ids values ('trip', (public.create_trip(
  '{"name":"Lisbon","destination":"Lisbon","start_date":"2027-05-01","end_date":"2027-05-04","budget":900}'
) ->> 'id')::bigint);
insert into ids values ('other', (public.create_trip(
  '{"name":"Porto","destination":"Porto","start_date":"2027-06-01","end_date":"2027-06-02","budget":300}'
) ->> 'id')::bigint);
select tests.share_trip((select v from ids where k = 'trip'), 'gt_viewer', 'view');
insert into public.flights (trip_id, origin, destination, airline, flight_number, departure_time,
                            arrival_time, flight_class, price, currency, booking_status)
select i.v, 'BER', 'LIS', 'TAP', case i.k when 'trip' then 'TP101' else 'TP202' end,
       '2027-05-01 08:00+00', '2027-05-01 11:30+00',
       'economy', 150, 'EUR', 'booked'
  from ids i;
insert into public.trip_notes (trip_id, user_id, content)
select v, tests.get_user_id('gt_owner'), 'note of ' || k from ids;

select tests.authenticate_as('gt_viewer');
select is(public.get_trip((select v from ids where k = 'trip')) ->> 'my_permission', 'view',
  'a viewer gets the trip');
select is(
  (select array_agg(f ->> 'flight_number') from jsonb_array_elements(
     public.get_trip((select v from ids where k = 'trip')) -> 'flights') f),
  (select array_agg(flight_number) from public.flights),
  'the viewer gets exactly the flights RLS lets them read (not the other trip''s)');
select is(
  (select array_agg(c ->> 'email' order by c ->> 'email') from jsonb_array_elements(
     public.get_trip((select v from ids where k = 'trip')) -> 'collaborators') c),
  (select array_agg(u.email::text order by u.email::text) from public.trip_collaborators tc
     join public.users u on u.id = tc.user_id),
  'and exactly the collaborator profiles RLS lets them read');
select is((public.get_trip((select v from ids where k = 'trip')) -> 'counts' ->> 'notes')::int,
  (select count(*)::int from public.trip_notes), 'counts match what RLS shows');
select throws_ok($$ select public.get_trip((select v from ids where k = 'other')) $$,
  'P0002', 'trip not found', 'a trip of the same owner not shared with them: not found');

select tests.authenticate_as('gt_stranger');
select throws_ok($$ select public.get_trip((select v from ids where k = 'trip')) $$,
  'P0002', 'trip not found', 'a stranger: not found');

-- Bounded: the first page of each collection, counts, and the cursor to the rest.
select tests.authenticate_as('gt_owner');
select public.create_trip_child((select v from ids where k = 'trip'), 'itinerary_items',
  jsonb_build_object('title', 'Stop ' || g, 'item_date', '2027-05-02'))
  from generate_series(1, 45) g;
create temporary table page on commit drop as
  select public.get_trip((select v from ids where k = 'trip')) as j;
select is(jsonb_array_length((select j -> 'itinerary_items' from page)), 20,
  'a trip with 45 itinerary items returns the first 20');
select is((select (j #>> '{counts,itinerary_items}')::int from page), 45, 'counts give the whole size');
select is((select (j #>> '{counts,flights}')::int from page), 1, 'of every collection');
select is((select j #> '{next_cursors,flights}' from page), 'null'::jsonb,
  'a collection that fits has no cursor');
select is(
  (select array_agg((x ->> 'id')::bigint order by (x ->> 'id')::bigint) from (
     select jsonb_array_elements(j -> 'itinerary_items') x from page
     union all
     select jsonb_array_elements(public.list_trip_children((select v from ids where k = 'trip'),
              'itinerary_items', 100, (select (j #>> '{next_cursors,itinerary_items}')::bigint from page)) -> 'items')
   ) s),
  (select array_agg(id order by id) from public.itinerary_items where trip_id = (select v from ids where k = 'trip')),
  'the cursor continues with the list route: every item once');

select tests.authenticate_as_anon();
select throws_ok($$ select public.get_trip(1) $$, '42501', null, 'anon cannot call it');

select tests.clear_authentication();
select is(
  (select not p.prosecdef and q.prosecdef and q.proconfig @> array['search_path=""']
     from pg_proc p, pg_proc q
    where p.oid = 'public.get_trip(bigint)'::regprocedure
      and q.oid = 'private.get_trip(bigint)'::regprocedure),
  true, 'the API function runs as the caller; its private half is a definer with an empty search_path');
select is(
  (select prosecdef from pg_proc where oid = 'private.trip_permission(bigint)'::regprocedure)
  and (select prolang = (select oid from pg_language where lanname = 'plpgsql') from pg_proc
        where oid = 'private.trip_permission(bigint)'::regprocedure),
  true, 'the permission helper is security definer PL/pgSQL (plans kept per connection)');

select * from finish();
rollback;
