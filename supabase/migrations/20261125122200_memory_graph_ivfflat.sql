-- Graphs of 50,000 rows and more get an IVFFlat index instead of HNSW.
--
-- Why: a walk of the 100,000-row user's HNSW graph (ef_search 290) had a p95 of 35-39
-- ms at 4 clients on 2 cores, against a target of 30 (docs/benchmarks.md, "A table per
-- graph"). Its tail is a few hard queries that visit far more of the graph than the
-- median one; an IVFFlat scan reads a fixed number of lists, so its cost hardly varies:
-- in one pgbench run beside an HNSW twin of that user, p95 at 4 clients 0.71-0.74 of
-- HNSW's at the same median, recall@10 0.998 over 400 queries (docs/benchmarks.md,
-- "IVFFlat for graphs of 50,000 rows and more").
--
-- How: private.memory_graph_indexes records which index each graph has and what it was
-- built for. private.create_memory_graph_index builds the index that fits the rows the
-- graph's table holds: HNSW below private.memory_ivfflat_min_rows(), IVFFlat with
-- sqrt(rows) lists above (k-means centres fitted to those rows), and drops the graph's
-- previous index once the new one exists. IVFFlat's centres and lists do not follow
-- later inserts, so private.refresh_memory_graph_indexes(), hourly (pg_cron
-- `memory-graph-indexes`), builds again a graph whose index no longer fits: an HNSW
-- graph that reached the IVFFlat size, an IVFFlat graph whose rows doubled or halved
-- since its build (HNSW again if it is then below the IVFFlat size), one graph a run.
-- The walk sets the IVFFlat settings from the graph's lists: ivfflat.probes as
-- measured for recall (see the walk), the iterative scan for filtered and shared walks,
-- and at most as many lists as the HNSW walk's 100,000 tuples.
--
-- Upgrade: the graphs' HNSW indexes are recorded, then every graph at or above the
-- IVFFlat size is built again as IVFFlat (a few seconds a graph; the owner's writes
-- wait for the graph being built).

-- Which index each graph has.
create table private.memory_graph_indexes (
  graph smallint primary key check (graph >= 1),
  method text not null check (method in ('hnsw', 'ivfflat')),
  lists integer check ((method = 'ivfflat') = (lists is not null) and lists >= 1),
  built_rows bigint not null check (built_rows >= 0),
  built_at timestamptz not null default pg_catalog.now()
);
alter table private.memory_graph_indexes enable row level security;
revoke all on private.memory_graph_indexes from public, anon, authenticated, service_role;
comment on table private.memory_graph_indexes is
  'The index of each memory graph (private.memory_graph_<graph>): HNSW or IVFFlat, the '
  'IVFFlat''s lists, and how many rows the table held when it was built. Written by '
  'private.create_memory_graph_index only.';
comment on column private.memory_graph_indexes.graph is 'The graph: private.memory_graph_<graph>.';
comment on column private.memory_graph_indexes.method is
  'hnsw (private.memory_graph_<graph>_hnsw) or ivfflat (private.memory_graph_<graph>_ivfflat).';
comment on column private.memory_graph_indexes.lists is 'The IVFFlat index''s lists; null for HNSW.';
comment on column private.memory_graph_indexes.built_rows is 'Rows in the graph''s table when its index was built.';
comment on column private.memory_graph_indexes.built_at is 'When the graph''s index was built.';

-- The graphs as they are: HNSW, built for the rows they hold now.
do $$
declare
  g record;
  n bigint;
begin
  for g in
    select substring(c.relname from '^memory_graph_([0-9]+)$')::smallint as graph, c.relname
      from pg_catalog.pg_class c join pg_catalog.pg_namespace s on s.oid = c.relnamespace
     where s.nspname = 'private' and c.relkind = 'r' and c.relname ~ '^memory_graph_[0-9]+$'
  loop
    execute pg_catalog.format('select count(*) from private.%I', g.relname) into n;
    insert into private.memory_graph_indexes (graph, method, lists, built_rows)
    values (g.graph, 'hnsw', null, n);
  end loop;
end
$$;

