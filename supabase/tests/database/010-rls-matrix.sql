-- The RLS matrix: every public table x select/insert/update/delete x anon,
-- stranger, viewer, editor, admin, owner. Each line of `expectations` is one
-- table and operation; each column says whether that actor may do it. A test
-- checks that no table or operation is missing, so a gap is visible.
--
-- Every operation targets the OWNER's data (the owner's trip and its child rows,
-- the owner's private rows), runs as the actor in a subtransaction, and is rolled
-- back. "Allowed" means it succeeded and touched a row (select: saw the row).
begin;
select plan(508);

-- Fixture: a trip owned by `owner`, shared at each level; one row in every table.
select tests.create_user(u)
  from unnest(array['rls_owner', 'rls_viewer', 'rls_editor', 'rls_admin', 'rls_stranger', 'rls_newbie']) u;

create temporary table fx (key text primary key, val text) on commit drop;
grant select on fx to anon, authenticated;

with t as (
  insert into public.trips (user_id, name, destination, start_date, end_date, budget)
  values (tests.get_user_id('rls_owner'), 'Matrix trip', 'Oslo', '2027-01-01', '2027-01-05', 1000)
  returning id)
insert into fx select 'trip', id::text from t;

insert into public.trip_collaborators (trip_id, user_id, added_by, permission_level)
select (select val::bigint from fx where key = 'trip'), tests.get_user_id(u), tests.get_user_id('rls_owner'), lvl::public.trip_permission_level
  from (values ('rls_viewer', 'view'), ('rls_editor', 'edit'), ('rls_admin', 'admin')) v(u, lvl);

-- One child row per trip child table, ids recorded in fx.
do $$
declare
  trip bigint := (select val::bigint from fx where key = 'trip');
  owner uuid := tests.get_user_id('rls_owner');
  id_ text;
begin
  insert into public.flights (trip_id, origin, destination, departure_time, arrival_time, price)
  values (trip, 'OSL', 'BGO', '2027-01-01 08:00+00', '2027-01-01 09:00+00', 100) returning id into id_;
  insert into fx values ('flights', id_);
  insert into public.accommodations (trip_id, name, check_in_date, check_out_date, total_price)
  values (trip, 'Hotel', '2027-01-01', '2027-01-03', 300) returning id into id_;
  insert into fx values ('accommodations', id_);
  insert into public.transportation (trip_id, transport_type, origin, destination, departure_time)
  values (trip, 'train', 'Oslo S', 'Bergen', '2027-01-02 08:00+00') returning id into id_;
  insert into fx values ('transportation', id_);
  insert into public.itinerary_items (trip_id, title, item_date) values (trip, 'Museum', '2027-01-02')
  returning id into id_;
  insert into fx values ('itinerary_items', id_);
  insert into public.trip_notes (trip_id, user_id, content) values (trip, owner, 'note') returning id into id_;
  insert into fx values ('trip_notes', id_);
  insert into public.saved_options (trip_id, user_id, option_type, option_data)
  values (trip, owner, 'flight', '{"offer": 1}') returning id into id_;
  insert into fx values ('saved_options', id_);
  insert into public.trip_comparisons (trip_id, user_id, comparison_json)
  values (trip, owner, '{"a": 1}') returning id into id_;
  insert into fx values ('trip_comparisons', id_);
  insert into public.file_attachments (trip_id, user_id, file_name, mime_type, file_size, storage_path)
  values (trip, owner, 'ticket.pdf', 'application/pdf', 1000, owner || '/' || gen_random_uuid()) returning id into id_;
  insert into fx values ('file_attachments', id_);
  insert into public.price_history (entity_type, entity_ref, price) values ('flight', 'OSL-BGO', 99)
  returning id into id_;
  insert into fx values ('price_history', id_);
  insert into public.search_history (user_id, search_type, search_params)
  values (owner, 'flight', '{"to": "BGO"}') returning id into id_;
  insert into fx values ('search_history', id_);
  insert into public.chat_sessions (user_id, title) values (owner, 'chat') returning id into id_;
  insert into fx values ('chat_sessions', id_);
  insert into public.chat_messages (session_id, role, content) values (id_::uuid, 'user', 'hi')
  returning id into id_;
  insert into fx values ('chat_messages', id_);
  insert into public.memory_embeddings (user_id, content_text, content_type)
  values (owner, 'likes trains', 'preference')
  returning id into id_;
  insert into public.memory_vectors (id, user_id, embedding)
  values (id_::uuid, owner, array_fill(0.1, array[512])::extensions.vector);
  insert into fx values ('memory_embeddings', id_);
  insert into public.memory_embeddings (user_id, content_text, content_type)
  values (owner, 'likes boats', 'preference')
  returning id into id_;
  insert into fx values ('memory_without_vector', id_);
  insert into fx select 'memory_history', h.id::text from public.memory_history h where h.memory_id = id_::uuid;
  insert into public.api_keys (user_id, service_name, key_name, encrypted_value)
  values (owner, 'openai', 'main', 'v1.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA') returning id into id_;
  insert into fx values ('api_keys', id_);
  insert into public.user_preferences (user_id, preferences) values (owner, '{"seat": "aisle"}');
  insert into public.trip_invitations (trip_id, email, invited_by) values (trip, 'rls_newbie@test.local', owner)
  returning id into id_;
  insert into fx values ('trip_invitations', id_);
  insert into fx values ('owner', owner::text), ('viewer', tests.get_user_id('rls_viewer')::text),
                        ('newbie', tests.get_user_id('rls_newbie')::text);
