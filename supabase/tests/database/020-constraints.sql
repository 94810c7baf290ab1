-- Every CHECK, UNIQUE and FK rule of the data model, accepted and rejected.
-- Each case runs as the superuser in a subtransaction (rolled back) and names the
-- SQLSTATE it expects: null = accepted, 23514 check, 22P02 not a value of the column's enum, 23505 unique, 23503 FK, 23502 not null.
begin;

select tests.create_user('con_owner');
select tests.create_user('con_other');
create temporary table cfx (key text primary key, val text) on commit drop;
with t as (
  insert into public.trips (user_id, name, destination, start_date, end_date, budget)
  values (tests.get_user_id('con_owner'), 'Base', 'Paris', '2027-03-01', '2027-03-05', 500)
  returning id)
insert into cfx select 'trip', id::text from t;
insert into cfx values ('owner', tests.get_user_id('con_owner')::text),
                       ('other', tests.get_user_id('con_other')::text);
with s as (insert into public.chat_sessions (user_id) values (tests.get_user_id('con_owner')) returning id)
insert into cfx select 'session', id::text from s;

create temporary table cases (n serial, label text, sql text, expect text) on commit drop;
insert into cases (label, sql, expect) values
  -- trips: the guide's rules
  ('trip accepted', 'insert into public.trips (user_id, name, destination, start_date, end_date, budget) values (''{owner}'', ''T'', ''D'', ''2027-01-01'', ''2027-01-01'', 1)', null),
  ('trip end before start', 'insert into public.trips (user_id, name, destination, start_date, end_date, budget) values (''{owner}'', ''T'', ''D'', ''2027-01-02'', ''2027-01-01'', 1)', '23514'),
  ('trip zero travelers', 'insert into public.trips (user_id, name, destination, start_date, end_date, budget, travelers) values (''{owner}'', ''T'', ''D'', ''2027-01-01'', ''2027-01-02'', 1, 0)', '23514'),
  ('trip 101 travelers', 'insert into public.trips (user_id, name, destination, start_date, end_date, budget, travelers) values (''{owner}'', ''T'', ''D'', ''2027-01-01'', ''2027-01-02'', 1, 101)', '23514'),
  ('trip zero budget', 'insert into public.trips (user_id, name, destination, start_date, end_date, budget) values (''{owner}'', ''T'', ''D'', ''2027-01-01'', ''2027-01-02'', 0)', '23514'),
  ('trip unknown status', 'insert into public.trips (user_id, name, destination, start_date, end_date, budget, status) values (''{owner}'', ''T'', ''D'', ''2027-01-01'', ''2027-01-02'', 1, ''dreaming'')', '22P02'),
  ('trip each status', 'insert into public.trips (user_id, name, destination, start_date, end_date, budget, status) select ''{owner}'', ''T'', ''D'', ''2027-01-01'', ''2027-01-02'', 1, s from unnest(array[''planning'',''booked'',''completed'',''canceled'']::public.trip_status[]) s', null),
  ('trip unknown type', 'insert into public.trips (user_id, name, destination, start_date, end_date, budget, trip_type) values (''{owner}'', ''T'', ''D'', ''2027-01-01'', ''2027-01-02'', 1, ''space'')', '22P02'),
  ('trip each type', 'insert into public.trips (user_id, name, destination, start_date, end_date, budget, trip_type) select ''{owner}'', ''T'', ''D'', ''2027-01-01'', ''2027-01-02'', 1, s from unnest(array[''leisure'',''business'',''family'',''solo'',''other'']::public.trip_type[]) s', null),
  ('trip blank name', 'insert into public.trips (user_id, name, destination, start_date, end_date, budget) values (''{owner}'', ''  '', ''D'', ''2027-01-01'', ''2027-01-02'', 1)', '23514'),
  ('trip name over 200', 'insert into public.trips (user_id, name, destination, start_date, end_date, budget) values (''{owner}'', repeat(''n'', 201), ''D'', ''2027-01-01'', ''2027-01-02'', 1)', '23514'),
  ('trip bad currency', 'insert into public.trips (user_id, name, destination, start_date, end_date, budget, currency) values (''{owner}'', ''T'', ''D'', ''2027-01-01'', ''2027-01-02'', 1, ''eur'')', '23514'),
  ('trip flexibility not object', 'insert into public.trips (user_id, name, destination, start_date, end_date, budget, flexibility) values (''{owner}'', ''T'', ''D'', ''2027-01-01'', ''2027-01-02'', 1, ''[1]'')', '23514'),
  ('trip description over 5000', 'insert into public.trips (user_id, name, destination, start_date, end_date, budget, description) values (''{owner}'', ''T'', ''D'', ''2027-01-01'', ''2027-01-02'', 1, repeat(''d'', 5001))', '23514'),
  ('trip unknown owner', 'insert into public.trips (user_id, name, destination, start_date, end_date, budget) values (gen_random_uuid(), ''T'', ''D'', ''2027-01-01'', ''2027-01-02'', 1)', '23503'),
  ('trip without owner', 'insert into public.trips (name, destination, start_date, end_date, budget) values (''T'', ''D'', ''2027-01-01'', ''2027-01-02'', 1)', '23502'),
  -- collaborators
  ('collaborator accepted', 'insert into public.trip_collaborators (trip_id, user_id, permission_level) values ({trip}, ''{other}'', ''edit'')', null),
  ('collaborator twice', 'insert into public.trip_collaborators (trip_id, user_id, permission_level) values ({trip}, ''{other}'', ''view''), ({trip}, ''{other}'', ''edit'')', '23505'),
  ('collaborator bad level', 'insert into public.trip_collaborators (trip_id, user_id, permission_level) values ({trip}, ''{other}'', ''owner'')', '22P02'),
  ('collaborator unknown trip', 'insert into public.trip_collaborators (trip_id, user_id) values (-1, ''{other}'')', '23503'),
  -- flights
  ('flight accepted', 'insert into public.flights (trip_id, origin, destination, flight_number, departure_time, arrival_time, price) values ({trip}, ''CDG'', ''JFK'', ''AF22'', ''2027-03-01 10:00+00'', ''2027-03-01 18:00+00'', 0)', null),
  ('flight negative price', 'insert into public.flights (trip_id, origin, destination, departure_time, arrival_time, price) values ({trip}, ''CDG'', ''JFK'', ''2027-03-01 10:00+00'', ''2027-03-01 18:00+00'', -1)', '23514'),
  ('flight arrives before departure', 'insert into public.flights (trip_id, origin, destination, departure_time, arrival_time, price) values ({trip}, ''CDG'', ''JFK'', ''2027-03-01 10:00+00'', ''2027-03-01 09:00+00'', 1)', '23514'),
  ('flight same airports', 'insert into public.flights (trip_id, origin, destination, departure_time, arrival_time, price) values ({trip}, ''CDG'', ''CDG'', ''2027-03-01 10:00+00'', ''2027-03-01 11:00+00'', 1)', '23514'),
  ('flight bad IATA code', 'insert into public.flights (trip_id, origin, destination, departure_time, arrival_time, price) values ({trip}, ''Paris'', ''JFK'', ''2027-03-01 10:00+00'', ''2027-03-01 11:00+00'', 1)', '23514'),
  ('flight bad class', 'insert into public.flights (trip_id, origin, destination, departure_time, arrival_time, price, flight_class) values ({trip}, ''CDG'', ''JFK'', ''2027-03-01 10:00+00'', ''2027-03-01 11:00+00'', 1, ''cargo'')', '22P02'),
  ('flight each class', 'insert into public.flights (trip_id, origin, destination, departure_time, arrival_time, price, flight_class) select {trip}, ''CDG'', ''JFK'', ''2027-03-01 10:00+00'', ''2027-03-01 11:00+00'', 1, c from unnest(array[''economy'',''premium_economy'',''business'',''first'']::public.flight_class[]) c', null),
  ('flight bad booking status', 'insert into public.flights (trip_id, origin, destination, departure_time, arrival_time, price, booking_status) values ({trip}, ''CDG'', ''JFK'', ''2027-03-01 10:00+00'', ''2027-03-01 11:00+00'', 1, ''maybe'')', '22P02'),
  ('flight bad flight number', 'insert into public.flights (trip_id, origin, destination, departure_time, arrival_time, price, flight_number) values ({trip}, ''CDG'', ''JFK'', ''2027-03-01 10:00+00'', ''2027-03-01 11:00+00'', 1, ''not a flight'')', '23514'),
  ('flight unknown trip', 'insert into public.flights (trip_id, origin, destination, departure_time, arrival_time, price) values (-1, ''CDG'', ''JFK'', ''2027-03-01 10:00+00'', ''2027-03-01 11:00+00'', 1)', '23503'),
  -- accommodations
  ('stay accepted', 'insert into public.accommodations (trip_id, name, check_in_date, check_out_date, total_price, rating) values ({trip}, ''H'', ''2027-03-01'', ''2027-03-02'', 0, 5)', null),
  ('stay checkout same day', 'insert into public.accommodations (trip_id, name, check_in_date, check_out_date, total_price) values ({trip}, ''H'', ''2027-03-01'', ''2027-03-01'', 1)', '23514'),
  ('stay rating above 5', 'insert into public.accommodations (trip_id, name, check_in_date, check_out_date, total_price, rating) values ({trip}, ''H'', ''2027-03-01'', ''2027-03-02'', 1, 5.5)', '23514'),
  ('stay rating below 0', 'insert into public.accommodations (trip_id, name, check_in_date, check_out_date, total_price, rating) values ({trip}, ''H'', ''2027-03-01'', ''2027-03-02'', 1, -0.5)', '23514'),
  ('stay negative total', 'insert into public.accommodations (trip_id, name, check_in_date, check_out_date, total_price) values ({trip}, ''H'', ''2027-03-01'', ''2027-03-02'', -1)', '23514'),
  ('stay negative nightly', 'insert into public.accommodations (trip_id, name, check_in_date, check_out_date, total_price, price_per_night) values ({trip}, ''H'', ''2027-03-01'', ''2027-03-02'', 1, -1)', '23514'),
  ('stay bad type', 'insert into public.accommodations (trip_id, name, check_in_date, check_out_date, total_price, accommodation_type) values ({trip}, ''H'', ''2027-03-01'', ''2027-03-02'', 1, ''tent'')', '22P02'),
  -- transportation
  ('transport accepted', 'insert into public.transportation (trip_id, transport_type, origin, destination, departure_time, arrival_time) values ({trip}, ''car_rental'', ''a'', ''b'', ''2027-03-01 10:00+00'', ''2027-03-01 10:00+00'')', null),
  ('transport arrives before departure', 'insert into public.transportation (trip_id, transport_type, origin, destination, departure_time, arrival_time) values ({trip}, ''train'', ''a'', ''b'', ''2027-03-01 10:00+00'', ''2027-03-01 09:00+00'')', '23514'),
  ('transport bad type', 'insert into public.transportation (trip_id, transport_type, origin, destination, departure_time) values ({trip}, ''rocket'', ''a'', ''b'', ''2027-03-01 10:00+00'')', '22P02'),
  ('transport negative price', 'insert into public.transportation (trip_id, transport_type, origin, destination, departure_time, price) values ({trip}, ''bus'', ''a'', ''b'', ''2027-03-01 10:00+00'', -5)', '23514'),
  -- itinerary
  ('item accepted', 'insert into public.itinerary_items (trip_id, title, item_date, start_time, end_time) values ({trip}, ''Louvre'', ''2027-03-02'', ''09:00'', ''12:00'')', null),
  ('item ends before start', 'insert into public.itinerary_items (trip_id, title, item_date, start_time, end_time) values ({trip}, ''Louvre'', ''2027-03-02'', ''12:00'', ''09:00'')', '23514'),
  ('item negative price', 'insert into public.itinerary_items (trip_id, title, item_date, price) values ({trip}, ''Louvre'', ''2027-03-02'', -1)', '23514'),
  ('item bad type', 'insert into public.itinerary_items (trip_id, title, item_date, item_type) values ({trip}, ''Louvre'', ''2027-03-02'', ''nap'')', '22P02'),
  ('item blank title', 'insert into public.itinerary_items (trip_id, title, item_date) values ({trip}, '''', ''2027-03-02'')', '23514'),
  -- notes, options, comparisons, attachments
  ('note empty', 'insert into public.trip_notes (trip_id, user_id, content) values ({trip}, ''{owner}'', '' '')', '23514'),
  ('note over 10000', 'insert into public.trip_notes (trip_id, user_id, content) values ({trip}, ''{owner}'', repeat(''x'', 10001))', '23514'),
  ('option bad type', 'insert into public.saved_options (trip_id, user_id, option_type, option_data) values ({trip}, ''{owner}'', ''car'', ''{}'')', '22P02'),
  ('option data not object', 'insert into public.saved_options (trip_id, user_id, option_type, option_data) values ({trip}, ''{owner}'', ''flight'', ''"x"'')', '23514'),
  ('option negative price', 'insert into public.saved_options (trip_id, user_id, option_type, option_data, price) values ({trip}, ''{owner}'', ''flight'', ''{}'', -1)', '23514'),
  ('comparison not object', 'insert into public.trip_comparisons (trip_id, user_id, comparison_json) values ({trip}, ''{owner}'', ''[]'')', '23514'),
  ('attachment accepted', 'insert into public.file_attachments (trip_id, user_id, file_name, mime_type, file_size, storage_path) values ({trip}, ''{owner}'', ''a.pdf'', ''application/pdf'', 52428800, ''{owner}/1'')', null),
  ('attachment too large', 'insert into public.file_attachments (trip_id, user_id, file_name, mime_type, file_size, storage_path) values ({trip}, ''{owner}'', ''a.pdf'', ''application/pdf'', 52428801, ''{owner}/2'')', '23514'),
  ('attachment empty', 'insert into public.file_attachments (trip_id, user_id, file_name, mime_type, file_size, storage_path) values ({trip}, ''{owner}'', ''a.pdf'', ''application/pdf'', 0, ''{owner}/3'')', '23514'),
  ('attachment bad mime', 'insert into public.file_attachments (trip_id, user_id, file_name, mime_type, file_size, storage_path) values ({trip}, ''{owner}'', ''a.pdf'', ''pdf'', 1, ''{owner}/4'')', '23514'),
  ('attachment same path twice', 'insert into public.file_attachments (trip_id, user_id, file_name, mime_type, file_size, storage_path) values ({trip}, ''{owner}'', ''a'', ''text/plain'', 1, ''{owner}/5''), ({trip}, ''{owner}'', ''b'', ''text/plain'', 1, ''{owner}/5'')', '23505'),
  ('attachment bad status', 'insert into public.file_attachments (trip_id, user_id, file_name, mime_type, file_size, storage_path, upload_status) values ({trip}, ''{owner}'', ''a'', ''text/plain'', 1, ''{owner}/6'', ''lost'')', '22P02'),
  -- history
  ('price negative', 'insert into public.price_history (entity_type, entity_ref, price) values (''flight'', ''x'', -1)', '23514'),
  ('price bad entity', 'insert into public.price_history (entity_type, entity_ref, price) values (''cruise'', ''x'', 1)', '22P02'),
  ('search bad type', 'insert into public.search_history (user_id, search_type, search_params) values (''{owner}'', ''weather'', ''{}'')', '22P02'),
  ('search negative results', 'insert into public.search_history (user_id, search_type, search_params, results_count) values (''{owner}'', ''flight'', ''{}'', -1)', '23514'),
  -- chat
  ('message bad role', 'insert into public.chat_messages (session_id, role, content) values (''{session}'', ''robot'', ''x'')', '22P02'),
  ('message empty', 'insert into public.chat_messages (session_id, role, content) values (''{session}'', ''user'', '''')', '23514'),
  ('message over 32000', 'insert into public.chat_messages (session_id, role, content) values (''{session}'', ''user'', repeat(''x'', 32001))', '23514'),
  ('message unknown session', 'insert into public.chat_messages (session_id, role, content) values (gen_random_uuid(), ''user'', ''x'')', '23503'),
  -- memory
  ('memory bad source', 'insert into public.memory_embeddings (user_id, content_text, content_type, source) values (''{owner}'', ''x'', ''fact'', ''robot'')', '22P02'),
  ('memory accepted', 'insert into public.memory_embeddings (user_id, content_text, content_type) values (''{owner}'', ''same text'', ''fact'')', null),
  ('memory same text twice', 'insert into public.memory_embeddings (user_id, content_text, content_type) values (''{owner}'', ''same text'', ''fact''), (''{owner}'', ''same text'', ''note'')', '23505'),
  ('memory same text, other user', 'insert into public.memory_embeddings (user_id, content_text, content_type) values (''{owner}'', ''same text'', ''fact''), (''{other}'', ''same text'', ''fact'')', null),
  ('vector wrong dimensions', 'with m as (insert into public.memory_embeddings (user_id, content_text, content_type) values (''{owner}'', ''x'', ''fact'') returning id, user_id) insert into public.memory_vectors (id, user_id, embedding) select id, user_id, array_fill(0.1, array[3])::extensions.vector from m', '22000'),
  ('vector of another user''s memory', 'with m as (insert into public.memory_embeddings (user_id, content_text, content_type) values (''{owner}'', ''x'', ''fact'') returning id) insert into public.memory_vectors (id, user_id, embedding) select id, ''{other}'', array_fill(0.1, array[512])::extensions.vector from m', '23503'),
  ('memory bad type', 'insert into public.memory_embeddings (user_id, content_text, content_type) values (''{owner}'', ''x'', ''poem'')', '22P02'),
  -- api keys
  ('api key accepted', 'insert into public.api_keys (user_id, service_name, key_name, encrypted_value) values (''{owner}'', ''anthropic'', ''main'', ''v1.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA'')', null),
  ('api key unknown service', 'insert into public.api_keys (user_id, service_name, key_name, encrypted_value) values (''{owner}'', ''myspace'', ''main'', ''v1.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA'')', '22P02'),
  ('api key same name twice', 'insert into public.api_keys (user_id, service_name, key_name, encrypted_value) values (''{owner}'', ''openai'', ''main'', ''v1.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA''), (''{owner}'', ''openai'', ''main'', ''v1.k1.BBBBBBBBBBBBBBBB.BBBBBBBBBBBBBBBBBBBBBB'')', '23505'),
  ('api key negative usage', 'insert into public.api_keys (user_id, service_name, key_name, encrypted_value, usage_count) values (''{owner}'', ''openai'', ''x'', ''v1.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA'', -1)', '23514'),
  ('api key plaintext value', 'insert into public.api_keys (user_id, service_name, key_name, encrypted_value) values (''{owner}'', ''openai'', ''x'', ''sk-proj-abcdefghijklmnopqrstuvwxyz'')', '23514'),
  ('api key other version', 'insert into public.api_keys (user_id, service_name, key_name, encrypted_value) values (''{owner}'', ''openai'', ''x'', ''v2.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA'')', '23514'),
  ('api key short iv', 'insert into public.api_keys (user_id, service_name, key_name, encrypted_value) values (''{owner}'', ''openai'', ''x'', ''v1.k1.AAAA.AAAAAAAAAAAAAAAAAAAAAA'')', '23514'),
  ('api key no tag', 'insert into public.api_keys (user_id, service_name, key_name, encrypted_value) values (''{owner}'', ''openai'', ''x'', ''v1.k1.AAAAAAAAAAAAAAAA.AAAA'')', '23514'),
  ('api key padded base64', 'insert into public.api_keys (user_id, service_name, key_name, encrypted_value) values (''{owner}'', ''openai'', ''x'', ''v1.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA=='')', '23514'),
  ('api key long mask', 'insert into public.api_keys (user_id, service_name, key_name, encrypted_value, value_mask) values (''{owner}'', ''openai'', ''x'', ''v1.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA'', repeat(''x'', 25))', '23514'),
  ('api key rename keeping ciphertext', 'insert into public.api_keys (user_id, service_name, key_name, encrypted_value) values (''{owner}'', ''duffel'', ''a'', ''v1.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA''); update public.api_keys set key_name = ''b'' where key_name = ''a'' and service_name = ''duffel''', '22023'),
  ('api key rename with new ciphertext', 'insert into public.api_keys (user_id, service_name, key_name, encrypted_value) values (''{owner}'', ''duffel'', ''a'', ''v1.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA''); update public.api_keys set key_name = ''b'', encrypted_value = ''v1.k1.BBBBBBBBBBBBBBBB.BBBBBBBBBBBBBBBBBBBBBB'' where key_name = ''a'' and service_name = ''duffel''', null),
  -- profiles
  ('profile bad email', 'update public.users set email = ''not-an-email'' where id = ''{owner}''', '23514'),
  ('profile duplicate email', 'update public.users set email = ''CON_OTHER@test.local'' where id = ''{owner}''', '23505'),
  ('profile preferences not object', 'insert into public.user_preferences (user_id, preferences) values (''{owner}'', ''[]'')', '23514');

select plan((select count(*)::int from cases));

create or replace function pg_temp.sqlstate_of(p_sql text)
returns text
language plpgsql
as $$
declare
  sql text := p_sql;
  k record;
begin
  for k in select key, val from cfx loop
    sql := replace(sql, '{' || k.key || '}', k.val);
  end loop;
  begin
    execute sql;
    raise exception using errcode = 'CON01';
  exception
    when sqlstate 'CON01' then return null;
    when others then return sqlstate;
  end;
end
$$;

select is(pg_temp.sqlstate_of(sql), expect,
          label || coalesce(' is rejected (' || expect || ')', ' is accepted'))
  from cases order by n;

select * from finish();
rollback;
