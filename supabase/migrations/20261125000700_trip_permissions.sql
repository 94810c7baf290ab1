-- Who may do what with a trip, answered in one place. Policies of the trip and of
-- every child table call these helpers. They are security definer so that a policy
-- on trips can consult trip_collaborators (and the reverse) without the two tables'
-- policies calling each other: the guide's version recursed forever.
--
-- PL/pgSQL, not SQL: RLS calls them once per row, and a non-inlinable SQL function
-- (security definer, SET search_path) is planned again in every statement that
-- calls it (~0.2 ms a call). A PL/pgSQL function keeps its prepared plans for the
-- life of the connection, and the functions' pool keeps connections.
create or replace function private.trip_permission(p_trip_id bigint)
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
begin
  return (
    select case
      when t.user_id = uid then 'owner'
      else (select c.permission_level::text
              from public.trip_collaborators c
             where c.trip_id = t.id and c.user_id = uid)
    end
    from public.trips t
    where t.id = p_trip_id);
end
$$;
comment on function private.trip_permission(bigint) is
  'The caller''s level on a trip: owner, admin, edit, view, or null (no access or no trip).';

create or replace function private.can_view_trip(p_trip_id bigint)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return private.trip_permission(p_trip_id) is not null;
end
$$;
comment on function private.can_view_trip(bigint) is 'The caller may read the trip and its child rows.';

create or replace function private.can_edit_trip(p_trip_id bigint)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return coalesce(private.trip_permission(p_trip_id) in ('owner', 'admin', 'edit'), false);
end
$$;
comment on function private.can_edit_trip(bigint) is
  'The caller may update the trip and write its child rows (owner, admin, edit).';

create or replace function private.can_admin_trip(p_trip_id bigint)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return coalesce(private.trip_permission(p_trip_id) in ('owner', 'admin'), false);
end
$$;
comment on function private.can_admin_trip(bigint) is
  'The caller may manage the trip''s collaborators (owner, admin).';

create or replace function private.is_trip_owner(p_trip_id bigint)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (
    select 1 from public.trips t where t.id = p_trip_id and t.user_id = auth.uid());
end
$$;
comment on function private.is_trip_owner(bigint) is 'The caller owns the trip.';

create or replace function private.trip_owner_id(p_trip_id bigint)
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (select t.user_id from public.trips t where t.id = p_trip_id);
end
$$;
comment on function private.trip_owner_id(bigint) is
  'Owner of a trip, for checks that compare a collaborator with the owner.';

create or replace function private.shares_trip_with(p_user_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
begin
  -- A trip one of the two owns and the other collaborates on, or one both
  -- collaborate on; a user trivially shares their own trips with themselves.
  -- Separate branches so each one is an index lookup on a user id.
  return exists (
      select 1 from public.trips t
        join public.trip_collaborators c on c.trip_id = t.id
       where t.user_id = p_user_id and c.user_id = uid)
    or exists (
      select 1 from public.trips t
        join public.trip_collaborators c on c.trip_id = t.id
       where t.user_id = uid and c.user_id = p_user_id)
    or exists (
      select 1 from public.trip_collaborators a
        join public.trip_collaborators b on b.trip_id = a.trip_id
       where a.user_id = uid and b.user_id = p_user_id)
    or (p_user_id = uid and (
      exists (select 1 from public.trips t where t.user_id = uid)
      or exists (select 1 from public.trip_collaborators c where c.user_id = uid)));
end
$$;
comment on function private.shares_trip_with(uuid) is
  'The caller and that user are on a common trip, so they may see each other''s profile.';

revoke all on all functions in schema private from public;
grant execute on function
  private.trip_permission(bigint), private.can_view_trip(bigint), private.can_edit_trip(bigint),
  private.can_admin_trip(bigint), private.is_trip_owner(bigint), private.trip_owner_id(bigint),
  private.shares_trip_with(uuid)
  to authenticated, service_role;