end
$$;

-- What each operation runs; {key} is replaced by the fixture value.
create temporary table ops (tbl text, op text, sql text, primary key (tbl, op)) on commit drop;
insert into ops values
  ('users', 'select', 'select count(*) from public.users where id = ''{owner}'''),
  ('users', 'insert', 'insert into public.users (id, email) values (''{newbie}'', ''x@y.z'')'),
  ('users', 'update', 'update public.users set name = ''n'' where id = ''{owner}'''),
  ('users', 'delete', 'delete from public.users where id = ''{owner}'''),
  ('user_preferences', 'select', 'select count(*) from public.user_preferences where user_id = ''{owner}'''),
  ('user_preferences', 'insert', 'insert into public.user_preferences (user_id, preferences) values (''{viewer}'', ''{}'')'),
  ('user_preferences', 'update', 'update public.user_preferences set preferences = ''{"b": 2}'' where user_id = ''{owner}'''),
  ('user_preferences', 'delete', 'delete from public.user_preferences where user_id = ''{owner}'''),
  ('trips', 'select', 'select count(*) from public.trips where id = {trip}'),
  ('trips', 'insert', 'insert into public.trips (user_id, name, destination, start_date, end_date, budget) values (''{owner}'', ''t'', ''d'', ''2027-01-01'', ''2027-01-02'', 1)'),
  ('trips', 'update', 'update public.trips set name = ''renamed'' where id = {trip}'),
  ('trips', 'delete', 'delete from public.trips where id = {trip}'),
  ('trip_collaborators', 'select', 'select count(*) from public.trip_collaborators where trip_id = {trip}'),
  ('trip_collaborators', 'insert', 'insert into public.trip_collaborators (trip_id, user_id, added_by, permission_level) values ({trip}, ''{newbie}'', auth.uid(), ''view'')'),
  ('trip_collaborators', 'update', 'update public.trip_collaborators set permission_level = ''edit'' where trip_id = {trip} and user_id = ''{viewer}'''),
  ('trip_collaborators', 'delete', 'delete from public.trip_collaborators where trip_id = {trip} and user_id = ''{viewer}'''),
  ('trip_invitations', 'select', 'select count(*) from public.trip_invitations where id = {trip_invitations}'),
  ('trip_invitations', 'insert', 'insert into public.trip_invitations (trip_id, email, invited_by) values ({trip}, ''x@y.z'', auth.uid())'),
  ('trip_invitations', 'update', 'update public.trip_invitations set status = ''accepted'' where id = {trip_invitations}'),
  ('trip_invitations', 'delete', 'delete from public.trip_invitations where id = {trip_invitations}'),
  ('flights', 'select', 'select count(*) from public.flights where id = {flights}'),
  ('flights', 'insert', 'insert into public.flights (trip_id, origin, destination, departure_time, arrival_time, price) values ({trip}, ''BGO'', ''OSL'', ''2027-01-05 08:00+00'', ''2027-01-05 09:00+00'', 1)'),
  ('flights', 'update', 'update public.flights set price = 5 where id = {flights}'),
  ('flights', 'delete', 'delete from public.flights where id = {flights}'),
  ('accommodations', 'select', 'select count(*) from public.accommodations where id = {accommodations}'),
  ('accommodations', 'insert', 'insert into public.accommodations (trip_id, name, check_in_date, check_out_date, total_price) values ({trip}, ''B'', ''2027-01-03'', ''2027-01-05'', 1)'),
  ('accommodations', 'update', 'update public.accommodations set rating = 4 where id = {accommodations}'),
  ('accommodations', 'delete', 'delete from public.accommodations where id = {accommodations}'),
  ('transportation', 'select', 'select count(*) from public.transportation where id = {transportation}'),
  ('transportation', 'insert', 'insert into public.transportation (trip_id, transport_type, origin, destination, departure_time) values ({trip}, ''bus'', ''a'', ''b'', ''2027-01-03 08:00+00'')'),
  ('transportation', 'update', 'update public.transportation set price = 3 where id = {transportation}'),
  ('transportation', 'delete', 'delete from public.transportation where id = {transportation}'),
  ('itinerary_items', 'select', 'select count(*) from public.itinerary_items where id = {itinerary_items}'),
  ('itinerary_items', 'insert', 'insert into public.itinerary_items (trip_id, title, item_date) values ({trip}, ''Walk'', ''2027-01-03'')'),
  ('itinerary_items', 'update', 'update public.itinerary_items set title = ''Art'' where id = {itinerary_items}'),
  ('itinerary_items', 'delete', 'delete from public.itinerary_items where id = {itinerary_items}'),
  ('trip_notes', 'select', 'select count(*) from public.trip_notes where id = {trip_notes}'),
  ('trip_notes', 'insert', 'insert into public.trip_notes (trip_id, content) values ({trip}, ''more'')'),
  ('trip_notes', 'update', 'update public.trip_notes set content = ''edited'' where id = {trip_notes}'),
  ('trip_notes', 'delete', 'delete from public.trip_notes where id = {trip_notes}'),
  ('saved_options', 'select', 'select count(*) from public.saved_options where id = {saved_options}'),
  ('saved_options', 'insert', 'insert into public.saved_options (trip_id, option_type, option_data) values ({trip}, ''activity'', ''{}'')'),
  ('saved_options', 'update', 'update public.saved_options set notes = ''n'' where id = {saved_options}'),
  ('saved_options', 'delete', 'delete from public.saved_options where id = {saved_options}'),
  ('trip_comparisons', 'select', 'select count(*) from public.trip_comparisons where id = {trip_comparisons}'),
  ('trip_comparisons', 'insert', 'insert into public.trip_comparisons (trip_id, comparison_json) values ({trip}, ''{}'')'),
  ('trip_comparisons', 'update', 'update public.trip_comparisons set name = ''n'' where id = {trip_comparisons}'),
  ('trip_comparisons', 'delete', 'delete from public.trip_comparisons where id = {trip_comparisons}'),
  ('file_attachments', 'select', 'select count(*) from public.file_attachments where id = {file_attachments}'),
  ('file_attachments', 'insert', 'insert into public.file_attachments (trip_id, file_name, mime_type, file_size, storage_path) values ({trip}, ''f'', ''image/png'', 1, auth.uid() || ''/'' || gen_random_uuid())'),
  ('file_attachments', 'update', 'update public.file_attachments set upload_status = ''completed'' where id = {file_attachments}'),
  ('file_attachments', 'delete', 'delete from public.file_attachments where id = {file_attachments}'),
  ('price_history', 'select', 'select count(*) from public.price_history where id = {price_history}'),
  ('price_history', 'insert', 'insert into public.price_history (entity_type, entity_ref, price) values (''flight'', ''x'', 1)'),
  ('price_history', 'update', 'update public.price_history set price = 1 where id = {price_history}'),
  ('price_history', 'delete', 'delete from public.price_history where id = {price_history}'),
  ('search_history', 'select', 'select count(*) from public.search_history where id = {search_history}'),
  ('search_history', 'insert', 'insert into public.search_history (user_id, search_type, search_params) values (''{owner}'', ''flight'', ''{}'')'),
  ('search_history', 'update', 'update public.search_history set results_count = 1 where id = {search_history}'),
  ('search_history', 'delete', 'delete from public.search_history where id = {search_history}'),
  ('chat_sessions', 'select', 'select count(*) from public.chat_sessions where id = ''{chat_sessions}'''),
  ('chat_sessions', 'insert', 'insert into public.chat_sessions (user_id, title) values (''{owner}'', ''t'')'),
  ('chat_sessions', 'update', 'update public.chat_sessions set title = ''t2'' where id = ''{chat_sessions}'''),
  ('chat_sessions', 'delete', 'delete from public.chat_sessions where id = ''{chat_sessions}'''),
  ('chat_messages', 'select', 'select count(*) from public.chat_messages where id = {chat_messages}'),
  ('chat_messages', 'insert', 'insert into public.chat_messages (session_id, role, content) values (''{chat_sessions}'', ''user'', ''x'')'),
  ('chat_messages', 'update', 'update public.chat_messages set content = ''y'' where id = {chat_messages}'),
  ('chat_messages', 'delete', 'delete from public.chat_messages where id = {chat_messages}'),
  ('memory_history', 'select', 'select count(*) from public.memory_history where id = {memory_history}'),
  ('memory_history', 'insert', 'insert into public.memory_history (memory_id, user_id, event, actor) values (''{memory_embeddings}'', ''{owner}'', ''ADD'', ''user'')'),
  ('memory_history', 'update', 'update public.memory_history set new_memory = ''forged'' where id = {memory_history}'),
  ('memory_history', 'delete', 'delete from public.memory_history where id = {memory_history}'),
  ('memory_embeddings', 'select', 'select count(*) from public.memory_embeddings where id = ''{memory_embeddings}'''),
  ('memory_embeddings', 'insert', 'insert into public.memory_embeddings (user_id, content_text, content_type) values (''{owner}'', ''other text'', ''fact'')'),
  ('memory_vectors', 'select', 'select count(*) from public.memory_vectors where id = ''{memory_embeddings}'''),
  ('memory_vectors', 'insert', 'insert into public.memory_vectors (id, user_id, embedding) values (''{memory_without_vector}'', ''{owner}'', array_fill(0.2, array[512])::extensions.vector)'),
  ('memory_vectors', 'update', 'update public.memory_vectors set embedding = array_fill(0.3, array[512])::extensions.vector where id = ''{memory_embeddings}'''),
  ('memory_vectors', 'delete', 'delete from public.memory_vectors where id = ''{memory_embeddings}'''),
  ('memory_embeddings', 'update', 'update public.memory_embeddings set metadata = ''{"k": 1}'' where id = ''{memory_embeddings}'''),
  ('memory_embeddings', 'delete', 'delete from public.memory_embeddings where id = ''{memory_embeddings}'''),
  ('api_keys', 'select', 'select count(id) from public.api_keys where id = {api_keys}'),
  ('api_keys', 'insert', 'insert into public.api_keys (user_id, service_name, key_name, encrypted_value) values (''{owner}'', ''duffel'', ''k'', ''v1.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA'')'),
  ('api_keys', 'update', 'update public.api_keys set is_active = false where id = {api_keys}'),
  ('api_keys', 'delete', 'delete from public.api_keys where id = {api_keys}');