create function private.memory_ivfflat_min_rows()
returns integer
language sql
stable
set search_path = ''
as $$
  -- memories.ivfflat_min_rows lets the database tests build an IVFFlat of a few rows.
  select coalesce(nullif(current_setting('memories.ivfflat_min_rows', true), '')::integer, 50000)
$$;
comment on function private.memory_ivfflat_min_rows() is
  'Rows from which a memory graph is indexed with IVFFlat rather than HNSW (50,000; the '
  'setting memories.ivfflat_min_rows overrides it for tests).';
revoke all on function private.memory_ivfflat_min_rows() from public;

-- Restated whole (security invoker, search_path): the index that fits the graph's rows,
-- recorded, and the graph's previous index dropped once the new one is there (so that
-- walks keep one to use while it is built).
create or replace function private.create_memory_graph_index(p_graph integer)
returns void
language plpgsql
set search_path = ''
as $$
declare
  t constant text := 'memory_graph_' || p_graph;
  table_oid constant oid := pg_catalog.to_regclass(pg_catalog.format('private.%I', t));
  n bigint;
  lists integer;
  idx text;
  old record;
begin
  execute pg_catalog.format('select count(*) from private.%I', t) into n;
  if n >= private.memory_ivfflat_min_rows() then
    -- sqrt(rows) lists (pgvector's advice above a million rows; rows / 1,000 below would
    -- be 100 lists of 1,000 rows at 100,000, each probe twice as long to read).
    lists := greatest(1, round(sqrt(n)))::integer;
    idx := t || '_ivfflat';
    -- Built under a name of its own and renamed once the old one is dropped: walks keep
    -- the old index while the new one is built.
    if pg_catalog.to_regclass(pg_catalog.format('private.%I', idx || '_new')) is not null then
      execute pg_catalog.format('drop index private.%I', idx || '_new');
    end if;
    execute pg_catalog.format(
      'create index %I on private.%I '
      'using ivfflat (embedding extensions.halfvec_cosine_ops) with (lists = %s)',
      idx || '_new', t, lists);
    execute pg_catalog.format('comment on index private.%I is %L', idx || '_new',
      'Cosine IVFFlat (halfvec, ' || lists || ' lists, fitted to ' || n || ' rows) of graph '
        || p_graph || '.');
  else
    idx := t || '_hnsw';
    if pg_catalog.to_regclass(pg_catalog.format('private.%I', idx)) is null then
      execute pg_catalog.format(
        'create index %I on private.%I '
        'using hnsw (embedding extensions.halfvec_cosine_ops) '
        'with (m = 32, ef_construction = 128)', idx, t);
      execute pg_catalog.format('comment on index private.%I is %L', idx,
        'Cosine HNSW (halfvec, m 32, ef_construction 128) of graph ' || p_graph || '.');
    end if;
  end if;
  for old in
    select c.relname from pg_catalog.pg_index i join pg_catalog.pg_class c on c.oid = i.indexrelid
     where i.indrelid = table_oid and not i.indisprimary
       and c.relname <> case when lists is null then idx else idx || '_new' end
  loop
    execute pg_catalog.format('drop index private.%I', old.relname);
  end loop;
  if lists is not null then
    execute pg_catalog.format('alter index private.%I rename to %I', idx || '_new', idx);
  end if;
  insert into private.memory_graph_indexes as r (graph, method, lists, built_rows)
  values (p_graph, case when lists is null then 'hnsw' else 'ivfflat' end, lists, n)
  on conflict (graph) do update
    set method = excluded.method, lists = excluded.lists, built_rows = excluded.built_rows,
        built_at = pg_catalog.now();
end
$$;
comment on function private.create_memory_graph_index(integer) is
  'Indexes graph p_graph''s table for the rows it holds: HNSW (m 32, ef_construction 128) '
  'below private.memory_ivfflat_min_rows(), IVFFlat with sqrt(rows) lists from there; drops '
  'the graph''s other index after and records the build in private.memory_graph_indexes.';
revoke all on function private.create_memory_graph_index(integer) from public;

-- Restated whole (security invoker, search_path): a graph with an index of either kind
-- is left alone (a shared graph is asked for again by each pair it takes).
create or replace function private.create_memory_graph(p_graph integer)
returns void
language plpgsql
set search_path = ''
as $$
declare
  t constant text := 'memory_graph_' || p_graph;
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
  if not exists (select 1 from private.memory_graph_indexes i where i.graph = p_graph) then
    perform private.create_memory_graph_index(p_graph);
  end if;
