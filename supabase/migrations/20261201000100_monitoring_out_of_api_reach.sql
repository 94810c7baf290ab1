-- Operator statistics out of reach of the API roles. Everything in `public` is served
-- by the Data API, so the monitoring views move to a schema it does not expose, and
-- pg_stat_statements (the text and counts of every role's statements) is readable by
-- service_role only. The views stay security_invoker: they show the reader's rights.

create schema if not exists monitoring;
comment on schema monitoring is
  'Operator views (slow statements, table sizes): service_role only, never exposed by the Data API.';
revoke all on schema monitoring from public;
grant usage on schema monitoring to service_role;

alter view public.slow_queries set schema monitoring;
alter view public.table_sizes set schema monitoring;
revoke all on monitoring.slow_queries, monitoring.table_sizes
  from public, anon, authenticated, service_role;
grant select on monitoring.slow_queries, monitoring.table_sizes to service_role;

-- The extension grants its view and functions to PUBLIC; API roles get nothing of it.
revoke all on extensions.pg_stat_statements, extensions.pg_stat_statements_info
  from public, anon, authenticated;
revoke all on function extensions.pg_stat_statements(boolean),
  extensions.pg_stat_statements_info(), extensions.pg_stat_statements_reset(oid, oid, bigint)
  from public, anon, authenticated;
grant select on extensions.pg_stat_statements, extensions.pg_stat_statements_info to service_role;
grant execute on function extensions.pg_stat_statements(boolean),
  extensions.pg_stat_statements_info() to service_role;