--                          anon   stranger viewer editor admin  owner
create temporary table expectations
  (tbl text, op text, anon bool, stranger bool, viewer bool, editor bool, admin bool, owner bool,
   primary key (tbl, op)) on commit drop;
insert into expectations values
  ('users',              'select', false, false, true,  true,  true,  true),
  ('users',              'insert', false, false, false, false, false, false),
  ('users',              'update', false, false, false, false, false, true),
  ('users',              'delete', false, false, false, false, false, false),
  -- preferences: the owner's only; a row can be created only for oneself (the viewer
  -- creating their own succeeds, everyone else creating one for the viewer is refused)
  ('user_preferences',   'select', false, false, false, false, false, true),
  ('user_preferences',   'insert', false, false, true,  false, false, false),
  ('user_preferences',   'update', false, false, false, false, false, true),
  ('user_preferences',   'delete', false, false, false, false, false, true),
  ('trips',              'select', false, false, true,  true,  true,  true),
  ('trips',              'insert', false, false, false, false, false, true),
  ('trips',              'update', false, false, false, true,  true,  true),
  ('trips',              'delete', false, false, false, false, false, true),
  ('trip_collaborators', 'select', false, false, true,  true,  true,  true),
  -- members join only by accepting an invitation (public.respond_to_trip_invitation)
  ('trip_collaborators', 'insert', false, false, false, false, false, false),
  ('trip_collaborators', 'update', false, false, false, false, true,  true),
  -- the target row is the viewer's own: a collaborator may always leave
  ('trip_collaborators', 'delete', false, false, true,  false, true,  true),
  -- invitations: the trip's admins read them (the invitee too: 040); RPCs write them
  ('trip_invitations',   'select', false, false, false, false, true,  true),
  ('trip_invitations',   'insert', false, false, false, false, false, false),
  ('trip_invitations',   'update', false, false, false, false, false, false),
  ('trip_invitations',   'delete', false, false, false, false, false, false),
  ('flights',            'select', false, false, true,  true,  true,  true),
  ('flights',            'insert', false, false, false, true,  true,  true),
  ('flights',            'update', false, false, false, true,  true,  true),
  ('flights',            'delete', false, false, false, true,  true,  true),
  ('accommodations',     'select', false, false, true,  true,  true,  true),
  ('accommodations',     'insert', false, false, false, true,  true,  true),
  ('accommodations',     'update', false, false, false, true,  true,  true),
  ('accommodations',     'delete', false, false, false, true,  true,  true),
  ('transportation',     'select', false, false, true,  true,  true,  true),
  ('transportation',     'insert', false, false, false, true,  true,  true),
  ('transportation',     'update', false, false, false, true,  true,  true),
  ('transportation',     'delete', false, false, false, true,  true,  true),
  ('itinerary_items',    'select', false, false, true,  true,  true,  true),
  ('itinerary_items',    'insert', false, false, false, true,  true,  true),
  ('itinerary_items',    'update', false, false, false, true,  true,  true),
  ('itinerary_items',    'delete', false, false, false, true,  true,  true),
  ('trip_notes',         'select', false, false, true,  true,  true,  true),
  ('trip_notes',         'insert', false, false, false, true,  true,  true),
  ('trip_notes',         'update', false, false, false, true,  true,  true),
  ('trip_notes',         'delete', false, false, false, true,  true,  true),
  ('saved_options',      'select', false, false, true,  true,  true,  true),
  ('saved_options',      'insert', false, false, false, true,  true,  true),
  ('saved_options',      'update', false, false, false, true,  true,  true),
  ('saved_options',      'delete', false, false, false, true,  true,  true),
  ('trip_comparisons',   'select', false, false, true,  true,  true,  true),
  ('trip_comparisons',   'insert', false, false, false, true,  true,  true),
  ('trip_comparisons',   'update', false, false, false, true,  true,  true),
  ('trip_comparisons',   'delete', false, false, false, true,  true,  true),
  ('file_attachments',   'select', false, false, true,  true,  true,  true),
  ('file_attachments',   'insert', false, false, false, true,  true,  true),
  ('file_attachments',   'update', false, false, false, true,  true,  true),
  ('file_attachments',   'delete', false, false, false, true,  true,  true),
  -- shared reference data: any signed-in user reads, only backend jobs write
  ('price_history',      'select', false, true,  true,  true,  true,  true),
  ('price_history',      'insert', false, false, false, false, false, false),
  ('price_history',      'update', false, false, false, false, false, false),
  ('price_history',      'delete', false, false, false, false, false, false),
  -- strictly the owner's; search history and messages are append-only
  ('search_history',     'select', false, false, false, false, false, true),
  ('search_history',     'insert', false, false, false, false, false, true),
  ('search_history',     'update', false, false, false, false, false, false),
  ('search_history',     'delete', false, false, false, false, false, true),
  -- chat: sessions the owner's; messages read-only (the chat function writes them)
  ('chat_sessions',      'select', false, false, false, false, false, true),
  ('chat_sessions',      'insert', false, false, false, false, false, true),
  ('chat_sessions',      'update', false, false, false, false, false, true),
  ('chat_sessions',      'delete', false, false, false, false, false, true),
  ('chat_messages',      'select', false, false, false, false, false, true),
  ('chat_messages',      'insert', false, false, false, false, false, false),
  ('chat_messages',      'update', false, false, false, false, false, false),
  ('chat_messages',      'delete', false, false, false, false, false, false),
  -- a memory's history: read by its owner, written only by the database
  ('memory_history',     'select', false, false, false, false, false, true),
  ('memory_history',     'insert', false, false, false, false, false, false),
  ('memory_history',     'update', false, false, false, false, false, false),
  ('memory_history',     'delete', false, false, false, false, false, false),
  ('memory_embeddings',  'select', false, false, false, false, false, true),
  ('memory_embeddings',  'insert', false, false, false, false, false, true),
  ('memory_embeddings',  'update', false, false, false, false, false, true),
  ('memory_embeddings',  'delete', false, false, false, false, false, true),
  -- a memory's vector: its owner's, like the memory
  ('memory_vectors',     'select', false, false, false, false, false, true),
  ('memory_vectors',     'insert', false, false, false, false, false, true),
  ('memory_vectors',     'update', false, false, false, false, false, true),
  ('memory_vectors',     'delete', false, false, false, false, false, true),
  ('api_keys',           'select', false, false, false, false, false, true),
  ('api_keys',           'insert', false, false, false, false, false, false),
  ('api_keys',           'update', false, false, false, false, false, true),
  ('api_keys',           'delete', false, false, false, false, false, true);

