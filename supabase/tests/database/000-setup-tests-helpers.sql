-- Test helpers, installed by the tests themselves (never by a migration): create
-- users and switch the session to them, to anon or to service_role, the way
-- PostgREST and @supabase/server do (role + request.jwt.claims). Committed so the
-- numbered files after this one can use them; pg_prove runs files in name order.
begin;
select plan(1);

create schema if not exists tests;
grant usage on schema tests to anon, authenticated, service_role;

create or replace function tests.create_user(identifier text)
returns uuid
language sql
security definer
set search_path = ''
as $$
  insert into auth.users (instance_id, id, aud, role, email, email_confirmed_at,
                          raw_app_meta_data, raw_user_meta_data)
  values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated',
          'authenticated', identifier || '@test.local', now(),
          '{"provider":"email","providers":["email"]}', jsonb_build_object('name', identifier))
  on conflict (email) where email is not null do update set email = excluded.email
  returning id
$$;
comment on function tests.create_user(text) is 'Creates (or finds) the auth user <identifier>@test.local.';

create or replace function tests.get_user_id(identifier text)
returns uuid
language sql
stable
security definer
set search_path = ''
as $$
  select id from auth.users where email = identifier || '@test.local'
$$;
comment on function tests.get_user_id(text) is 'The id of a user made by tests.create_user.';

create or replace function tests.authenticate_as(identifier text)
returns void
language plpgsql
as $$
declare
  uid uuid := tests.get_user_id(identifier);
begin
  if uid is null then
    raise exception 'tests.authenticate_as: no test user %', identifier;
  end if;
  perform set_config('request.jwt.claims', json_build_object(
    'sub', uid, 'role', 'authenticated', 'aud', 'authenticated',
    'email', identifier || '@test.local')::text, true);
  set local role authenticated;
end
$$;
comment on function tests.authenticate_as(text) is 'Act as that user for the rest of the transaction.';

create or replace function tests.share_trip(p_trip_id bigint, identifier text, p_level text)
returns void
language plpgsql
as $$
declare
  sharer text := current_setting('request.jwt.claims', true);
  invitation jsonb := public.invite_to_trip(p_trip_id, identifier || '@test.local', p_level);
begin
  perform tests.authenticate_as(identifier);
  perform public.respond_to_trip_invitation((invitation ->> 'id')::bigint, true);
  perform set_config('request.jwt.claims', sharer, true);
end
$$;
comment on function tests.share_trip(bigint, text, text) is
  'The current user invites <identifier>, who accepts; then the current user acts again.';

create or replace function tests.authenticate_as_anon()
returns void
language plpgsql
as $$
begin
  perform set_config('request.jwt.claims', '{"role":"anon"}', true);
  set local role anon;
end
$$;
comment on function tests.authenticate_as_anon() is 'Act as an anonymous caller.';

create or replace function tests.authenticate_as_service_role()
returns void
language plpgsql
as $$
begin
  perform set_config('request.jwt.claims', '{"role":"service_role"}', true);
  set local role service_role;
end
$$;
comment on function tests.authenticate_as_service_role() is 'Act as the service role (bypasses RLS).';

create or replace function tests.clear_authentication()
returns void
language plpgsql
as $$
begin
  perform set_config('request.jwt.claims', null, true);
  reset role;
end
$$;
comment on function tests.clear_authentication() is 'Back to the superuser session.';

create or replace function tests.sync_memory_graphs()
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  r jsonb;
begin
  -- Asked again while pg_cron's every-minute run holds the sync's lock.
  loop
    r := private.sync_memory_graphs(null);
    exit when r ->> 'busy' is null;
    perform pg_catalog.pg_sleep(0.1);
  end loop;
  return r;
end
$$;
comment on function tests.sync_memory_graphs() is
  'private.sync_memory_graphs(null), waiting for a run that holds its lock. As the owner only.';

grant execute on all functions in schema tests to anon, authenticated, service_role;

select has_function('tests', 'authenticate_as', array['text'], 'test helpers are installed');
select * from finish();
commit;
