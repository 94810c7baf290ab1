-- One HNSW graph per large user (up to 16 graphs) instead of one graph shared by all of
-- them, and the exact limit lowered from 10,000 to 5,000 rows per user and model.
--
-- Why: at 1,000,000 rows over 2,000 users (bench vector --scale) the shared graph held
-- the 50,000- and 100,000-row users together. A filtered walk for the smaller one sees
-- mostly the other's rows (a third of what it visits is its own), so it needed
-- ef_search 400 to find its true top 10, and p95 at 4 clients was 32 / 41 ms (target
-- 30). Alone in a graph of its own the same user needs ef_search 120 (recall 1.000; 2.2
-- ms p50 with one client, against 6.4 in the shared graph). Below 10,000 rows the exact
-- scan costs ~0.8 us of CPU a row: 9,500-row users were 29 ms p95 at 4 clients (target
-- 20), and no stored form takes away the executor's work per row; a graph of their own
-- answers in 1-2 ms at recall 1.000. Users above 5,000 rows now use a graph (recall >=
-- 0.995, never fewer than k: the exact scan answers whenever a walk comes back short).
-- Figures: docs/benchmarks.md, "Fifth run".
--
-- How: `graph` says which graph holds a row (null: none). Each of the 16 graphs is a
-- partial HNSW index `where graph = n`; a registered (user, model) pair is given the
-- graph that holds the fewest rows, so the largest users have one each and smaller
-- ones share. match_memories names the caller's graph in its query (the planner only
-- uses a partial index whose predicate the query's own text implies) and widens the
-- walk by the graph's size and by how much of it is other users' rows.
--
-- Upgrade: the pairs registered before get a graph, largest first, and the graphs are
-- built at the end from the table, one pass each, under an exclusive lock on
-- memory_embeddings (no reads or writes until the migration commits).

-- The shared graph, the pending-rows index and the flag trigger are over in_ann_index.
-- (user_id, model, in_ann_index) goes too: the unique key (user_id, model,
-- content_hash) serves a pair's rows, and the counts are kept by trigger since 121400.
drop index public.idx_memory_embeddings_hnsw;
drop index public.idx_memory_embeddings_not_in_ann;
drop index public.idx_memory_embeddings_user_model;
drop trigger memory_embeddings_ann_flag on public.memory_embeddings;
drop function private.memory_embeddings_ann_flag();

-- How many graphs there are: the indexes idx_memory_embeddings_graph_1 .. _16. More
-- graphs keep more large users alone; each one is an index every query on the table
-- plans around and every insert checks the predicate of.
create or replace function private.memory_graph_count()
returns integer
language sql
immutable
set search_path = ''
as $$
  select 16
$$;
comment on function private.memory_graph_count() is
  'Number of per-user HNSW graphs (partial indexes idx_memory_embeddings_graph_1 .. _16).';
revoke all on function private.memory_graph_count() from public;

-- The exact limit, restated: 5,000 rows (was 10,000).
create or replace function private.memory_exact_max_rows()
returns integer
language sql
stable
set search_path = ''
as $$
  -- memories.exact_max_rows lets the database tests cross the limit with a few rows.
  select coalesce(nullif(current_setting('memories.exact_max_rows', true), '')::integer, 5000)
$$;
comment on function private.memory_exact_max_rows() is
  'Rows per user and model up to which match_memories scans exactly (5,000; the setting '
  'memories.exact_max_rows overrides it for tests). Above it: the pair''s own HNSW graph.';
revoke all on function private.memory_exact_max_rows() from public;
grant execute on function private.memory_exact_max_rows() to authenticated, service_role;

alter table private.memory_ann_users
  add column graph smallint check (graph between 1 and 16);
comment on column private.memory_ann_users.graph is
  'Which HNSW graph holds this pair''s memories (idx_memory_embeddings_graph_<graph>).';

alter table public.memory_embeddings add column graph smallint;
comment on column public.memory_embeddings.graph is
  'Which HNSW graph holds the row (idx_memory_embeddings_graph_<n>), null when none: set '
  'from private.memory_ann_users by trigger and by private.sync_memory_ann_index(), never '
  'by the writer.';

