-- Trips, their collaborators and who may do what with a trip: the permission helpers,
-- the policies of trips, profiles and collaborators, the policy rule every trip child
-- table follows, and the trip with its first pages (GET /trips/:id).

-- Trips: the core planning object, owned by one user and shareable.
create table public.trips (
  id bigint generated always as identity primary key,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  name text not null check (char_length(btrim(name)) between 1 and 200),
  start_date date not null,
  end_date date not null,
  destination text not null check (char_length(btrim(destination)) between 1 and 200),
  budget numeric(14, 2) not null,
  currency char(3) not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
  travelers integer not null default 1,
  status public.trip_status not null default 'planning',
  trip_type public.trip_type not null default 'leisure',
  flexibility jsonb check (flexibility is null or jsonb_typeof(flexibility) = 'object'),
  description text check (char_length(description) <= 5000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint trips_date_check check (end_date >= start_date),
  constraint trips_travelers_check check (travelers between 1 and 100),
  constraint trips_budget_check check (budget > 0)
);
alter table public.trips enable row level security;
comment on table public.trips is 'Core trip information and planning details.';
comment on column public.trips.user_id is 'Owner: the only user who may delete the trip or grant admin.';
comment on column public.trips.budget is 'Total budget in currency units; must be positive.';
comment on column public.trips.currency is 'ISO 4217 code of budget.';
comment on column public.trips.flexibility is
  'Flexibility preferences (date ranges, budget flexibility) as a JSON object.';
grant select, insert, delete on public.trips to authenticated;
grant update (name, start_date, end_date, destination, budget, currency, travelers, status,
  trip_type, flexibility, description) on public.trips to authenticated;

create trigger trips_set_provenance
  before insert or update on public.trips
  for each row execute function private.set_provenance();
comment on trigger trips_set_provenance on public.trips is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';

-- Every query of trips names the owner first; these serve the list's filters and
-- sorts (status/start date) and its keyset pagination (created_at, id).
create index idx_trips_user_status_date on public.trips (user_id, status, start_date);

create index idx_trips_user_created on public.trips (user_id, created_at desc, id desc);

-- Partial index of the guide's "planning workflow": constant predicate, so valid.
create index idx_trips_planning_workflow on public.trips (user_id, status)
  where status in ('planning', 'booked');

create trigger trips_set_updated_at
  before update on public.trips
  for each row execute function private.set_updated_at();

create table public.trip_collaborators (
  id bigint generated always as identity primary key,
  trip_id bigint not null references public.trips (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  added_by uuid default auth.uid() references auth.users (id) on delete set null,
  permission_level public.trip_permission_level not null default 'view',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint trip_collaborators_trip_user_key unique (trip_id, user_id)
);
alter table public.trip_collaborators enable row level security;
comment on table public.trip_collaborators is
  'Users a trip is shared with, and what they may do: view, edit (also write), admin (also share).';
comment on column public.trip_collaborators.added_by is 'Who shared the trip with this user.';
grant select, delete on public.trip_collaborators to authenticated;
grant update (permission_level) on public.trip_collaborators to authenticated;

create trigger trip_collaborators_set_provenance
  before insert or update on public.trip_collaborators
  for each row execute function private.set_provenance('added_by');
comment on trigger trip_collaborators_set_provenance on public.trip_collaborators is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';
create trigger trip_collaborators_limit
  after insert on public.trip_collaborators referencing new table as new_rows
  for each statement execute function private.enforce_limit('trip_id', '50', '');
comment on trigger trip_collaborators_limit on public.trip_collaborators is 'At most 50 rows per trip_id (private.enforce_limit).';

create index idx_trip_collaborators_added_by on public.trip_collaborators (added_by);
comment on index public.idx_trip_collaborators_added_by is
  'Foreign key: deleting a user finds the memberships they granted.';

create index idx_trip_collaborators_user on public.trip_collaborators (user_id, trip_id);

create trigger trip_collaborators_set_updated_at
  before update on public.trip_collaborators
  for each row execute function private.set_updated_at();

-- Who may do what with a trip, answered in one place. Policies of the trip and of
-- every child table call these helpers. They are security definer so that a policy
-- on trips can consult trip_collaborators (and the reverse) without the two tables'
-- policies calling each other: the guide's version recursed forever.
--
-- PL/pgSQL, not SQL: RLS calls them once per row, and a non-inlinable SQL function
-- (security definer, SET search_path) is planned again in every statement that
-- calls it (~0.2 ms a call). A PL/pgSQL function keeps its prepared plans for the
-- life of the connection, and the functions' pool keeps connections.
create function private.trip_permission(p_trip_id bigint)
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
revoke all on function private.trip_permission(bigint) from public;
grant execute on function private.trip_permission(bigint) to authenticated, service_role;

create function private.can_view_trip(p_trip_id bigint)
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
revoke all on function private.can_view_trip(bigint) from public;
grant execute on function private.can_view_trip(bigint) to authenticated, service_role;

create function private.can_edit_trip(p_trip_id bigint)
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
revoke all on function private.can_edit_trip(bigint) from public;
grant execute on function private.can_edit_trip(bigint) to authenticated, service_role;

create function private.can_admin_trip(p_trip_id bigint)
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
revoke all on function private.can_admin_trip(bigint) from public;
grant execute on function private.can_admin_trip(bigint) to authenticated, service_role;

create function private.is_trip_owner(p_trip_id bigint)
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
revoke all on function private.is_trip_owner(bigint) from public;
grant execute on function private.is_trip_owner(bigint) to authenticated, service_role;

-- Answers only for trips the caller can see; the policies of trip_collaborators call it
-- for trips the caller administers.
create function private.trip_owner_id(p_trip_id bigint)
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

create function private.shares_trip_with(p_user_id uuid)
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
revoke all on function private.shares_trip_with(uuid) from public;
grant execute on function private.shares_trip_with(uuid) to authenticated, service_role;

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

-- Every table that hangs off a trip (bookings, itinerary, notes, attachments...)
-- follows the same access rule: read with any access to the trip, write with edit
-- access. One procedure writes those policies so the rule cannot drift per table.
create function private.apply_trip_child_policies(p_table regclass)
returns void
language plpgsql
set search_path = ''
as $$
declare
  t text := p_table::text;
  short text := (select c.relname from pg_catalog.pg_class c where c.oid = p_table);
begin
  execute format('alter table %s enable row level security', t);
  execute format(
    'create policy %I on %s for select to authenticated using (private.can_view_trip(trip_id))',
    short || ': read with trip access', t);
  execute format(
    'create policy %I on %s for insert to authenticated with check (private.can_edit_trip(trip_id))',
    short || ': add with edit access', t);
  execute format(
    'create policy %I on %s for update to authenticated using (private.can_edit_trip(trip_id)) '
    'with check (private.can_edit_trip(trip_id))',
    short || ': change with edit access', t);
  execute format(
    'create policy %I on %s for delete to authenticated using (private.can_edit_trip(trip_id))',
    short || ': delete with edit access', t);
  execute format('grant select, insert, update, delete on %s to authenticated', t);
  execute format('grant all on %s to service_role', t);
end
$$;
comment on function private.apply_trip_child_policies(regclass) is
  'Migration helper: enables RLS on a trip child table (with a trip_id column) and adds '
  'the standard policies: select with trip access, insert/update/delete with edit access.';
revoke all on function private.apply_trip_child_policies(regclass) from public;

-- GET /trips/:id answers in bounded size: each collection carries its first page (20
-- rows, in creation order like the list routes), `counts` gives every collection's
-- size, and `next_cursors` the cursor to continue with GET /trips/:id/<collection>
-- (null when the page holds everything). Collaborators are bounded by their own limit
-- (50) and stay whole. (Every row of a large trip made one response megabytes long.)

-- The first page of one child collection, as {items, next_cursor}. Called by get_trip
-- (a definer, after its permission check); not callable by the API roles, since it
-- would answer for any trip id.
create function private.trip_child_first_page(p_kind text, p_trip_id bigint, p_limit integer)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  rows jsonb;
  n integer;
begin
  perform private.trip_child_kind(p_kind);
  execute format(
    'select coalesce(jsonb_agg(to_jsonb(x) order by x.id), ''[]''::jsonb), count(*)
       from (select * from public.%I where trip_id = $1 order by id limit $2 + 1) x', p_kind)
    into rows, n using p_trip_id, p_limit;
  if n > p_limit then
    rows := rows - p_limit; -- drop the look-ahead row
    return jsonb_build_object('items', rows, 'next_cursor', (rows -> (p_limit - 1) ->> 'id'));
  end if;
  return jsonb_build_object('items', rows, 'next_cursor', null);
end
$$;
comment on function private.trip_child_first_page(text, bigint, integer) is
  'First p_limit rows of a trip''s child collection in id order, with the cursor to the rest '
  '(for get_trip, after its permission check).';
revoke all on function private.trip_child_first_page(text, bigint, integer) from public;
grant execute on function private.trip_child_first_page(text, bigint, integer) to service_role;

-- The body of GET /trips/:id, out of the Data API's reach: a SECURITY DEFINER function
-- in `public` would be an endpoint Supabase's Security Advisor warns on (lints
-- 0028/0029). public.get_trip (20_trips_api.sql) calls it as the caller.

-- Security definer: the caller's permission is checked once, explicitly, before any
-- read; every read below is of that one trip's rows, and the profiles it returns (owner
-- and collaborators) are exactly those the profile policy lets a member of the trip see.
create function private.get_trip(p_trip_id bigint)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  perm text := private.trip_permission(p_trip_id);
  page_size constant integer := 20;
  t public.trips;
  flights jsonb;
  stays jsonb;
  items jsonb;
begin
  select * into t from public.trips where id = p_trip_id;
  if perm is null or t.id is null then
    raise exception using errcode = 'P0002', message = 'trip not found';
  end if;
  flights := private.trip_child_first_page('flights', t.id, page_size);
  stays := private.trip_child_first_page('accommodations', t.id, page_size);
  items := private.trip_child_first_page('itinerary_items', t.id, page_size);
  return private.trip_json(t, perm) || jsonb_build_object(
    'owner', (select jsonb_build_object('user_id', u.id, 'email', u.email, 'name', u.name)
                from public.users u where u.id = t.user_id),
    'collaborators', coalesce((
      select jsonb_agg(jsonb_build_object(
               'user_id', c.user_id, 'email', u.email, 'name', u.name,
               'permission_level', c.permission_level, 'added_by', c.added_by,
               'created_at', c.created_at, 'updated_at', c.updated_at) order by c.created_at, c.id)
        from public.trip_collaborators c
        left join public.users u on u.id = c.user_id
       where c.trip_id = t.id), '[]'::jsonb),
    'flights', flights -> 'items',
    'accommodations', stays -> 'items',
    'itinerary_items', items -> 'items',
    'next_cursors', jsonb_build_object(
      'flights', flights -> 'next_cursor',
      'accommodations', stays -> 'next_cursor',
      'itinerary_items', items -> 'next_cursor'),
    'counts', jsonb_build_object(
      'collaborators', (select count(*) from public.trip_collaborators x where x.trip_id = t.id),
      'flights', (select count(*) from public.flights x where x.trip_id = t.id),
      'accommodations', (select count(*) from public.accommodations x where x.trip_id = t.id),
      'itinerary_items', (select count(*) from public.itinerary_items x where x.trip_id = t.id),
      'transportation', (select count(*) from public.transportation x where x.trip_id = t.id),
      'notes', (select count(*) from public.trip_notes x where x.trip_id = t.id),
      'saved_options', (select count(*) from public.saved_options x where x.trip_id = t.id),
      'comparisons', (select count(*) from public.trip_comparisons x where x.trip_id = t.id),
      'attachments', (select count(*) from public.file_attachments x where x.trip_id = t.id)));
end
$$;
comment on function private.get_trip(bigint) is
  'For public.get_trip: the trip with owner, collaborators, the first 20 flights, '
  'accommodations and itinerary items with next_cursors, and counts of every child '
  'collection. P0002 when the caller cannot see it; the permission is checked first.';
revoke all on function private.get_trip(bigint) from public;
grant execute on function private.get_trip(bigint) to authenticated, service_role;
