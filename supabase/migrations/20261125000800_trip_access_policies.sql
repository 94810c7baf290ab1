-- Row Level Security of profiles, trips and collaborators.
-- Owners do everything with their trips; collaborators with `view` read, `edit`
-- also update the trip, `admin` also manage collaborators (but never grant admin,
-- touch another admin's row, or change their own level); only the owner deletes a
-- trip; any collaborator may leave. Anonymous callers have no grants at all.

-- Profiles: your own, and those of people you share a trip with (read only).
create policy "users: read own and trip companions" on public.users
  for select to authenticated
  using (id = (select auth.uid()) or private.shares_trip_with(id));
create policy "users: update own" on public.users
  for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));

create policy "trips: read own and shared" on public.trips
  for select to authenticated
  using (user_id = (select auth.uid()) or private.can_view_trip(id));
create policy "trips: create own" on public.trips
  for insert to authenticated
  with check (user_id = (select auth.uid()));
create policy "trips: update as owner or editor" on public.trips
  for update to authenticated
  using (private.can_edit_trip(id))
  with check (private.can_edit_trip(id));
create policy "trips: delete as owner" on public.trips
  for delete to authenticated
  using (user_id = (select auth.uid()));

create policy "trip_collaborators: read on visible trips" on public.trip_collaborators
  for select to authenticated
  using (private.can_view_trip(trip_id));
create policy "trip_collaborators: add as owner or admin" on public.trip_collaborators
  for insert to authenticated
  with check (
    private.can_admin_trip(trip_id)
    and added_by = (select auth.uid())
    and user_id <> (select auth.uid())
    and user_id is distinct from private.trip_owner_id(trip_id)
    and (permission_level <> 'admin' or private.is_trip_owner(trip_id))
  );
create policy "trip_collaborators: change level as owner or admin" on public.trip_collaborators
  for update to authenticated
  using (
    private.is_trip_owner(trip_id)
    or (private.can_admin_trip(trip_id)
        and user_id <> (select auth.uid())
        and permission_level <> 'admin')
  )
  with check (
    private.is_trip_owner(trip_id)
    or (private.can_admin_trip(trip_id)
        and user_id <> (select auth.uid())
        and permission_level <> 'admin')
  );
create policy "trip_collaborators: remove as owner or admin, or leave" on public.trip_collaborators
  for delete to authenticated
  using (
    user_id = (select auth.uid())
    or private.is_trip_owner(trip_id)
    or (private.can_admin_trip(trip_id) and permission_level <> 'admin')
  );