-- The graph with the fewest rows, counting every row of the pairs given to it.
create or replace function private.least_loaded_memory_graph()
returns smallint
language sql
stable
set search_path = ''
as $$
  select g::smallint
    from generate_series(1, private.memory_graph_count()) g
    left join (select a.graph, sum(c.n) as n
                 from private.memory_ann_users a
                 join private.memory_counts c on c.user_id = a.user_id and c.model = a.model
                group by a.graph) l on l.graph = g
   order by coalesce(l.n, 0), g
   limit 1
$$;
comment on function private.least_loaded_memory_graph() is
  'The HNSW graph whose registered (user, model) pairs have the fewest rows in all.';
revoke all on function private.least_loaded_memory_graph() from public;

-- Registers the pairs above the exact limit, largest first, each in the graph that is
-- least loaded at that moment: the largest users end up alone.
create or replace function private.register_memory_graph_users()
returns integer
language plpgsql
set search_path = ''
as $$
declare
  pair record;
  registered integer := 0;
begin
  for pair in
    select c.user_id, c.model from private.memory_counts c
     where c.n > private.memory_exact_max_rows()
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

-- Graph n: a partial HNSW index over the rows with graph = n. The one definition of
-- the graphs, used by private.rebuild_memory_graphs().
create or replace function private.create_memory_graph_index(p_graph integer)
returns void
language plpgsql
set search_path = ''
as $$
begin
  execute pg_catalog.format(
    'create index if not exists %I on public.memory_embeddings '
    'using hnsw (embedding extensions.halfvec_cosine_ops) '
    'with (m = 32, ef_construction = 128) where graph = %s',
    'idx_memory_embeddings_graph_' || p_graph, p_graph);
  execute pg_catalog.format(
    'comment on index public.%I is %L', 'idx_memory_embeddings_graph_' || p_graph,
    'Cosine HNSW (halfvec, m 32, ef_construction 128) of the memories in graph '
      || p_graph || ' (graph = ' || p_graph || '): the pairs private.memory_ann_users gives it.');
end
$$;
comment on function private.create_memory_graph_index(integer) is
  'Creates the partial HNSW index of graph p_graph (m 32, ef_construction 128, where graph = '
  'p_graph) if it is missing.';
revoke all on function private.create_memory_graph_index(integer) from public;

-- Rows pending for a graph have an index of their own (was `where not in_ann_index`).
create index idx_memory_embeddings_graph_pending on public.memory_embeddings (user_id, model)
  where graph is null;
comment on index public.idx_memory_embeddings_graph_pending is
  'Rows in no graph: the sync finds a registered pair''s pending rows, and match_memories '
  'whether all of the caller''s rows are in its graph, without reading the rest.';

alter table public.memory_embeddings drop column in_ann_index;

create or replace function private.memory_embeddings_graph()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- Derived, never trusted from the writer: the registered pair's graph, or none.
  new.graph := (select a.graph from private.memory_ann_users a
                 where a.user_id = new.user_id and a.model = new.model);
  return new;
end
$$;
comment on function private.memory_embeddings_graph() is
  'BEFORE INSERT/UPDATE trigger: graph = the graph of the row''s registered (user, model) '
  'pair in private.memory_ann_users, null when it has none.';
revoke all on function private.memory_embeddings_graph() from public;

create trigger memory_embeddings_graph
  before insert or update of user_id, model, graph on public.memory_embeddings
  for each row execute function private.memory_embeddings_graph();
comment on trigger memory_embeddings_graph on public.memory_embeddings is
  'Sets graph from the pair''s registration (private.memory_embeddings_graph).';

