-- private.my_memory_graph in PL/pgSQL: the same answer, with its plan kept.
--
-- match_memories asks it for the caller's graph on every search above the exact limit.
-- As a security definer SQL function it could not be inlined, and PostgreSQL plans a
-- non-inlined SQL function's query again on every call: 0.21 ms a search, of which
-- 0.03 ms ran the query (pg_stat_statements, track = all, 400 searches of the
-- 100,000-row user). PL/pgSQL keeps the plan for the session.

-- Restated whole (stable, security definer, search_path, grants): the calling user's
-- graph for a model and how many rows that graph holds in all.
create or replace function private.my_memory_graph(p_model text)
returns table (graph smallint, graph_rows bigint)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query
  select a.graph,
         (select sum(c.n)::bigint from private.memory_ann_users o
            join private.memory_counts c on c.user_id = o.user_id and c.model = o.model
           where o.graph = a.graph)
    from private.memory_ann_users a
   where a.user_id = (select auth.uid()) and a.model = p_model;
end
$$;
comment on function private.my_memory_graph(text) is
  'The calling user''s HNSW graph for a model (no row: none) and the rows of every pair in it. '
  'Security definer: registrations and counts are private; only the caller''s own graph is '
  'named, and of the others only their total. PL/pgSQL so that its plan is kept.';
revoke all on function private.my_memory_graph(text) from public;
grant execute on function private.my_memory_graph(text) to authenticated, service_role;
