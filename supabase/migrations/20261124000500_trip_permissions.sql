-- Who may do what with a trip, answered in one place. Policies of the trip and of
-- every child table call these helpers. They are security definer so that a policy
-- on trips can consult trip_collaborators (and the reverse) without the two tables'
-- policies calling each other: the guide's version recursed forever.

create or replace function private.trip_permission(p_trip_id bigint)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select case
    when t.user_id = (select auth.uid()) then 'owner'
    else (select c.permission_level
            from public.trip_collaborators c
           where c.trip_id = t.id and c.user_id = (select auth.uid()))
  end
  from public.trips t
  where t.id = p_trip_id
$$;
comment on function private.trip_permission(bigint) is
  'The caller''s level on a trip: owner, admin, edit, view, or null (no access or no trip).';

create or replace function private.can_view_trip(p_trip_id bigint)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select private.trip_permission(p_trip_id) is not null
$$;
comment on function private.can_view_trip(bigint) is 'The caller may read the trip and its child rows.';

create or replace function private.can_edit_trip(p_trip_id bigint)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(private.trip_permission(p_trip_id) in ('owner', 'admin', 'edit'), false)
$$;
comment on function private.can_edit_trip(bigint) is
  'The caller may update the trip and write its child rows (owner, admin, edit).';

create or replace function private.can_admin_trip(p_trip_id bigint)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(private.trip_permission(p_trip_id) in ('owner', 'admin'), false)
$$;
comment on function private.can_admin_trip(bigint) is
  'The caller may manage the trip''s collaborators (owner, admin).';

create or replace function private.is_trip_owner(p_trip_id bigint)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.trips t where t.id = p_trip_id and t.user_id = (select auth.uid())
  )
$$;
comment on function private.is_trip_owner(bigint) is 'The caller owns the trip.';

create or replace function private.trip_owner_id(p_trip_id bigint)
returns uuid
language sql
stable
security definer
set search_path = ''
as $$
  select t.user_id from public.trips t where t.id = p_trip_id
$$;
comment on function private.trip_owner_id(bigint) is
  'Owner of a trip, for checks that compare a collaborator with the owner.';

create or replace function private.shares_trip_with(p_user_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  -- p_user_id owns or collaborates on a trip the caller can see.
  select exists (
    select 1 from public.trips t
     where t.user_id = p_user_id and private.can_view_trip(t.id)
  ) or exists (
    select 1 from public.trip_collaborators c
     where c.user_id = p_user_id and private.can_view_trip(c.trip_id)
  )
$$;
comment on function private.shares_trip_with(uuid) is
  'The caller and that user are on a common trip, so they may see each other''s profile.';

revoke all on all functions in schema private from public;
grant execute on function
  private.trip_permission(bigint), private.can_view_trip(bigint), private.can_edit_trip(bigint),
  private.can_admin_trip(bigint), private.is_trip_owner(bigint), private.trip_owner_id(bigint),
  private.shares_trip_with(uuid)
  to authenticated, service_role;
