-- Table and index statistics out of reach of the API roles. Postgres lets every role
-- read pg_stat_user_tables and its kin (row counts, scans, last vacuum of every table)
-- and call the pg_stat_get_* functions behind them, so a signed-in user could watch
-- other users' activity (how many trips, keys or memories were just written). These
-- belong to the operator: service_role and pg_read_all_stats keep them. (pg_stats, the
-- planner's value samples, already hides tables with row level security.)
--
-- The catalog belongs to the bootstrap superuser. A local stack's migrations run as a
-- superuser and apply this; on hosted Supabase the postgres role does not own the
-- catalog, so the block says so and changes nothing (docs/reliability.md).

do $$
declare
  obj record;
begin
  if not (select rolsuper from pg_catalog.pg_roles where rolname = current_user) then
    raise notice 'statistics views left readable: % does not own pg_catalog', current_user;
    return;
  end if;
  for obj in
    select c.oid::regclass::text as name from pg_catalog.pg_class c
     where c.relnamespace = 'pg_catalog'::regnamespace and c.relkind = 'v'
       and c.relname ~ '^pg_stat(io)?_(all|user|sys|xact_all|xact_user|xact_sys)_(tables|indexes|sequences)$|^pg_stat(_xact)?_user_functions$'
  loop
    execute format('revoke select on %s from public', obj.name);
    execute format('grant select on %s to service_role, pg_read_all_stats', obj.name);
  end loop;
  -- The per-object functions (their first argument is a table, index or function oid).
  for obj in
    select p.oid::regprocedure::text as name from pg_catalog.pg_proc p
     where p.pronamespace = 'pg_catalog'::regnamespace
       and p.proname like 'pg\_stat\_get\_%'
       and p.pronargs = 1 and p.proargtypes[0] = 'oid'::regtype
       and p.proname not like 'pg\_stat\_get\_backend\_%'
       and p.proname not like 'pg\_stat\_get\_db\_%'
       and p.proname not like 'pg\_stat\_get\_subscription%'
  loop
    execute format('revoke execute on function %s from public', obj.name);
    execute format('grant execute on function %s to service_role, pg_read_all_stats', obj.name);
  end loop;
end
$$;