end
$$;
comment on function private.create_memory_graph(integer) is
  'Creates graph p_graph''s table private.memory_graph_<p_graph> (id, embedding; RLS on, no '
  'grants) and its index (private.create_memory_graph_index) if they are missing.';
revoke all on function private.create_memory_graph(integer) from public;

-- Restated whole (security definer, search_path, maintenance_work_mem): the graphs'
-- indexes of either kind are dropped while the rows go in, and each graph gets the
-- index that fits it after.
create or replace function private.rebuild_memory_graphs()
returns jsonb
language plpgsql
security definer
set search_path = ''
set maintenance_work_mem = '1GB'
as $$
declare
  registered integer;
  flagged integer;
  graphs integer[];
  idx record;
  started timestamptz := pg_catalog.clock_timestamp();
begin
  registered := private.register_memory_graph_users();
  select coalesce(array_agg(distinct a.graph order by a.graph), '{}') into graphs
    from private.memory_ann_users a;
  for idx in
    select c.relname from pg_catalog.pg_index i join pg_catalog.pg_class c on c.oid = i.indexrelid
     where i.indrelid = any (select pg_catalog.to_regclass(pg_catalog.format('private.%I', 'memory_graph_' || g))
                               from unnest(graphs) g)
       and not i.indisprimary
  loop
    execute pg_catalog.format('drop index private.%I', idx.relname);
  end loop;
  -- Every row that is in no graph or in another than its pair's (the triggers move it).
  update public.memory_embeddings e set graph = a.graph
    from private.memory_ann_users a
   where a.user_id = e.user_id and a.model = e.model and e.graph is distinct from a.graph;
  get diagnostics flagged = row_count;
  for i in 1 .. coalesce(pg_catalog.array_length(graphs, 1), 0) loop
    perform private.create_memory_graph_index(graphs[i]);
    execute pg_catalog.format('analyze private.%I', 'memory_graph_' || graphs[i]);
  end loop;
  return jsonb_build_object('pairs_registered', registered, 'rows_indexed', flagged,
    'seconds', round(extract(epoch from pg_catalog.clock_timestamp() - started)::numeric, 1));
end
$$;
comment on function private.rebuild_memory_graphs() is
  'Registers the pairs above the exact limit, puts every pending row in its graph''s table '
  'with the graphs'' indexes dropped, and builds for each the index that fits it. For after '
  'a bulk load: it holds an exclusive lock on memory_embeddings (no reads, no writes) for as '
  'long as it runs. Owner only.';
revoke all on function private.rebuild_memory_graphs() from public;

-- A graph's index is built again once it no longer fits the graph: one graph a call,
-- the largest first.
create function private.refresh_memory_graph_indexes(p_max_graphs integer default 1)
returns jsonb
language plpgsql
security definer
set search_path = ''
set maintenance_work_mem = '1GB'
as $$
declare
  min_rows constant integer := private.memory_ivfflat_min_rows();
  g record;
  rebuilt jsonb := '[]'::jsonb;
begin
  if p_max_graphs is null or p_max_graphs < 1 then
    perform private.invalid('max_graphs', 'must be a positive number of graphs');
  end if;
  -- One refresh at a time: two would build the same graph's new index under one name.
  if not pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('private.refresh_memory_graph_indexes')) then
    return jsonb_build_object('rebuilt', '[]'::jsonb, 'busy', true);
  end if;
  for g in
    select i.graph, i.method, i.built_rows, c.n
      from private.memory_graph_indexes i
     cross join lateral (
       select coalesce(sum(m.n), 0)::bigint as n from private.memory_ann_users a
         join private.memory_counts m on m.user_id = a.user_id and m.model = a.model
        where a.graph = i.graph) c
     -- Not while rows wait for the graph (the walk does not use it until they are in):
     -- the build would fit the rows it has, not the ones coming.
     where not exists (
             select 1 from private.memory_ann_users a
              where a.graph = i.graph
                and exists (select 1 from public.memory_embeddings e
                             where e.user_id = a.user_id and e.model = a.model and e.graph is null))
       and ((i.method = 'hnsw' and c.n >= min_rows)
            -- An IVFFlat graph when its rows doubled or halved since its build (the kind
            -- follows the size then), or fell below half the IVFFlat size (a raised setting).
            or (i.method = 'ivfflat' and (c.n < min_rows / 2
                                          or c.n >= 2 * i.built_rows or 2 * c.n < i.built_rows)))
     order by c.n desc, i.graph
     limit p_max_graphs
  loop
    -- Statistics first: from the old index's drop to the commit, walks of this graph wait.
    execute pg_catalog.format('analyze private.%I', 'memory_graph_' || g.graph);
    perform private.create_memory_graph_index(g.graph);
    rebuilt := rebuilt || jsonb_build_object('graph', g.graph, 'rows', g.n,
      'index', (select jsonb_build_object('method', i.method, 'lists', i.lists)
                  from private.memory_graph_indexes i where i.graph = g.graph));
  end loop;
  return jsonb_build_object('rebuilt', rebuilt);
