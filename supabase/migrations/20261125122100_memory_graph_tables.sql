-- A graph table per large (user, model) pair instead of 16 partial indexes on
-- memory_embeddings, and the exact limit lowered from 5,000 to 2,000 rows.
--
-- Why: each graph was a partial HNSW index on memory_embeddings, and every statement on
-- that table plans around all of its indexes and every insert checks each predicate:
-- 16 graphs cost other statements 12-15%, 32 cost 30-34% (docs/benchmarks.md, "Fifth
-- run"). So there were 16, the 9,500-row users shared them, and users up to 5,000 rows
-- were scanned exactly, at ~0.8 us of CPU a row: p95 at 4 clients of 21-26 ms for the
-- 5,000-row users (target 20). A walk of a 5,000-row user's own graph takes ~1 ms
-- against ~5 for the exact scan. In a table of its own a graph costs memory_embeddings'
-- statements nothing, so every pair above the limit can have one (up to 1,024; beyond,
-- the least-loaded one is shared, as before).
--
-- How: graph n is private.memory_graph_<n> (id, embedding) with its HNSW index. A row's
-- `graph` still says which graph holds it, derived from the pair's registration by the
-- BEFORE trigger; AFTER triggers copy the row into that graph's table, and take it out
-- when it is deleted, changes graph or gets a new embedding. The walk joins the graph
-- to memory_embeddings for the caller's own, live, filtered rows, in a security definer
-- function (the graph tables are private); match_memories then reads the k rows as the
-- caller, under RLS, as before.
--
-- Upgrade: the 16 partial indexes are dropped, the pairs are registered again (each
-- alone in a graph while there are fewer than 1,024) and the graphs are built from the
-- table, under an exclusive lock on memory_embeddings until the migration commits.

-- The old graphs and their assignments.
do $$
begin
  for g in 1 .. 16 loop
    execute pg_catalog.format('drop index if exists public.%I', 'idx_memory_embeddings_graph_' || g);
  end loop;
end
$$;
drop function private.create_memory_graph_index(integer);
delete from private.memory_ann_users;
-- The BEFORE trigger derives graph from the (now empty) registrations: null.
update public.memory_embeddings set graph = null where graph is not null;

alter table private.memory_ann_users drop constraint memory_ann_users_graph_check;
alter table private.memory_ann_users add constraint memory_ann_users_graph_check check (graph >= 1);
comment on column private.memory_ann_users.graph is
  'Which HNSW graph holds this pair''s memories (the table private.memory_graph_<graph>).';
comment on column public.memory_embeddings.graph is
  'Which HNSW graph holds the row (the table private.memory_graph_<n>), null when none: set '
  'from private.memory_ann_users by trigger and by private.sync_memory_ann_index(), never '
  'by the writer.';

-- Restated: how many graphs there may be (was 16, a fixed number of partial indexes).
create or replace function private.memory_graph_count()
returns integer
language sql
stable
set search_path = ''
as $$
  -- memories.graph_count lets the database tests fill every graph with a few pairs.
  select coalesce(nullif(current_setting('memories.graph_count', true), '')::integer, 1024)
$$;
comment on function private.memory_graph_count() is
  'How many per-pair HNSW graphs there may be (1,024; the setting memories.graph_count '
  'overrides it for tests). Beyond it, new pairs share the least-loaded graph.';
revoke all on function private.memory_graph_count() from public;

-- Restated: the exact limit is 2,000 rows (was 5,000).
create or replace function private.memory_exact_max_rows()
returns integer
language sql
stable
set search_path = ''
as $$
  -- memories.exact_max_rows lets the database tests cross the limit with a few rows.
  select coalesce(nullif(current_setting('memories.exact_max_rows', true), '')::integer, 2000)
$$;
comment on function private.memory_exact_max_rows() is
  'Rows per user and model up to which match_memories scans exactly (2,000; the setting '
  'memories.exact_max_rows overrides it for tests). Above it: the pair''s own HNSW graph.';
revoke all on function private.memory_exact_max_rows() from public;
grant execute on function private.memory_exact_max_rows() to authenticated, service_role;

-- Graph n's table and its index: the one definition of a graph.
create function private.create_memory_graph(p_graph integer)
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
      'HNSW graph ' || p_graph || ': a copy of the id and embedding of the memories with graph = '
        || p_graph || ' (the pairs private.memory_ann_users gives it), kept by the triggers of '
        || 'public.memory_embeddings. Read by private.walk_my_memory_graph only.');
  end if;
  if pg_catalog.to_regclass(pg_catalog.format('private.%I', t || '_hnsw')) is null then
    perform private.create_memory_graph_index(p_graph);
  end if;