-- Runs one operation as one actor, rolled back; true when it was allowed.
-- Only a denial counts as "not allowed" (no grant, a policy refusing the row, or
-- a policy hiding it); any other error is a broken test and is re-raised.
create or replace function pg_temp.allowed(p_sql text, p_op text, p_actor text)
returns boolean
language plpgsql
as $$
declare
  n bigint;
  sql text := p_sql;
  k record;
begin
  for k in select key, val from fx loop
    sql := replace(sql, '{' || k.key || '}', k.val);
  end loop;
  begin
    if p_actor = 'anon' then
      perform tests.authenticate_as_anon();
    else
      perform tests.authenticate_as('rls_' || p_actor);
    end if;
    if p_op = 'select' then
      execute sql into n;
    else
      execute sql;
      get diagnostics n = row_count;
    end if;
    raise exception using errcode = 'RLS01', message = n::text; -- undo, report the count
  exception
    when sqlstate 'RLS01' then
      return sqlerrm::bigint > 0;
    when insufficient_privilege then
      return false; -- 42501: no grant, or "new row violates row-level security policy"
  end;
end
$$;

select set_eq(
  'select tablename::text from pg_tables where schemaname = ''public''',
  'select distinct tbl from expectations',
  'the matrix lists every public table'
);
select is(
  (select count(*)::int from expectations e
     join (values ('select'), ('insert'), ('update'), ('delete')) o(op) using (op)),
  (select count(distinct tbl)::int * 4 from expectations),
  'the matrix has all four operations for every table'
);
select is((select count(*)::int from ops), (select count(*)::int from expectations),
          'every matrix line has an operation to run');
select ok(
  (select bool_and(c.relrowsecurity) from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'r'),
  'RLS is enabled on every public table'
);

select is(
  pg_temp.allowed(o.sql, o.op, a.actor),
  case a.actor when 'anon' then e.anon when 'stranger' then e.stranger when 'viewer' then e.viewer
               when 'editor' then e.editor when 'admin' then e.admin else e.owner end,
  format('%s %s %s', a.actor, e.op, e.tbl)
)
from expectations e
join ops o using (tbl, op)
cross join (values (1, 'anon'), (2, 'stranger'), (3, 'viewer'), (4, 'editor'), (5, 'admin'), (6, 'owner'))
  a(ord, actor)
order by e.tbl, array_position(array['select', 'insert', 'update', 'delete'], e.op), a.ord;

select * from finish();
rollback;
