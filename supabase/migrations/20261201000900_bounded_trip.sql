-- GET /trips/:id answers in bounded size, out of the Data API's reach as a definer.
--
-- It returned every flight, stay and itinerary item of the trip: 1,500 items of 4.9 KB
-- made one response 8 MB and held the functions process at 888 MB. Now each collection
-- carries its first page (20 rows, in creation order like the list routes), `counts`
-- gives every collection's size, and `next_cursors` the cursor to continue with
-- GET /trips/:id/<collection> (null when the page holds everything). Collaborators are
-- bounded by their own limit (50) and stay whole.
--
-- public.get_trip was a SECURITY DEFINER function in `public`, executable by
-- `authenticated`, which Supabase's Security Advisor warns on (lints 0028/0029). The
-- body is now private.get_trip (it checks the caller's permission once, explicitly,
-- before any read); public.get_trip keeps its signature and answer, run as the caller.

-- The first page of one child collection, as {items, next_cursor}. Called by get_trip
-- (a definer, after its permission check); not callable by the API roles, since it
-- would answer for any trip id.
create or replace function private.trip_child_first_page(p_kind text, p_trip_id bigint, p_limit integer)
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

-- Security definer: the caller's permission is checked once, explicitly, before any
-- read; every read below is of that one trip's rows, and the profiles it returns (owner
-- and collaborators) are exactly those the profile policy lets a member of the trip see.
create or replace function private.get_trip(p_trip_id bigint)
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

create or replace function public.get_trip(p_trip_id bigint)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select private.get_trip(p_trip_id)
$$;
comment on function public.get_trip(bigint) is
  'GET /trips/:id: the trip with owner, collaborators, the first 20 flights, accommodations and '
  'itinerary items (creation order) with next_cursors to the rest, and counts of every child '
  'collection. P0002 when the caller cannot see it. Runs as the caller; private.get_trip checks '
  'the permission.';
revoke all on function public.get_trip(bigint) from public, anon;
grant execute on function public.get_trip(bigint) to authenticated, service_role;