end
$$;
comment on function private.create_memory_graph(integer) is
  'Creates graph p_graph''s table private.memory_graph_<p_graph> (id, embedding; RLS on, no '
  'grants) and its HNSW index if they are missing.';
revoke all on function private.create_memory_graph(integer) from public;

create function private.create_memory_graph_index(p_graph integer)
returns void
language plpgsql
set search_path = ''
as $$
begin
  execute pg_catalog.format(
    'create index if not exists %I on private.%I '
    'using hnsw (embedding extensions.halfvec_cosine_ops) '
    'with (m = 32, ef_construction = 128)',
    'memory_graph_' || p_graph || '_hnsw', 'memory_graph_' || p_graph);
  execute pg_catalog.format('comment on index private.%I is %L', 'memory_graph_' || p_graph || '_hnsw',
    'Cosine HNSW (halfvec, m 32, ef_construction 128) of graph ' || p_graph || '.');
end
$$;
comment on function private.create_memory_graph_index(integer) is
  'Creates the HNSW index of graph p_graph''s table (m 32, ef_construction 128) if it is '
  'missing.';
revoke all on function private.create_memory_graph_index(integer) from public;

-- Restated whole: registration also creates the graph's table, so that the triggers
-- have somewhere to put the pair's rows from then on.
create or replace function private.register_memory_graph_users()
returns integer
language plpgsql
set search_path = ''
as $$
declare
  exact_max_rows constant integer := private.memory_exact_max_rows();
  pair record;
  g smallint;
  registered integer := 0;
begin
  for pair in
    select c.user_id, c.model from private.memory_counts c
     where c.n > exact_max_rows
       and not exists (select 1 from private.memory_ann_users a
                        where a.user_id = c.user_id and a.model = c.model)
     order by c.n desc, c.user_id, c.model
  loop
    g := private.least_loaded_memory_graph();
    perform private.create_memory_graph(g);
    insert into private.memory_ann_users (user_id, model, graph)
    values (pair.user_id, pair.model, g)
    on conflict do nothing;
    registered := registered + 1;
  end loop;
  return registered;
end
$$;
comment on function private.register_memory_graph_users() is
  'Registers every (user, model) pair above the exact limit (private.memory_counts) in the '
  'least-loaded HNSW graph, largest pair first, creating the graph''s table if it is new; '
  'returns how many were registered.';
revoke all on function private.register_memory_graph_users() from public;

-- Keeps the graph tables equal to the rows that name them.
create function private.memory_embeddings_graph_rows()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op <> 'INSERT' and old.graph is not null then
    execute pg_catalog.format('delete from private.%I where id = $1', 'memory_graph_' || old.graph)
      using old.id;
  end if;
  if tg_op <> 'DELETE' and new.graph is not null then
    execute pg_catalog.format('insert into private.%I (id, embedding) values ($1, $2)',
                              'memory_graph_' || new.graph)
      using new.id, new.embedding;
  end if;
  return null;
end
$$;
comment on function private.memory_embeddings_graph_rows() is
  'AFTER trigger of public.memory_embeddings: a row with a graph is copied into that graph''s '
  'table (private.memory_graph_<n>) and taken out when it is deleted, changes graph, id or '
  'embedding. Security definer: the graph tables are private.';
revoke all on function private.memory_embeddings_graph_rows() from public;

-- Three triggers, so that the rows of users without a graph never call the function.
create trigger memory_embeddings_graph_rows_insert
  after insert on public.memory_embeddings
  for each row when (new.graph is not null)
  execute function private.memory_embeddings_graph_rows();
comment on trigger memory_embeddings_graph_rows_insert on public.memory_embeddings is
  'Copies a new row with a graph into the graph''s table (private.memory_embeddings_graph_rows).';
create trigger memory_embeddings_graph_rows_update
  after update on public.memory_embeddings
  for each row when (old.graph is distinct from new.graph
                     or (new.graph is not null
                         and (old.id <> new.id or old.embedding is distinct from new.embedding)))
  execute function private.memory_embeddings_graph_rows();
comment on trigger memory_embeddings_graph_rows_update on public.memory_embeddings is
  'Moves a row between graph tables when its graph, id or embedding changes '
  '(private.memory_embeddings_graph_rows).';
create trigger memory_embeddings_graph_rows_delete
  after delete on public.memory_embeddings
  for each row when (old.graph is not null)
  execute function private.memory_embeddings_graph_rows();