end
$$;
comment on function private.refresh_memory_graph_indexes(integer) is
  'Builds again, largest first and at most p_max_graphs of them, the indexes of the memory '
  'graphs that no longer fit their rows: HNSW graphs that reached '
  'private.memory_ivfflat_min_rows(), IVFFlat graphs whose rows doubled or halved since their '
  'build or fell below half that size; graphs with rows still waiting are left for later. '
  'Returns what it built (busy: another refresh is running). pg_cron, hourly. Owner only.';
revoke all on function private.refresh_memory_graph_indexes(integer) from public;

-- cron.schedule with a job name replaces an existing job of that name: re-runnable.
select cron.schedule('memory-graph-indexes', '17 * * * *', 'select private.refresh_memory_graph_indexes()');

-- Restated whole (stable, security definer, search_path, settings, grants): the IVFFlat
-- settings beside the HNSW ones, and the ids put in order of distance (IVFFlat's
-- iterative scan returns each further batch of lists in its own order).
create or replace function private.walk_my_memory_graph(
  p_query extensions.halfvec,
  p_match_count integer,
  p_content_type text,
  p_metadata jsonb,
  p_model text)
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
set hnsw.iterative_scan = 'strict_order'
set hnsw.ef_search = 100
set hnsw.max_scan_tuples = 100000
set ivfflat.iterative_scan = 'relaxed_order'
set ivfflat.probes = 1
set ivfflat.max_probes = 32768
set enable_seqscan = on
set enable_sort = on
as $$
declare
  uid constant uuid := (select auth.uid());
  my_rows constant bigint := private.my_memory_count(p_model);
  max_tuples constant integer := private.memory_max_scan_tuples();
  my_graph smallint;
  graph_rows bigint;
  my_lists integer;
  probes integer;
  walked uuid[];