-- Restated whole (security definer, search_path): registration with a graph, rows
-- flagged with their graph's number.
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
  -- a lock on those rows); rows a concurrent run holds are left to it.
  with todo as (
    select e.id, a.graph
      from private.memory_ann_users a
      join public.memory_embeddings e
        on e.user_id = a.user_id and e.model = a.model and e.graph is null
     limit p_max_rows
       for update of e skip locked
  )
  update public.memory_embeddings e set graph = todo.graph
    from todo where e.id = todo.id;
  get diagnostics flagged = row_count;

  select count(*) into pending
    from private.memory_ann_users a
    join public.memory_embeddings e
      on e.user_id = a.user_id and e.model = a.model and e.graph is null;
  return jsonb_build_object('pairs_registered', registered, 'rows_indexed', flagged,
                            'rows_pending', pending);
end
$$;
comment on function private.sync_memory_ann_index(integer) is
  'Registers the (user, model) pairs above the exact limit, each in the least-loaded HNSW '
  'graph, and adds up to p_max_rows of their rows to their graph; returns the counts. pg_cron, '
  'every minute; after a bulk load run private.rebuild_memory_graphs() instead.';
revoke all on function private.sync_memory_ann_index(integer) from public;
grant execute on function private.sync_memory_ann_index(integer) to service_role;

-- After a bulk load: every pending row put in its graph by building the graphs again
-- from the table, about ten times faster than the sync's inserts one by one.
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
  started timestamptz := pg_catalog.clock_timestamp();
begin
  registered := private.register_memory_graph_users();
  for g in 1 .. private.memory_graph_count() loop
    execute pg_catalog.format('drop index if exists public.%I', 'idx_memory_embeddings_graph_' || g);
  end loop;
  update public.memory_embeddings e set graph = a.graph
    from private.memory_ann_users a
   where e.graph is null and a.user_id = e.user_id and a.model = e.model;
  get diagnostics flagged = row_count;
  perform private.create_memory_graph_index(g) from generate_series(1, private.memory_graph_count()) g;
  return jsonb_build_object('pairs_registered', registered, 'rows_indexed', flagged,
    'seconds', round(extract(epoch from pg_catalog.clock_timestamp() - started)::numeric, 1));
end
$$;
comment on function private.rebuild_memory_graphs() is
  'Registers the pairs above the exact limit, puts every pending row in its graph and builds '
  'all the graphs again from the table. For after a bulk load: it holds an exclusive lock on '
  'memory_embeddings (no reads, no writes) for as long as it runs. Owner only.';
revoke all on function private.rebuild_memory_graphs() from public;

-- The calling user's graph for a model and how many rows that graph holds in all.
create or replace function private.my_memory_graph(p_model text)
returns table (graph smallint, graph_rows bigint)
language sql
stable
security definer
set search_path = ''
as $$
  select a.graph,
         (select sum(c.n)::bigint from private.memory_ann_users o
            join private.memory_counts c on c.user_id = o.user_id and c.model = o.model
           where o.graph = a.graph)
    from private.memory_ann_users a
   where a.user_id = (select auth.uid()) and a.model = p_model
$$;
comment on function private.my_memory_graph(text) is
  'The calling user''s HNSW graph for a model (no row: none) and the rows of every pair in it. '
  'Security definer: registrations and counts are private; only the caller''s own graph is '
  'named, and of the others only their total.';
revoke all on function private.my_memory_graph(text) from public;
grant execute on function private.my_memory_graph(text) to authenticated, service_role;

