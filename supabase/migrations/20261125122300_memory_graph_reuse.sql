-- A graph given to a new pair gets an index fitted to what it holds.
--
-- Why: once every pair of a graph has left (its users deleted), the graph holds no rows and
-- is the least loaded, so the next pair to cross the exact limit is given it. Its table is
-- reused as it is: an IVFFlat graph kept the lists fitted to the rows that left, and the
-- new pair's rows went into whichever of those lists was nearest, searched with probes
-- worked out for the old lists, until the hourly private.refresh_memory_graph_indexes()
-- noticed that the graph had shrunk (up to an hour later).
--
-- How: private.create_memory_graph, which registration calls for the graph it gives a
-- pair, builds the index again when the graph's table is empty and its index is IVFFlat:
-- an empty table gets HNSW (private.create_memory_graph_index), at once, and the refresh
-- takes it to IVFFlat again when the new pair's rows reach that size.

-- Restated whole (security invoker, search_path): an empty graph with an IVFFlat index is
-- indexed again.
create or replace function private.create_memory_graph(p_graph integer)
returns void
language plpgsql
set search_path = ''
as $$
declare
  t constant text := 'memory_graph_' || p_graph;
  method text;
  empty boolean;
begin
  -- Checked first, not `if not exists`: a shared graph is asked for again, quietly.
  if pg_catalog.to_regclass(pg_catalog.format('private.%I', t)) is null then
    execute pg_catalog.format(
      'create table private.%I ('
      '  id uuid primary key,'
      '  embedding extensions.halfvec(512) not null)', t);
    execute pg_catalog.format('alter table private.%I alter column embedding set storage main', t);
    execute pg_catalog.format('alter table private.%I enable row level security', t);
    execute pg_catalog.format('revoke all on private.%I from public, anon, authenticated, service_role', t);
    execute pg_catalog.format('comment on table private.%I is %L', t,
      'Memory graph ' || p_graph || ': a copy of the id and embedding of the memories with graph = '
        || p_graph || ' (the pairs private.memory_ann_users gives it), kept by the triggers of '
        || 'public.memory_embeddings. Read by private.walk_my_memory_graph only.');
  end if;
  select i.method into method from private.memory_graph_indexes i where i.graph = p_graph;
  if method = 'ivfflat' then
    -- The lists of an empty IVFFlat graph were fitted to rows that have left.
    execute pg_catalog.format('select not exists (select 1 from private.%I)', t) into empty;
  end if;
  if method is null or empty then
    perform private.create_memory_graph_index(p_graph);
  end if;
end
$$;
comment on function private.create_memory_graph(integer) is
  'Creates graph p_graph''s table private.memory_graph_<p_graph> (id, embedding; RLS on, no '
  'grants) and its index (private.create_memory_graph_index) if they are missing, and indexes '
  'it again if it is empty and IVFFlat (lists fitted to rows that have left).';
revoke all on function private.create_memory_graph(integer) from public;
