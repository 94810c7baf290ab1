-- Privileges are granted, never inherited. Every function states who may call it
-- (pgTAP 090 holds the whole matrix, for anon and authenticated, and fails on a
-- function it does not list). A hosted project with "default privileges for new
-- entities" enabled grants anon and authenticated everything on new objects in
-- public: that default is removed for objects our migrations create, and anon, which
-- this project grants nothing, loses whatever such a default gave it. (PUBLIC's own
-- EXECUTE default is global in Postgres and cannot be revoked per schema: each
-- migration revokes it per function.) And a helper no longer answers strangers.

alter default privileges in schema public revoke all on tables from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;
alter default privileges in schema public revoke all on functions from anon, authenticated;
revoke all on all tables in schema public from anon;
revoke all on all sequences in schema public from anon;
revoke all on all functions in schema public from anon;

-- Restated whole (was: the owner of any trip id, for anyone who asked). Policies of
-- trip_collaborators call it for trips the caller administers, so they see no change.
create or replace function private.trip_owner_id(p_trip_id bigint)
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if not private.can_view_trip(p_trip_id) then
    return null;
  end if;
  return (select t.user_id from public.trips t where t.id = p_trip_id);
end
$$;
comment on function private.trip_owner_id(bigint) is
  'Owner of a trip the caller can see (null otherwise), for checks that compare a '
  'collaborator with the owner.';
revoke all on function private.trip_owner_id(bigint) from public;
grant execute on function private.trip_owner_id(bigint) to authenticated, service_role;
