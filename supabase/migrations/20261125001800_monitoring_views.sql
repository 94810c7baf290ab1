-- Monitoring views for operators (service_role only). security_invoker so they
-- run with the reader's rights instead of the view owner's.

create or replace view public.slow_queries
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
comment on view public.slow_queries is
  'Statements averaging over 100 ms (pg_stat_statements, PG13+ *_exec_time columns).';

create or replace view public.table_sizes
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
comment on view public.table_sizes is 'Size on disk (with indexes and TOAST) of every public table.';

revoke all on public.slow_queries, public.table_sizes from public, anon, authenticated;
grant select on public.slow_queries, public.table_sizes to service_role;
