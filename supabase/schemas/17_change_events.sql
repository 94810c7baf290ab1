-- Change events. LISTEN/NOTIFY for server-side listeners (caches, collaboration UIs):
-- cache_invalidation: trips, flights, accommodations changed (guide's payload);
-- trip_collaboration: a collaborator was added, changed or removed. Notifications are
-- sent at commit, and only if the transaction commits. And each trip's changes on its
-- private Realtime topic `trip:<id>`, for the trip's members (below).
create function private.notify_cache_invalidation()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  rec record := case when tg_op = 'DELETE' then old else new end;
begin
  perform pg_catalog.pg_notify('cache_invalidation', pg_catalog.json_build_object(
    'event_type', 'cache_invalidation',
    'table_name', tg_table_name,
    'record_id', rec.id::text,
    'operation', tg_op,
    'timestamp', to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
  )::text);
  return null;
end
$$;
comment on function private.notify_cache_invalidation() is
  'AFTER row trigger: NOTIFY cache_invalidation with {event_type, table_name, record_id, operation, timestamp}.';
revoke all on function private.notify_cache_invalidation() from public;

create trigger trips_notify_cache_invalidation
  after insert or update or delete on public.trips
  for each row execute function private.notify_cache_invalidation();

create trigger flights_notify_cache_invalidation
  after insert or update or delete on public.flights
  for each row execute function private.notify_cache_invalidation();

create trigger accommodations_notify_cache_invalidation
  after insert or update or delete on public.accommodations
  for each row execute function private.notify_cache_invalidation();

create function private.notify_trip_collaboration()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  rec record := case when tg_op = 'DELETE' then old else new end;
begin
  perform pg_catalog.pg_notify('trip_collaboration', pg_catalog.json_build_object(
    'event_type', case tg_op
      when 'INSERT' then 'collaborator_added'
      when 'UPDATE' then 'collaborator_updated'
      else 'collaborator_removed' end,
    'trip_id', rec.trip_id,
    'user_id', rec.user_id,
    'permission_level', rec.permission_level,
    'previous_permission_level', case when tg_op = 'UPDATE' then old.permission_level end,
    'changed_by', (select auth.uid()),
    'timestamp', to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
  )::text);
  return null;
end
$$;
comment on function private.notify_trip_collaboration() is
  'AFTER row trigger: NOTIFY trip_collaboration with {event_type, trip_id, user_id, permission_level, ...}.';
revoke all on function private.notify_trip_collaboration() from public;

create trigger trip_collaborators_notify
  after insert or update or delete on public.trip_collaborators
  for each row execute function private.notify_trip_collaboration();

-- Live trip updates, the Supabase way: every change of a trip, of its child rows and of
-- its membership is broadcast from the database (Realtime's realtime.broadcast_changes)
-- on the private topic `trip:<id>`, and RLS on realtime.messages admits exactly the
-- trip's current members to that topic. A client subscribes with supabase-js:
--   supabase.channel('trip:1001', { config: { private: true } })
--     .on('broadcast', { event: '*' }, (m) => ...).subscribe()
-- The guide's NOTIFY channels (cache_invalidation, trip_collaboration) stay, for
-- server-side listeners.

-- The trip a topic names: `trip:<id>`, else null.
create function private.trip_of_topic(p_topic text)
returns bigint
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case when p_topic ~ '^trip:[1-9][0-9]{0,15}$' then substr(p_topic, 6)::bigint end
$$;
comment on function private.trip_of_topic(text) is
  'The trip id of a Realtime topic `trip:<id>`, or null for any other topic.';
revoke all on function private.trip_of_topic(text) from public;
grant execute on function private.trip_of_topic(text) to authenticated, service_role;

create policy "trip topics: received by the trip's members" on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension = 'broadcast'
    and private.can_view_trip(private.trip_of_topic((select realtime.topic())))
  );
comment on policy "trip topics: received by the trip's members" on realtime.messages is
  'A private channel `trip:<id>` admits the trip''s owner and current collaborators (checked by '
  'Realtime when a client joins). Clients cannot send on it: only the database broadcasts.';

-- Definer: the broadcast row is written whoever made the change (a collaborator's
-- edit, a cascade); it names only the changed row's trip.
create function private.broadcast_trip_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  changed jsonb := to_jsonb(coalesce(new, old));
  trip bigint := case when tg_table_name = 'trips' then (changed ->> 'id')::bigint
                      else (changed ->> 'trip_id')::bigint end;
begin
  perform realtime.broadcast_changes('trip:' || trip::text, tg_op, tg_op, tg_table_name,
                                     tg_table_schema, new, old);
  return null;
end
$$;
comment on function private.broadcast_trip_change() is
  'AFTER row trigger: broadcasts the change on the private Realtime topic trip:<id> '
  '(event INSERT, UPDATE or DELETE; payload {old_record, record, operation, table, schema}).';
revoke all on function private.broadcast_trip_change() from public;

create trigger trips_broadcast
  after insert or update or delete on public.trips
  for each row execute function private.broadcast_trip_change();
comment on trigger trips_broadcast on public.trips is
  'Broadcasts the change on the Realtime topic trip:<id> (private.broadcast_trip_change).';

create trigger trip_collaborators_broadcast
  after insert or update or delete on public.trip_collaborators
  for each row execute function private.broadcast_trip_change();
comment on trigger trip_collaborators_broadcast on public.trip_collaborators is
  'Broadcasts the change on the Realtime topic trip:<id> (private.broadcast_trip_change).';

create trigger flights_broadcast
  after insert or update or delete on public.flights
  for each row execute function private.broadcast_trip_change();
comment on trigger flights_broadcast on public.flights is
  'Broadcasts the change on the Realtime topic trip:<id> (private.broadcast_trip_change).';

create trigger accommodations_broadcast
  after insert or update or delete on public.accommodations
  for each row execute function private.broadcast_trip_change();
comment on trigger accommodations_broadcast on public.accommodations is
  'Broadcasts the change on the Realtime topic trip:<id> (private.broadcast_trip_change).';

create trigger transportation_broadcast
  after insert or update or delete on public.transportation
  for each row execute function private.broadcast_trip_change();
comment on trigger transportation_broadcast on public.transportation is
  'Broadcasts the change on the Realtime topic trip:<id> (private.broadcast_trip_change).';

create trigger itinerary_items_broadcast
  after insert or update or delete on public.itinerary_items
  for each row execute function private.broadcast_trip_change();
comment on trigger itinerary_items_broadcast on public.itinerary_items is
  'Broadcasts the change on the Realtime topic trip:<id> (private.broadcast_trip_change).';

create trigger trip_notes_broadcast
  after insert or update or delete on public.trip_notes
  for each row execute function private.broadcast_trip_change();
comment on trigger trip_notes_broadcast on public.trip_notes is
  'Broadcasts the change on the Realtime topic trip:<id> (private.broadcast_trip_change).';

create trigger saved_options_broadcast
  after insert or update or delete on public.saved_options
  for each row execute function private.broadcast_trip_change();
comment on trigger saved_options_broadcast on public.saved_options is
  'Broadcasts the change on the Realtime topic trip:<id> (private.broadcast_trip_change).';

create trigger trip_comparisons_broadcast
  after insert or update or delete on public.trip_comparisons
  for each row execute function private.broadcast_trip_change();
comment on trigger trip_comparisons_broadcast on public.trip_comparisons is
  'Broadcasts the change on the Realtime topic trip:<id> (private.broadcast_trip_change).';

create trigger file_attachments_broadcast
  after insert or update or delete on public.file_attachments
  for each row execute function private.broadcast_trip_change();
comment on trigger file_attachments_broadcast on public.file_attachments is
  'Broadcasts the change on the Realtime topic trip:<id> (private.broadcast_trip_change).';
