-- The every-minute graph sync reads only the registered pairs' waiting rows again.
--
-- Since 20261125121700 the rows waiting for a graph are found through the partial
-- index `where graph is null`, which also holds every row of every user under the
-- exact limit (they never get a graph). Joined to the registered pairs in one
-- statement with `limit ... for update skip locked`, the planner expected the limit to
-- be reached early and scanned the whole table instead: at 992,000 rows (1.7 GiB) each
-- run took 4-10 s of one core, every minute, with nothing to do (cron.job_run_details
-- on the bench stack). The count of what is left merged the pairs with all 671,000
-- pending entries (0.14 s). Both now go pair by pair (LATERAL: a parameterized lookup
-- of the pending index per registered pair): 1 ms when nothing waits.
--
-- register_memory_graph_users called private.memory_exact_max_rows() once per row of
-- private.memory_counts (a non-inlinable function: 3 us each, 6 ms for 2,000 pairs);
-- it reads the limit once.

-- Restated whole (security invoker, search_path): the limit read once.
create or replace function private.register_memory_graph_users()
returns integer
language plpgsql
set search_path = ''
as $$
declare
  exact_max_rows constant integer := private.memory_exact_max_rows();
  pair record;
  registered integer := 0;
begin
  for pair in
    select c.user_id, c.model from private.memory_counts c
     where c.n > exact_max_rows
       and not exists (select 1 from private.memory_ann_users a
                        where a.user_id = c.user_id and a.model = c.model)
     order by c.n desc, c.user_id, c.model
  loop
    insert into private.memory_ann_users (user_id, model, graph)
    values (pair.user_id, pair.model, private.least_loaded_memory_graph())
    on conflict do nothing;
    registered := registered + 1;
  end loop;
  return registered;
end
$$;
comment on function private.register_memory_graph_users() is
  'Registers every (user, model) pair above the exact limit (private.memory_counts) in the '
  'least-loaded HNSW graph, largest pair first; returns how many were registered.';
revoke all on function private.register_memory_graph_users() from public;

-- Restated whole (security definer, search_path, grants): the waiting rows looked up
-- pair by pair.
create or replace function private.sync_memory_ann_index(p_max_rows integer default 5000)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  registered integer;
  flagged integer;
  pending bigint;
begin
  if p_max_rows is null or p_max_rows < 1 then
    perform private.invalid('max_rows', 'must be a positive number of rows');
  end if;
  registered := private.register_memory_graph_users();

  -- At most p_max_rows graph inserts per call (a few ms each on 2 cores, and as long
  -- a lock on those rows); rows a concurrent run holds are left to it. LATERAL keeps
  -- the lookup per pair: a LIMIT inside it cannot be flattened into a join.
  with todo as (
    select w.id, a.graph
      from private.memory_ann_users a
     cross join lateral (
       select e.id from public.memory_embeddings e
        where e.user_id = a.user_id and e.model = a.model and e.graph is null
        limit p_max_rows
          for update of e skip locked) w
     limit p_max_rows
  )
  update public.memory_embeddings e set graph = todo.graph
    from todo where e.id = todo.id;
  get diagnostics flagged = row_count;

  select coalesce(sum(w.n), 0) into pending
    from private.memory_ann_users a
   cross join lateral (
     select count(*) as n from public.memory_embeddings e
      where e.user_id = a.user_id and e.model = a.model and e.graph is null) w;
  return jsonb_build_object('pairs_registered', registered, 'rows_indexed', flagged,
                            'rows_pending', pending);
end
$$;
comment on function private.sync_memory_ann_index(integer) is
  'Registers the (user, model) pairs above the exact limit, each in the least-loaded HNSW '
  'graph, and adds up to p_max_rows of their rows to their graph, reading only those pairs'' '
  'waiting rows; returns the counts. pg_cron, every minute; after a bulk load run '
  'private.rebuild_memory_graphs() instead.';
revoke all on function private.sync_memory_ann_index(integer) from public;
grant execute on function private.sync_memory_ann_index(integer) to service_role;
