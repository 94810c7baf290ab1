-- list_trips through the indexes. Its "own or shared" filter was one OR over
-- public.trips, which Postgres can only answer with a scan of the whole table,
-- and RLS evaluated the read policy (private.can_view_trip, a query per row) on
-- every row of every user before that filter: GET /trips cost ~90 us per trip in
-- the database, 170 ms at 1,900 trips for a user who had none (found by the soak
-- script, see docs/reliability.md). Own trips now come from idx_trips_user_created
-- and shared ones from idx_trip_collaborators_user, so RLS sees the caller's rows only.

create or replace function public.list_trips(
  p_status text default null,
  p_trip_type text default null,
  p_destination text default null,
  p_start_from date default null,
  p_start_to date default null,
  p_sort text default '-created_at',
  p_limit integer default 20,
  p_cursor text default null)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  uid uuid := (select auth.uid());
  c jsonb;
  c_id bigint;
  c_date date;
  c_ts timestamptz;
  rows jsonb;
  n integer;
  last jsonb;
begin
  if p_limit is null or p_limit < 1 or p_limit > 100 then
    perform private.invalid('limit', 'must be between 1 and 100');
  end if;
  if p_sort is null or p_sort not in ('start_date', '-start_date', 'created_at', '-created_at') then
    perform private.invalid('sort', 'must be one of start_date, -start_date, created_at, -created_at');
  end if;
  if p_status is not null and p_status not in ('planning', 'booked', 'completed', 'canceled') then
    perform private.invalid('status', 'must be one of planning, booked, completed, canceled');
  end if;
  if p_trip_type is not null and p_trip_type not in ('leisure', 'business', 'family', 'solo', 'other') then
    perform private.invalid('trip_type', 'must be one of leisure, business, family, solo, other');
  end if;
  if p_cursor is not null then
    -- Cursors are opaque base64url JSON {"s": sort, "v": last sort value, "id": last id}.
    begin
      c := convert_from(decode(translate(p_cursor, '-_', '+/')
             || repeat('=', (4 - length(p_cursor) % 4) % 4), 'base64'), 'UTF8')::jsonb;
      c_id := (c ->> 'id')::bigint;
      if c ->> 's' is distinct from p_sort or c_id is null then raise exception 'mismatch'; end if;
      if p_sort like '%start_date' then c_date := (c ->> 'v')::date;
      else c_ts := (c ->> 'v')::timestamptz; end if;
    exception when others then
      perform private.invalid('cursor', 'is not a cursor of this listing (sort must stay the same)');
    end;
  end if;

  with visible as (
    -- Own trips, then trips shared with the caller (an owner is never their own
    -- collaborator, the second arm still says so); RLS re-checks every row.
    select t as trip, 'owner'::text as permission
      from public.trips t
     where t.user_id = uid
    union all
    select t, tc.permission_level
      from public.trip_collaborators tc
      join public.trips t on t.id = tc.trip_id
     where tc.user_id = uid and t.user_id <> uid
  ), filtered as (
    select v.trip, v.permission from visible v
     where (p_status is null or (v.trip).status = p_status)
       and (p_trip_type is null or (v.trip).trip_type = p_trip_type)
       and (p_destination is null or (v.trip).destination ilike
              '%' || replace(replace(replace(p_destination, '\', '\\'), '%', '\%'), '_', '\_') || '%')
       and (p_start_from is null or (v.trip).start_date >= p_start_from)
       and (p_start_to is null or (v.trip).start_date <= p_start_to)
       and (p_cursor is null
            or (p_sort = 'start_date' and ((v.trip).start_date, (v.trip).id) > (c_date, c_id))
            or (p_sort = '-start_date' and ((v.trip).start_date, (v.trip).id) < (c_date, c_id))
            or (p_sort = 'created_at' and ((v.trip).created_at, (v.trip).id) > (c_ts, c_id))
            or (p_sort = '-created_at' and ((v.trip).created_at, (v.trip).id) < (c_ts, c_id)))
  ), ordered as (
    select f.trip, f.permission, row_number() over (order by
             case when p_sort = 'start_date' then (f.trip).start_date end asc,
             case when p_sort = '-start_date' then (f.trip).start_date end desc,
             case when p_sort = 'created_at' then (f.trip).created_at end asc,
             case when p_sort = '-created_at' then (f.trip).created_at end desc,
             case when p_sort in ('start_date', 'created_at') then (f.trip).id end asc,
             case when p_sort in ('-start_date', '-created_at') then (f.trip).id end desc) as rn
      from filtered f
  )
  select coalesce(jsonb_agg(private.trip_json(o.trip, o.permission) order by o.rn), '[]'::jsonb),
         count(*)
    into rows, n
    from ordered o
   where o.rn <= p_limit + 1;

  if n > p_limit then
    rows := rows - p_limit; -- drop the look-ahead row
    last := rows -> (p_limit - 1);
    return jsonb_build_object('items', rows, 'next_cursor',
      rtrim(translate(encode(convert_to(jsonb_build_object(
        's', p_sort,
        'v', case when p_sort like '%start_date' then last ->> 'start_date' else last ->> 'created_at' end,
        'id', (last ->> 'id')::bigint)::text, 'UTF8'), 'base64'), E'+/\n', '-_'), '='));
  end if;
  return jsonb_build_object('items', rows, 'next_cursor', null);
end
$$;
comment on function public.list_trips(text, text, text, date, date, text, integer, text) is
  'GET /trips: own and shared trips, filtered, sorted (start_date|created_at, "-" = descending), '
  'keyset-paginated: {items, next_cursor}.';
