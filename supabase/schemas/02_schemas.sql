-- Schemas and default privileges.
--
-- The `private` schema holds helpers, internal tables and the bodies of definer
-- functions: the Data API exposes only `public`, so nothing here is an endpoint.
create schema private;
comment on schema private is
  'Helpers used by policies and triggers; never exposed through the Data API.';
-- Policies call the permission helpers as the caller, so the API roles need usage.
grant usage on schema private to anon, authenticated, service_role;

create function private.set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;
comment on function private.set_updated_at() is
  'BEFORE UPDATE trigger: stamps updated_at with the transaction time.';
revoke all on function private.set_updated_at() from public;

-- Privileges are granted, never inherited. Every function states who may call it
-- (pgTAP 090 holds the whole matrix, for anon and authenticated, and fails on a
-- function it does not list). A hosted project with "default privileges for new
-- entities" enabled grants anon and authenticated everything on new objects in public:
-- that default is removed for the objects we create. (PUBLIC's own EXECUTE default is
-- global in Postgres and cannot be revoked per schema: each function revokes it.)
alter default privileges in schema public revoke all on tables from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;
alter default privileges in schema public revoke all on functions from anon, authenticated;
