-- RPCs behind the trips Edge Function: one call per request. All security invoker:
-- RLS decides what the caller sees and changes; the explicit permission checks only
-- turn "no rows" into the right error (404 when the trip is invisible, 403 when it is
-- visible but the action is not allowed). get_trip calls its body in `private`
-- (06_trips.sql), a definer that checks the caller's permission before any read.

-- The JSON shape of a trip in every response.
create function private.trip_json(t public.trips, p_permission text)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'id', t.id, 'user_id', t.user_id, 'name', t.name, 'destination', t.destination,
    'start_date', t.start_date, 'end_date', t.end_date, 'budget', t.budget,
    'currency', t.currency, 'travelers', t.travelers, 'status', t.status,
    'trip_type', t.trip_type, 'flexibility', t.flexibility, 'description', t.description,
    'created_at', t.created_at, 'updated_at', t.updated_at, 'my_permission', p_permission)
$$;
comment on function private.trip_json(public.trips, text) is 'A trip as the API returns it.';
revoke all on function private.trip_json(public.trips, text) from public;
grant execute on function private.trip_json(public.trips, text) to authenticated, service_role;

-- Reads and checks the writable fields of a trip body. p_partial: only the
-- fields present are read (PATCH); otherwise the required ones must be there.
create function private.trip_fields(p jsonb, p_partial boolean)
returns public.trips
language plpgsql
stable
set search_path = ''
as $$
declare
  t public.trips;
  req boolean := not p_partial;
  req_field text;
  budget numeric;
  currency text;
begin
  perform private.reject_unknown_fields(p, array['name', 'destination', 'start_date', 'end_date',
    'budget', 'currency', 'travelers', 'status', 'trip_type', 'flexibility', 'description']);
  if p_partial and p = '{}'::jsonb then
    raise exception using errcode = '22023', message = 'the body names no field to change';
  end if;
  t.name := btrim(private.text_field(p, 'name', req, 200));
  t.destination := btrim(private.text_field(p, 'destination', req, 200));
  t.start_date := private.date_field(p, 'start_date', req);
  t.end_date := private.date_field(p, 'end_date', req);
  -- Check precision before assigning: the numeric(14,2) column would round silently.
  budget := private.number_field(p, 'budget', req, 0, 999999999999.99, true); -- numeric(14,2)
  if budget is not null and budget <> round(budget, 2) then
    perform private.invalid('budget', 'must have at most 2 decimals');
  end if;
  t.budget := budget;
  currency := private.text_field(p, 'currency', false, 10);
  if currency is not null and currency !~ '^[A-Z]{3}$' then
    perform private.invalid('currency', 'must be a 3-letter ISO 4217 code such as EUR');
  end if;
  t.currency := currency;
  t.travelers := private.number_field(p, 'travelers', false, 1, 100, false, true);
  t.status := private.text_field(p, 'status', false, 20,
    pg_catalog.enum_range(null::public.trip_status)::text[])::public.trip_status;
  t.trip_type := private.text_field(p, 'trip_type', false, 20,
    pg_catalog.enum_range(null::public.trip_type)::text[])::public.trip_type;
  t.flexibility := private.object_field(p, 'flexibility');
  t.description := private.text_field(p, 'description', false, 5000);
  -- Required-ness of non-nullable optional fields when they are sent as null.
  foreach req_field in array array['name', 'destination', 'start_date', 'end_date', 'budget',
      'currency', 'travelers', 'status', 'trip_type'] loop
    if p ? req_field and jsonb_typeof(p -> req_field) = 'null' then
      perform private.invalid(req_field, 'must not be null');
    end if;
  end loop;
  return t;
end
$$;
comment on function private.trip_fields(jsonb, boolean) is
  'Validates a trip body (full for create, partial for update); raises 22023 naming the field.';
revoke all on function private.trip_fields(jsonb, boolean) from public;
grant execute on function private.trip_fields(jsonb, boolean) to authenticated, service_role;