comment on trigger memory_embeddings_graph_rows_delete on public.memory_embeddings is
  'Takes a deleted row out of its graph''s table (private.memory_embeddings_graph_rows).';

-- Restated whole (security definer, search_path, maintenance_work_mem): the graphs are
-- tables; their indexes are dropped while the rows go in and built after.
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
  started timestamptz := pg_catalog.clock_timestamp();
begin
  registered := private.register_memory_graph_users();
  select coalesce(array_agg(distinct a.graph order by a.graph), '{}') into graphs
    from private.memory_ann_users a;
  for i in 1 .. coalesce(pg_catalog.array_length(graphs, 1), 0) loop
    execute pg_catalog.format('drop index if exists private.%I', 'memory_graph_' || graphs[i] || '_hnsw');
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
  'with the graphs'' indexes dropped, and builds them again. For after a bulk load: it holds '
  'an exclusive lock on memory_embeddings (no reads, no writes) for as long as it runs. Owner '
  'only.';
revoke all on function private.rebuild_memory_graphs() from public;

-- The caller's walk of its graph: the ids of its k nearest live rows that pass the
-- filters, nearest first, or null when it has no complete graph (the exact scan
-- answers). Settings are restricted to this function by its SET clauses.
create function private.walk_my_memory_graph(
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
set enable_seqscan = on
set enable_sort = on
as $$
declare
  uid constant uuid := (select auth.uid());
  my_rows constant bigint := private.my_memory_count(p_model);
  my_graph smallint;
  graph_rows bigint;
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
  -- How wide a walk must be grows with its graph: alone in a graph of n rows, 40 + n /
  -- 400 found the true top 10 of 9,500-, 50,000- and 100,000-row users (ef_search 40,
  -- 120 and 300 gave recall 1.000, 1.000 and 0.997; `npm run bench -- graphs`). A walk
  -- keeps the candidates of every pair in the graph and returns the caller's, so a
  -- caller with a share s of a shared graph gets a walk 1 / sqrt(s) wider (at most
  -- 1,000), and never narrower than k: a walk returns at most ef_search rows.
  graph_rows := greatest(graph_rows, my_rows);
  perform pg_catalog.set_config('hnsw.ef_search', greatest(p_match_count,
    least(1000, ceil((40 + graph_rows / 400.0) * sqrt(graph_rows::numeric / my_rows))))::text, true);
  perform pg_catalog.set_config('hnsw.max_scan_tuples', private.memory_max_scan_tuples()::text, true);
  -- Alone in its graph and with no type or metadata filter, every row the walk finds is
  -- the caller's (soft-deleted ones aside): nothing to resume, and a walk without the
  -- iterative scan's bookkeeping is cheaper (100,000 rows at ef_search 290: p95 11.5 ms
  -- against 16.5).
  if graph_rows = my_rows and p_content_type is null and p_metadata is null then
    perform pg_catalog.set_config('hnsw.iterative_scan', 'off', true);
  end if;
  -- EXECUTE: the graph's table is in the text, and the plan is made with this call's
  -- values. Each candidate is checked against its row by a subquery, not a join: a join
  -- let the planner read the whole graph and sort it (25 ms for a 5,000-row graph
  -- against 1 ms for the walk), and without seq scans or sorts the graph's ordered
  -- index scan is the only plan left.
  perform pg_catalog.set_config('enable_seqscan', 'off', true);
  perform pg_catalog.set_config('enable_sort', 'off', true);
  execute pg_catalog.format($q$
    select array_agg(w.id) from (
      select g.id from private.%I g
       where (select e.user_id = $2 and e.model = $3 and e.deleted_at is null
                     and ($4::text is null or e.content_type = $4::public.memory_content_type)
                     and ($5::jsonb is null or e.metadata @> $5)
                from public.memory_embeddings e where e.id = g.id)
       order by g.embedding operator(extensions.<=>) $1
       limit $6) w
  $q$, 'memory_graph_' || my_graph)
    into walked using p_query, uid, p_model, p_content_type, p_metadata, p_match_count;
  return coalesce(walked, '{}');
end
$$;
comment on function private.walk_my_memory_graph(extensions.halfvec, integer, text, jsonb, text) is
  'The ids of the calling user''s p_match_count nearest live memories of a model that pass '
  'the type and metadata filters, nearest first, by a walk of the caller''s own HNSW graph '
  '(at most 100,000 tuples visited; fewer ids when the walk gives up), or null when the '
  'caller has no graph holding all of its rows. Security definer: the graph tables are '
  'private; only the caller''s own rows are walked and returned.';