-- Restated whole (security invoker, search_path, settings): the caller's own graph,
-- named in the query, and a walk as wide as the caller's share of it needs.
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
set hnsw.iterative_scan = 'strict_order'
set hnsw.ef_search = 100
set hnsw.max_scan_tuples = 100000
as $$
declare
  exact_max_rows constant integer := private.memory_exact_max_rows();
  uid uuid := (select auth.uid());
  q extensions.halfvec(512);
  my_rows bigint;
  my_graph smallint;
  graph_rows bigint;
  use_graph boolean := false;
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

  -- The graph only once it holds every one of the caller's rows.
  my_rows := private.my_memory_count(p_model);
  if my_rows > exact_max_rows then
    select g.graph, g.graph_rows into my_graph, graph_rows from private.my_memory_graph(p_model) g;
    use_graph := my_graph is not null and not exists (
      select 1 from public.memory_embeddings e
       where e.user_id = uid and e.model = p_model and e.graph is null);
  end if;

  if use_graph then
    -- Restricted to this function by its SET clauses. How wide a walk must be grows
    -- with its graph: alone in a graph of n rows, 40 + n / 400 found the true top 10
    -- of 9,500-, 50,000- and 100,000-row users (ef_search 40, 120 and 300 gave recall
    -- 1.000, 1.000 and 0.997; 120 left the largest at 0.993. `npm run bench -- graphs`;
    -- one build of the largest graph there left a cluster unreachable at any width).
    -- A walk keeps the candidates of every pair in the graph and returns the caller's,
    -- so a caller with a share s of a shared graph gets a walk 1 / sqrt(s) wider (at
    -- most 1,000): for two 9,500-row users in one graph that kept recall at 0.9998
    -- over 480 searches, where 1 / s cost twice the time for the same recall.
    graph_rows := greatest(graph_rows, my_rows);
    perform pg_catalog.set_config('hnsw.ef_search',
      least(1000, ceil((40 + graph_rows / 400.0) * sqrt(graph_rows::numeric / my_rows)))::text,
      true);
    perform pg_catalog.set_config('hnsw.max_scan_tuples',
      private.memory_max_scan_tuples()::text, true);
    -- Alone in its graph and with no type or metadata filter, every row the walk finds
    -- is the caller's (soft-deleted ones aside): there is nothing to resume, and a walk
    -- without the iterative scan's bookkeeping is cheaper (100,000 rows at ef_search
    -- 290: p95 11.5 ms against 16.5). Fewer than k left after deleted rows: the exact
    -- scan answers, as below.
    if graph_rows = my_rows and p_content_type is null and p_metadata is null then
      perform pg_catalog.set_config('hnsw.iterative_scan', 'off', true);
    end if;
    -- EXECUTE plans with this caller's values every time, and the graph's number is
    -- in the text: the planner uses a partial index only when the query's own
    -- conditions imply its predicate (graph = n), which a parameter never does.
    execute pg_catalog.format($q$
      select array_agg(w.id) from (
        select e.id from public.memory_embeddings e
         where e.graph = %s and e.user_id = $2 and e.model = $3 and e.deleted_at is null
           and ($4::text is null or e.content_type = $4::public.memory_content_type)
           and ($5::jsonb is null or e.metadata @> $5)
         order by e.embedding operator(extensions.<=>) $1
         limit $6) w
    $q$, my_graph) into walked using q, uid, p_model, p_content_type, p_metadata, p_match_count;
    -- Fewer than k: the walk gave up first (or fewer than k rows pass the filters);
    -- the exact scan knows which.
    use_graph := coalesce(pg_catalog.cardinality(walked), 0) = p_match_count;
  end if;

  if use_graph then
    -- The k rows by primary key, one lookup each (`e.id = any (walked)` got a generic
    -- plan that ANDed the lookups with a bitmap of the policy's user_id index).
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
    -- (id, distance) sorted; the k rows' columns are fetched after, by key. No graph
    -- can serve this ORDER BY: each is partial (graph = n).
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
  '512-dimension query, best first; exact up to 5,000 rows per user and model, a walk of the '
  'caller''s own HNSW graph above (at most 100,000 tuples visited), and the exact scan whenever '
  'the walk finds fewer than p_match_count. Optional minimum similarity, type and metadata '
  '(containment) filters.';

-- Upgrade: the pairs registered before get their graph, largest first; then their
-- rows (those in the shared graph and any still pending) go in it, and the 16 graphs
-- are built from the table, one pass each.
do $$
declare
  pair record;
begin
  for pair in
    select a.user_id, a.model from private.memory_ann_users a
      left join private.memory_counts c on c.user_id = a.user_id and c.model = a.model
     order by coalesce(c.n, 0) desc, a.user_id, a.model
  loop
    update private.memory_ann_users a set graph = private.least_loaded_memory_graph()
     where a.user_id = pair.user_id and a.model = pair.model;
  end loop;
end
$$;
alter table private.memory_ann_users alter column graph set not null;
select private.rebuild_memory_graphs();
