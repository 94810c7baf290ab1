-- LISTEN/NOTIFY events for caches and collaboration UIs.
-- cache_invalidation: trips, flights, accommodations changed (guide's payload).
-- trip_collaboration: a collaborator was added, changed or removed.
-- Notifications are sent at commit, and only if the transaction commits.

create or replace function private.notify_cache_invalidation()
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

create or replace function private.notify_trip_collaboration()
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