create function public.create_trip(p_trip jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  f public.trips := private.trip_fields(p_trip, false);
  t public.trips;
begin
  if f.end_date < f.start_date then
    perform private.invalid('end_date', 'must not be before start_date');
  end if;
  insert into public.trips (user_id, name, destination, start_date, end_date, budget, currency,
                            travelers, status, trip_type, flexibility, description)
  values ((select auth.uid()), f.name, f.destination, f.start_date, f.end_date, f.budget,
          coalesce(f.currency, 'USD'), coalesce(f.travelers, 1), coalesce(f.status, 'planning'),
          coalesce(f.trip_type, 'leisure'), f.flexibility, f.description)
  returning * into t;
  return private.trip_json(t, 'owner');
end
$$;
comment on function public.create_trip(jsonb) is
  'POST /trips: creates a trip owned by the caller from a JSON body; returns it.';
revoke all on function public.create_trip(jsonb) from public;
grant execute on function public.create_trip(jsonb) to authenticated;

create function public.list_trips(
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
  perform private.check_one_of('status', p_status,
    pg_catalog.enum_range(null::public.trip_status)::text[]);
  perform private.check_one_of('trip_type', p_trip_type,
    pg_catalog.enum_range(null::public.trip_type)::text[]);
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
    select t, tc.permission_level::text
      from public.trip_collaborators tc
      join public.trips t on t.id = tc.trip_id
     where tc.user_id = uid and t.user_id <> uid
  ), filtered as (
    select v.trip, v.permission from visible v
     where (p_status is null or (v.trip).status = p_status::public.trip_status)
       and (p_trip_type is null or (v.trip).trip_type = p_trip_type::public.trip_type)
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
revoke all on function public.list_trips(text, text, text, date, date, text, integer, text) from
  public;
grant execute on function public.list_trips(text, text, text, date, date, text, integer, text)
  to authenticated;

create function public.get_trip(p_trip_id bigint)
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
revoke all on function public.get_trip(bigint) from public;
grant execute on function public.get_trip(bigint) to authenticated;

create function public.update_trip(p_trip_id bigint, p_patch jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  perm text := private.trip_permission(p_trip_id);
  f public.trips;
  t public.trips;
begin
  if perm is null then
    raise exception using errcode = 'P0002', message = 'trip not found';
  end if;
  f := private.trip_fields(p_patch, true);
  if perm not in ('owner', 'admin', 'edit') then
    raise exception using errcode = '42501', message = 'you can view this trip but not change it';
  end if;
  select * into t from public.trips x where x.id = p_trip_id;
  if coalesce(f.end_date, t.end_date) < coalesce(f.start_date, t.start_date) then
    perform private.invalid(case when p_patch ? 'end_date' then 'end_date' else 'start_date' end,
                            'would put end_date before start_date');
  end if;
  update public.trips x set
    name = coalesce(f.name, x.name),
    destination = coalesce(f.destination, x.destination),
    start_date = coalesce(f.start_date, x.start_date),
    end_date = coalesce(f.end_date, x.end_date),
    budget = coalesce(f.budget, x.budget),
    currency = coalesce(f.currency, x.currency),
    travelers = coalesce(f.travelers, x.travelers),
    status = coalesce(f.status, x.status),
    trip_type = coalesce(f.trip_type, x.trip_type),
    flexibility = case when p_patch ? 'flexibility' then f.flexibility else x.flexibility end,
    description = case when p_patch ? 'description' then f.description else x.description end
  where x.id = p_trip_id
  returning * into t;
  return private.trip_json(t, perm);
end
$$;
comment on function public.update_trip(bigint, jsonb) is
  'PATCH /trips/:id: changes the fields present in p_patch (owner, admin, edit); returns the trip.';
revoke all on function public.update_trip(bigint, jsonb) from public;
grant execute on function public.update_trip(bigint, jsonb) to authenticated;

create function public.delete_trip(p_trip_id bigint)
returns void
language plpgsql
set search_path = ''
as $$
declare
  perm text := private.trip_permission(p_trip_id);
begin
  if perm is null then
    raise exception using errcode = 'P0002', message = 'trip not found';
  elsif perm <> 'owner' then
    raise exception using errcode = '42501', message = 'only the owner can delete a trip';
  end if;
  delete from public.trips where id = p_trip_id;
end
$$;
comment on function public.delete_trip(bigint) is 'DELETE /trips/:id: owner only; children cascade.';
revoke all on function public.delete_trip(bigint) from public;
grant execute on function public.delete_trip(bigint) to authenticated;
