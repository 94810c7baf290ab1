-- Shared building blocks: the `private` schema for helpers that must not be
-- exposed as RPC endpoints, and the updated_at trigger function.

create schema if not exists private;
comment on schema private is
  'Helpers used by policies and triggers; never exposed through the Data API.';
-- Policies call the permission helpers as the caller, so the API roles need usage.
grant usage on schema private to anon, authenticated, service_role;

create or replace function private.set_updated_at()
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