revoke all on function private.walk_my_memory_graph(extensions.halfvec, integer, text, jsonb, text) from public;
grant execute on function private.walk_my_memory_graph(extensions.halfvec, integer, text, jsonb, text)
  to authenticated, service_role;

-- Restated whole (security invoker, search_path, settings, grants): the walk is
-- private.walk_my_memory_graph's.
create or replace function public.match_memories(
  p_query extensions.vector,
  p_match_count integer default 10,
  p_min_similarity double precision default null,
  p_content_type text default null,
  p_metadata jsonb default null,
  p_model text default 'text-embedding-3-small')
returns table (
  id uuid,
  content text,
  content_type text,
  metadata jsonb,
  similarity double precision,
  created_at timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
set plan_cache_mode = force_generic_plan
as $$
declare
  uid uuid := (select auth.uid());
  q extensions.halfvec(512);
  walked uuid[];
begin
  if uid is null then
    raise exception using errcode = '42501', message = 'sign in to search memories';
  end if;
  if p_query is null or extensions.vector_dims(p_query) <> 512 then
    perform private.invalid('query', 'must be a 512-dimension embedding');
  end if;
  if p_match_count is null or p_match_count not between 1 and 100 then
    perform private.invalid('match_count', 'must be between 1 and 100');
  end if;
  if p_min_similarity is not null and p_min_similarity not between 0 and 1 then
    perform private.invalid('min_similarity', 'must be between 0 and 1');
  end if;
  if p_metadata is not null and jsonb_typeof(p_metadata) <> 'object' then
    perform private.invalid('metadata', 'must be a JSON object');
  end if;
  perform private.check_one_of('content_type', p_content_type,
    pg_catalog.enum_range(null::public.memory_content_type)::text[]);
  -- Converted once here, not once per row compared.
  q := p_query::extensions.halfvec(512);

  if private.my_memory_count(p_model) > private.memory_exact_max_rows() then
    walked := private.walk_my_memory_graph(q, p_match_count, p_content_type, p_metadata, p_model);
  end if;

  -- Fewer than k (or no graph): the walk gave up first, or fewer than k rows pass the
  -- filters; the exact scan knows which.
  if coalesce(pg_catalog.cardinality(walked), 0) = p_match_count then
    -- The k rows by primary key, one lookup each, read as the caller (RLS).
    return query
    select r.id, r.content_text, r.content_type::text, r.metadata, r.similarity, r.created_at
      from (select e.id, e.content_text, e.content_type, e.metadata, e.created_at,
                   1 - (e.embedding operator(extensions.<=>) q) as similarity
              from unnest(walked) as w(id)
              join public.memory_embeddings e on e.id = w.id) r
     where p_min_similarity is null or r.similarity >= p_min_similarity
     order by r.similarity desc, r.id;
  else
    -- Every row of the caller once: the distance computed once a row and only
    -- (id, distance) sorted; the k rows' columns are fetched after, by key.
    return query
    select e.id, e.content_text, e.content_type::text, e.metadata, 1 - t.d, e.created_at
      from (select e.id, e.embedding operator(extensions.<=>) q as d
              from public.memory_embeddings e
             where e.user_id = uid and e.model = p_model and e.deleted_at is null
               and (p_content_type is null or e.content_type = p_content_type::public.memory_content_type)
               and (p_metadata is null or e.metadata @> p_metadata)
             order by d, e.id
             limit p_match_count) t
      join public.memory_embeddings e on e.id = t.id
     where p_min_similarity is null or 1 - t.d >= p_min_similarity
     order by 1 - t.d desc, e.id;
  end if;
end
$$;
comment on function public.match_memories(extensions.vector, integer, double precision, text, jsonb, text) is
  'The caller''s top p_match_count memories by cosine similarity (1 - distance) to a '
  '512-dimension query, best first; exact up to 2,000 rows per user and model, a walk of the '
  'caller''s own HNSW graph above (private.walk_my_memory_graph), and the exact scan whenever '
  'the walk finds fewer than p_match_count. Optional minimum similarity, type and metadata '
  '(containment) filters.';
revoke all on function public.match_memories(extensions.vector, integer, double precision, text, jsonb, text) from public, anon;
grant execute on function public.match_memories(extensions.vector, integer, double precision, text, jsonb, text) to authenticated, service_role;

-- The pairs above the new limit, each in a graph of its own, built from the table.
select private.rebuild_memory_graphs();
