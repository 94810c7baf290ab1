-- Every table that hangs off a trip (bookings, itinerary, notes, attachments...)
-- follows the same access rule: read with any access to the trip, write with edit
-- access. One procedure writes those policies so the rule cannot drift per table.

create or replace function private.apply_trip_child_policies(p_table regclass)
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
