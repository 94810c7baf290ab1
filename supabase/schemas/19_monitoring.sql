-- Operator views (slow statements, table sizes) in a schema of their own: everything in
-- `public` is served by the Data API, `monitoring` is not, and only service_role may read
-- it. The views are security_invoker: they run with the reader's rights, not the owner's.
create schema monitoring;
comment on schema monitoring is
  'Operator views (slow statements, table sizes): service_role only, never exposed by the Data API.';
revoke all on schema monitoring from public;
grant usage on schema monitoring to service_role;

create view monitoring.slow_queries
with (security_invoker = true)
as
select
  s.query,
  s.calls,
  s.total_exec_time,
  s.mean_exec_time,
  s.rows,
  100.0 * s.shared_blks_hit / nullif(s.shared_blks_hit + s.shared_blks_read, 0) as hit_percent
from extensions.pg_stat_statements s
where s.mean_exec_time > 100
order by s.mean_exec_time desc;
comment on view monitoring.slow_queries is
  'Statements averaging over 100 ms (pg_stat_statements, PG13+ *_exec_time columns).';

create view monitoring.table_sizes
with (security_invoker = true)
as
select
  n.nspname::text as schemaname,
  c.relname::text as tablename,
  c.reltuples::bigint as estimated_rows,
  pg_total_relation_size(c.oid) as total_bytes,
  pg_size_pretty(pg_total_relation_size(c.oid)) as size
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'public' and c.relkind in ('r', 'p')
order by pg_total_relation_size(c.oid) desc;
comment on view monitoring.table_sizes is 'Size on disk (with indexes and TOAST) of every public table.';

revoke all on monitoring.slow_queries, monitoring.table_sizes from public, anon, authenticated;
grant select on monitoring.slow_queries, monitoring.table_sizes to service_role;

-- pg_stat_statements holds the text and counts of every role's statements. The extension
-- grants its view and functions to PUBLIC; the API roles get nothing of it.
revoke all on extensions.pg_stat_statements, extensions.pg_stat_statements_info
  from public, anon, authenticated;
revoke all on function extensions.pg_stat_statements(boolean),
  extensions.pg_stat_statements_info(), extensions.pg_stat_statements_reset(oid, oid, bigint)
  from public, anon, authenticated;
grant select on extensions.pg_stat_statements, extensions.pg_stat_statements_info to service_role;
grant execute on function extensions.pg_stat_statements(boolean),
  extensions.pg_stat_statements_info() to service_role;

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