begin
  -- Checked here too: callable on its own, and k widens the walk.
  if p_query is null or extensions.vector_dims(p_query) <> 512 then
    perform private.invalid('query', 'must be a 512-dimension embedding');
  end if;
  if p_match_count is null or p_match_count not between 1 and 100 then
    perform private.invalid('match_count', 'must be between 1 and 100');
  end if;
  select g.graph, g.graph_rows into my_graph, graph_rows from private.my_memory_graph(p_model) g;
  -- The graph only once it holds every one of the caller's rows.
  if uid is null or my_graph is null or my_rows < 1 or exists (
      select 1 from public.memory_embeddings e
       where e.user_id = uid and e.model = p_model and e.graph is null) then
    return null;
  end if;
  graph_rows := greatest(graph_rows, my_rows);
  select i.lists into my_lists from private.memory_graph_indexes i where i.graph = my_graph;
  if my_lists is null then
    -- HNSW. How wide a walk must be grows with its graph: alone in a graph of n rows,
    -- 40 + n / 400 found the true top 10 of 9,500-, 50,000- and 100,000-row users
    -- (ef_search 40, 120 and 300 gave recall 1.000, 1.000 and 0.997; `npm run bench --
    -- graphs`). A walk keeps the candidates of every pair in the graph and returns the
    -- caller's, so a caller with a share s of a shared graph gets a walk 1 / sqrt(s)
    -- wider (at most 1,000), and never narrower than k: a walk returns at most
    -- ef_search rows.
    perform pg_catalog.set_config('hnsw.ef_search', greatest(p_match_count,
      least(1000, ceil((40 + graph_rows / 400.0) * sqrt(graph_rows::numeric / my_rows))))::text, true);
    perform pg_catalog.set_config('hnsw.max_scan_tuples', max_tuples::text, true);
    -- Alone in its graph and with no type or metadata filter, every row the walk finds
    -- is the caller's (soft-deleted ones aside): nothing to resume, and a walk without
    -- the iterative scan's bookkeeping is cheaper (100,000 rows at ef_search 290: p95
    -- 11.5 ms against 16.5).
    if graph_rows = my_rows and p_content_type is null and p_metadata is null then
      perform pg_catalog.set_config('hnsw.iterative_scan', 'off', true);
    end if;
  else
    -- IVFFlat. 1.1 sqrt(lists) probes: 17 of 224 lists at 50,000 rows and 20 of 316 at
    -- 100,000, where 16 and 20 probes found recall@10 0.9967 and 0.998 over 400 queries
    -- (`npm run bench -- graphs --probes ...`), and the scale set's 50,000- and
    -- 100,000-row users recall@100 0.9993 and 0.9997 at k = 100 (the probes hold the
    -- query's whole neighbourhood, so k does not widen them). Widened like the HNSW walk
    -- for a share of a shared graph; the iterative scan reads further lists while fewer
    -- than k rows passed, up to as many lists as hold about max_tuples rows.
    probes := least(my_lists, ceil(1.1 * sqrt(my_lists) * sqrt(graph_rows::numeric / my_rows)))::integer;
    perform pg_catalog.set_config('ivfflat.probes', probes::text, true);
    perform pg_catalog.set_config('ivfflat.max_probes',
      greatest(probes, least(my_lists, ceil(my_lists * max_tuples::numeric / graph_rows)))::text, true);
  end if;
  -- EXECUTE: the graph's table is in the text, and the plan is made with this call's
  -- values. Each candidate is checked against its row by a subquery, not a join: a join
  -- let the planner read the whole graph and sort it (25 ms for a 5,000-row graph
  -- against 1 ms for the walk), and without seq scans or sorts the graph's ordered
  -- index scan is the only plan left.
  perform pg_catalog.set_config('enable_seqscan', 'off', true);
  perform pg_catalog.set_config('enable_sort', 'off', true);
  execute pg_catalog.format($q$
    select %s from (
      select g.id, g.embedding operator(extensions.<=>) $1 as d from private.%I g
       where (select e.user_id = $2 and e.model = $3 and e.deleted_at is null
                     and ($4::text is null or e.content_type = $4::public.memory_content_type)
                     and ($5::jsonb is null or e.metadata @> $5)
                from public.memory_embeddings e where e.id = g.id)
       order by g.embedding operator(extensions.<=>) $1
       limit $6) w
  $q$,
    -- HNSW's strict order is already the distance order; IVFFlat's iterative scan returns
    -- each further batch of lists in its own order, so its ids are sorted again.
    case when my_lists is null then 'array_agg(w.id)' else 'array_agg(w.id order by w.d, w.id)' end,
    'memory_graph_' || my_graph)
    into walked using p_query, uid, p_model, p_content_type, p_metadata, p_match_count;
  return coalesce(walked, '{}');
end
$$;
comment on function private.walk_my_memory_graph(extensions.halfvec, integer, text, jsonb, text) is
  'The ids of the calling user''s p_match_count nearest live memories of a model that pass '
  'the type and metadata filters, nearest first, by a walk of the caller''s own graph (HNSW '
  'or IVFFlat, private.memory_graph_indexes; about 100,000 tuples visited at most; fewer ids '
  'when the walk gives up), or null when the caller has no graph holding all of its rows. '
  'Security definer: the graph tables are private; only the caller''s own rows are walked '
  'and returned.';
revoke all on function private.walk_my_memory_graph(extensions.halfvec, integer, text, jsonb, text) from public;
grant execute on function private.walk_my_memory_graph(extensions.halfvec, integer, text, jsonb, text)
  to authenticated, service_role;

-- The graphs that are IVFFlat-sized now, built as such.
select private.refresh_memory_graph_indexes(1024);
