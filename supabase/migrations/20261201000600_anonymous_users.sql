-- What anonymous users (Supabase Auth's signInAnonymously: role authenticated,
-- is_anonymous true) may do: plan their own trips, bookings, chat and memories, like
-- any signed-in user, but not involve other people: they cannot share a trip (sharing
-- is for accounts with a verified identity) and are never found by email (they have
-- none). Storing provider keys is refused by the api-keys function (403). Everything
-- else they can reach is theirs alone, so RLS already confines it.

create or replace function private.is_anonymous()
returns boolean
language sql
stable
set search_path = ''
as $$
  select coalesce((auth.jwt() ->> 'is_anonymous')::boolean, false)
$$;
comment on function private.is_anonymous() is
  'The caller signed in anonymously (claim is_anonymous).';
revoke all on function private.is_anonymous() from public;
grant execute on function private.is_anonymous() to authenticated, service_role;

-- Restated whole with one more condition: the sharer is not anonymous.
drop policy "trip_collaborators: add as owner or admin" on public.trip_collaborators;
create policy "trip_collaborators: add as owner or admin, not anonymously" on public.trip_collaborators
  for insert to authenticated
  with check (
    not private.is_anonymous()
    and private.can_admin_trip(trip_id)
    and added_by = (select auth.uid())
    and user_id <> (select auth.uid())
    and user_id is distinct from private.trip_owner_id(trip_id)
    and (permission_level <> 'admin' or private.is_trip_owner(trip_id))
  );
