-- Who wrote a row and when is set by the database for API roles (migration
-- ..._provenance_set_by_database): the attacks of a trip member through the Data API
-- (direct SQL as `authenticated`) fail.
begin;
select plan(20);

select tests.create_user(u) from unnest(array['prov_owner', 'prov_editor', 'prov_admin', 'prov_other']) u;
create temporary table ids (k text primary key, v text) on commit drop;
grant all on ids to authenticated;

select tests.authenticate_as('prov_owner');
insert into ids select 'trip', (public.create_trip(
  '{"name":"Prov","destination":"Rome","start_date":"2027-05-01","end_date":"2027-05-03","budget":100}') ->> 'id');
insert into ids select 'hidden', (public.create_trip(
  '{"name":"Hidden","destination":"Rome","start_date":"2027-05-01","end_date":"2027-05-03","budget":100}') ->> 'id');
select tests.share_trip((select v::bigint from ids where k = 'trip'), 'prov_editor', 'edit');
select tests.share_trip((select v::bigint from ids where k = 'trip'), 'prov_admin', 'admin');

-- A back-dated trip.
insert into public.trips (user_id, name, destination, start_date, end_date, budget, created_at, updated_at)
values (tests.get_user_id('prov_owner'), 'Old', 'Rome', '2027-01-01', '2027-01-02', 1, '2000-01-01', '2000-01-01');
select ok((select created_at > now() - interval '1 minute' and updated_at > now() - interval '1 minute'
             from public.trips where name = 'Old'), 'a client cannot back-date a trip');

select tests.authenticate_as('prov_editor');
-- A note "by the owner", back-dated.
insert into public.trip_notes (trip_id, user_id, content, created_at)
values ((select v::bigint from ids where k = 'trip'), tests.get_user_id('prov_owner'), 'forged', '2000-01-01');
select is((select user_id from public.trip_notes where content = 'forged'), tests.get_user_id('prov_editor'),
  'a note is the inserting member''s, whatever user_id it names');
select ok((select created_at > now() - interval '1 minute' from public.trip_notes where content = 'forged'),
  'and its created_at is now');
update public.trip_notes set user_id = tests.get_user_id('prov_owner'), created_at = '2001-01-01'
 where content = 'forged';
select is((select user_id from public.trip_notes where content = 'forged'), tests.get_user_id('prov_editor'),
  'an update cannot re-attribute it');
select ok((select created_at > now() - interval '1 minute' from public.trip_notes where content = 'forged'),
  'nor re-date it');
insert into public.saved_options (trip_id, user_id, option_type, option_data)
values ((select v::bigint from ids where k = 'trip'), tests.get_user_id('prov_owner'), 'flight', '{}');
select is((select user_id from public.saved_options where trip_id = (select v::bigint from ids where k = 'trip')),
  tests.get_user_id('prov_editor'), 'a saved option is the inserting member''s');
select throws_ok(format($$ insert into public.file_attachments (trip_id, file_name, mime_type, file_size, storage_path)
  values (%s, 'x.pdf', 'application/pdf', 1, '%s/x.pdf') $$, (select v from ids where k = 'trip'), tests.get_user_id('prov_owner')),
  '23514', null, 'an upload path under another user''s id is refused');
select lives_ok(format($$ insert into public.file_attachments (trip_id, file_name, mime_type, file_size, storage_path)
  values (%s, 'x.pdf', 'application/pdf', 1, '%s/x.pdf') $$, (select v from ids where k = 'trip'), tests.get_user_id('prov_editor')),
  'one under the uploader''s own id is accepted');

select tests.authenticate_as('prov_admin');
select throws_ok(format($$ insert into public.trip_collaborators (trip_id, user_id, added_by, permission_level)
  values (%s, '%s', '%s', 'view') $$, (select v from ids where k = 'trip'), tests.get_user_id('prov_other'),
  tests.get_user_id('prov_owner')), '42501', null, 'nobody adds a member directly, not even an admin');
select tests.share_trip((select v::bigint from ids where k = 'trip'), 'prov_other', 'view');
select is((select added_by from public.trip_collaborators
            where user_id = tests.get_user_id('prov_other')), tests.get_user_id('prov_admin'),
  'added_by is the admin who invited');

select tests.authenticate_as('prov_other');
select throws_ok(format($$ insert into public.chat_sessions (user_id, trip_id) values ('%s', %s) $$,
  tests.get_user_id('prov_other'), (select v from ids where k = 'hidden')),
  '42501', null, 'a chat session cannot point at a trip its owner cannot see');
select throws_ok(format($$ insert into public.chat_sessions (user_id, title, created_at) values ('%s', 'old', '2000-01-01') $$,
  tests.get_user_id('prov_other')), '42501', null, 'a session cannot be back-dated (its dates are not writable)');
insert into public.chat_sessions (user_id, trip_id, title)
values (tests.get_user_id('prov_other'), (select v::bigint from ids where k = 'trip'), 'mine');
select throws_ok($$ insert into public.chat_messages (session_id, role, content)
                    select id, 'user', 'hello' from public.chat_sessions where title = 'mine' $$,
  '42501', null, 'messages are written by the chat function only, never through the API');
select ok((select created_at > now() - interval '1 minute' and last_message_at is null
             from public.chat_sessions where title = 'mine'), 'a session''s dates are the database''s');

-- Co-members see each other's name and email, never preferences.
select tests.authenticate_as('prov_owner');
insert into public.user_preferences (preferences) values ('{"diet": "vegetarian"}');
select tests.authenticate_as('prov_editor');
select is((select name is not distinct from name from public.users where id = tests.get_user_id('prov_owner')),
  true, 'a co-member reads the owner''s profile (name, email)');
select is((select count(*)::int from public.user_preferences where user_id = tests.get_user_id('prov_owner')),
  0, 'but not the owner''s preferences');
select ok(not exists (select 1 from information_schema.columns
                       where table_schema = 'public' and table_name = 'users' and column_name ilike '%pref%'),
  'the profile row holds no preferences at all');
select tests.authenticate_as('prov_owner');
select is((select preferences ->> 'diet' from public.user_preferences), 'vegetarian',
  'the owner reads their own');

-- Anonymous users keep their own data but share nothing.
select tests.authenticate_as('prov_owner');
select set_config('request.jwt.claims',
  (current_setting('request.jwt.claims')::jsonb || '{"is_anonymous": true}')::text, true);
select throws_ok(format($$ select public.invite_to_trip(%s, 'someone@test.local', 'view') $$,
  (select v from ids where k = 'trip')), '42501', 'anonymous users cannot share trips',
  'an anonymous owner cannot share a trip');
select lives_ok($$ insert into public.trip_notes (trip_id, content) select v::bigint, 'anon note' from ids where k = 'trip' $$,
  'but still writes to their own trip');

select * from finish();
rollback;
