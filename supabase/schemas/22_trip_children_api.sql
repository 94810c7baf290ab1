-- RPCs for a trip's flights, accommodations and itinerary items. One set of
-- functions serves the three kinds: the kind picks the table and its writable
-- columns from a fixed list (never from the caller's text), the body is read
-- with jsonb_populate_record, and the table's CHECK constraints do the rest.
-- Security invoker: RLS decides; the explicit checks choose 404 versus 403.
create function private.trip_child_columns(p_kind text)
returns text[]
language plpgsql
immutable
set search_path = ''
as $$
begin
  return case p_kind
    when 'flights' then array['origin', 'destination', 'airline', 'flight_number', 'departure_time',
      'arrival_time', 'flight_class', 'price', 'currency', 'booking_status', 'booking_reference', 'metadata']
    when 'accommodations' then array['name', 'accommodation_type', 'address', 'check_in_date',
      'check_out_date', 'price_per_night', 'total_price', 'currency', 'rating', 'amenities',
      'booking_status', 'booking_reference', 'metadata']
    when 'itinerary_items' then array['title', 'description', 'item_type', 'item_date', 'start_time',
      'end_time', 'location', 'price', 'currency', 'booking_status', 'sort_order']
  end;
end
$$;
comment on function private.trip_child_columns(text) is
  'Writable columns of a trip child kind (flights, accommodations, itinerary_items); null if unknown.';
revoke all on function private.trip_child_columns(text) from public;
grant execute on function private.trip_child_columns(text) to authenticated, service_role;

create function private.trip_child_kind(p_kind text)
returns text[]
language plpgsql
stable
set search_path = ''
as $$
declare
  cols text[] := private.trip_child_columns(p_kind);
begin
  if cols is null then
    perform private.invalid('kind', 'must be one of flights, accommodations, itinerary_items');
  end if;
  return cols;
end
$$;
comment on function private.trip_child_kind(text) is 'Writable columns of the kind; 22023 if unknown.';
revoke all on function private.trip_child_kind(text) from public;
grant execute on function private.trip_child_kind(text) to authenticated, service_role;

-- The trip a child row belongs to, if the caller can see the row (RLS applies).
create function private.trip_of_child(p_kind text, p_id bigint)
returns bigint
language plpgsql
stable
set search_path = ''
as $$
declare
  trip bigint;
begin
  perform private.trip_child_kind(p_kind);
  execute format('select trip_id from public.%I where id = $1', p_kind) into trip using p_id;
  return trip;
end
$$;
comment on function private.trip_of_child(text, bigint) is 'trip_id of a visible child row, else null.';
revoke all on function private.trip_of_child(text, bigint) from public;
grant execute on function private.trip_of_child(text, bigint) to authenticated, service_role;

create function private.require_trip_edit(p_trip_id bigint)
returns void
language plpgsql
stable
set search_path = ''
as $$
declare
  perm text := private.trip_permission(p_trip_id);
begin
  if perm is null then
    raise exception using errcode = 'P0002', message = 'trip not found';
  elsif perm not in ('owner', 'admin', 'edit') then
    raise exception using errcode = '42501', message = 'you can view this trip but not change it';
  end if;
end
$$;
comment on function private.require_trip_edit(bigint) is
  'P0002 when the trip is invisible, 42501 when it is visible but read-only.';
revoke all on function private.require_trip_edit(bigint) from public;
grant execute on function private.require_trip_edit(bigint) to authenticated, service_role;

create function public.list_trip_children(
  p_trip_id bigint, p_kind text, p_limit integer default 50, p_cursor bigint default null)
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
  if p_limit is null or p_limit < 1 or p_limit > 100 then
    perform private.invalid('limit', 'must be between 1 and 100');
  end if;
  if not private.can_view_trip(p_trip_id) then
    raise exception using errcode = 'P0002', message = 'trip not found';
  end if;
  -- Keyset on id (creation order): stable across pages whatever is inserted meanwhile.
  execute format(
    'select coalesce(jsonb_agg(to_jsonb(x) order by x.id), ''[]''::jsonb), count(*)
       from (select * from public.%I
              where trip_id = $1 and ($2::bigint is null or id > $2)
              order by id limit $3 + 1) x', p_kind)
    into rows, n using p_trip_id, p_cursor, p_limit;
  if n > p_limit then
    rows := rows - p_limit;
    return jsonb_build_object('items', rows, 'next_cursor', (rows -> (p_limit - 1) ->> 'id'));
  end if;
  return jsonb_build_object('items', rows, 'next_cursor', null);
end
$$;
comment on function public.list_trip_children(bigint, text, integer, bigint) is
  'GET /trips/:id/{flights|accommodations|itinerary-items}: {items, next_cursor} in creation order.';
revoke all on function public.list_trip_children(bigint, text, integer, bigint) from public;
grant execute on function public.list_trip_children(bigint, text, integer, bigint) to authenticated;

create function public.create_trip_child(p_trip_id bigint, p_kind text, p_body jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  cols text[] := private.trip_child_kind(p_kind);
  given text[];
  result jsonb;
begin
  perform private.reject_unknown_fields(p_body, cols);
  perform private.require_trip_edit(p_trip_id);
  select array_agg(k) into given from jsonb_object_keys(p_body) k;
  if given is null then
    raise exception using errcode = '22023', message = 'the body names no field';
  end if;
  -- Only the fields sent are inserted, so column defaults apply to the rest.
  execute format(
    'insert into public.%1$I (trip_id, %2$s) select $1, %2$s from jsonb_populate_record(null::public.%1$I, $2)
     returning to_jsonb(%1$I.*)',
    p_kind, (select string_agg(format('%I', c), ', ') from unnest(given) c))
    into result using p_trip_id, p_body;
  return result;
end
$$;
comment on function public.create_trip_child(bigint, text, jsonb) is
  'POST /trips/:id/{kind}: adds a flight, accommodation or itinerary item (edit access).';
revoke all on function public.create_trip_child(bigint, text, jsonb) from public;
grant execute on function public.create_trip_child(bigint, text, jsonb) to authenticated;

create function public.update_trip_child(
  p_trip_id bigint, p_kind text, p_id bigint, p_patch jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  cols text[] := private.trip_child_kind(p_kind);
  trip bigint;
  result jsonb;
begin
  perform private.reject_unknown_fields(p_patch, cols);
  if p_patch = '{}'::jsonb then
    raise exception using errcode = '22023', message = 'the body names no field to change';
  end if;
  trip := private.trip_of_child(p_kind, p_id);
  if trip is distinct from p_trip_id then -- invisible, or on another trip than the URL says
    raise exception using errcode = 'P0002', message = replace(p_kind, '_', ' ') || ' not found';
  end if;
  perform private.require_trip_edit(trip);
  execute format(
    'update public.%1$I t set (%2$s) = (select %2$s from jsonb_populate_record(t, $2)) where t.id = $1
     returning to_jsonb(t.*)',
    p_kind,
    (select string_agg(format('%I', k), ', ') from jsonb_object_keys(p_patch) k))
    into result using p_id, p_patch;
  return result;
end
$$;
comment on function public.update_trip_child(bigint, text, bigint, jsonb) is
  'PATCH /trips/:id/{kind}/:childId: changes the fields present (edit access).';
revoke all on function public.update_trip_child(bigint, text, bigint, jsonb) from public;
grant execute on function public.update_trip_child(bigint, text, bigint, jsonb) to authenticated;

create function public.delete_trip_child(p_trip_id bigint, p_kind text, p_id bigint)
returns void
language plpgsql
set search_path = ''
as $$
declare
  trip bigint := private.trip_of_child(p_kind, p_id);
begin
  if trip is distinct from p_trip_id then -- invisible, or on another trip than the URL says
    raise exception using errcode = 'P0002', message = replace(p_kind, '_', ' ') || ' not found';
  end if;
  perform private.require_trip_edit(trip);
  execute format('delete from public.%I where id = $1', p_kind) using p_id;
end
$$;
comment on function public.delete_trip_child(bigint, text, bigint) is
  'DELETE /trips/:id/{kind}/:childId (edit access).';
revoke all on function public.delete_trip_child(bigint, text, bigint) from public;
grant execute on function public.delete_trip_child(bigint, text, bigint) to authenticated;
