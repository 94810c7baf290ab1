-- Memory search: the graph sync, the keyword side and hybrid search_memories.
-- (match_memories, the vector side, is in 23_memories_api.sql with the other RPCs.)
--
-- Hybrid retrieval: Postgres full-text search beside vector similarity, fused by
-- reciprocal rank (Supabase's hybrid-search pattern). Names, places, dates and codes
-- ("Kyoto", "LH 123") are where embeddings are weakest and words match best. A query's
-- lexemes are OR-ed (private.keyword_query), so that a question shares any meaningful
-- word with a memory (websearch_to_tsquery would AND them all: "which seat should I
-- book" would match nothing).
create function private.keyword_query(p_text text)
returns tsquery
language sql
immutable
parallel safe
set search_path = ''
as $$
  select pg_catalog.string_agg(pg_catalog.quote_literal(l), ' | ')::tsquery
    from pg_catalog.unnest(pg_catalog.tsvector_to_array(
           pg_catalog.to_tsvector('english'::regconfig,
                                  private.with_code_parts(coalesce(p_text, ''))))) as l
$$;
comment on function private.keyword_query(text) is
  'The lexemes of a search text (English configuration, stop words dropped) OR-ed into a '
  'tsquery; null when it has none.';
revoke all on function private.keyword_query(text) from public;
grant execute on function private.keyword_query(text) to authenticated, service_role;

-- Gives users above the limit a graph and moves their vectors into it.
create function private.sync_memory_graphs(p_max_rows integer default 5000)
returns jsonb
language plpgsql
security definer
set search_path = ''
set maintenance_work_mem = '1GB'
as $$
declare
  exact_max_rows constant integer := private.memory_exact_max_rows();
  u record;
  g smallint;
  part text;
  built smallint[] := '{}'::smallint[];
  refilled smallint[] := '{}'::smallint[];
  registered integer := 0;
  moved bigint := 0;
  n bigint;
  held bigint;
begin
  if p_max_rows is not null and p_max_rows < 1 then
    perform private.invalid('max_rows', 'must be a positive number of rows (null: all)');
  end if;
  -- One sync at a time: two would build the same new partition.
  if not pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('private.sync_memory_graphs')) then
    return jsonb_build_object('busy', true);
  end if;
  for u in
    select c.user_id from private.memory_counts c
     where not exists (select 1 from private.memory_graph_users r where r.user_id = c.user_id)
     group by c.user_id
    having max(c.n) > exact_max_rows
     order by max(c.n) desc, c.user_id
  loop
    -- The least-loaded graph; an unused one while there are fewer than the count.
    select s.g into g
      from pg_catalog.generate_series(1, private.memory_graph_count()) as s(g)
      left join (select r.graph, sum(c.n) as load from private.memory_graph_users r
                   join private.memory_counts c on c.user_id = r.user_id group by r.graph) l
        on l.graph = s.g
     order by l.load nulls first, s.g
     limit 1;
    if pg_catalog.to_regclass('private.memory_vectors_' || g) is null and not g = any (built) then
      built := built || g;
    end if;
    insert into private.memory_graph_users (user_id, graph) values (u.user_id, g);
    registered := registered + 1;
  end loop;
  -- A new graph is built beside memory_vectors and attached once complete: filled from
  -- graph 0 (its users' rows taken out of it), analysed, indexed (one bulk HNSW build, not an
  -- insert into the graph per row), and attached last. ATTACH PARTITION locks
  -- memory_vectors against DDL only, where CREATE TABLE ... PARTITION OF would lock out
  -- every search and write until the commit; but it adds the foreign key to the partition,
  -- which locks memory_embeddings against writes until the commit: so it comes last,
  -- right before the commit. Searches see the switch at commit.
  foreach g in array built loop
    part := 'memory_vectors_' || g;
    execute pg_catalog.format(
      'create table private.%I (like public.memory_vectors including defaults including storage)', part);
    -- Proves the partition's bound to ATTACH, which then does not scan for it (kept:
    -- dropping it would lock the partition).
    execute pg_catalog.format('alter table private.%I add constraint %I check (graph = %s)',
      part, part || '_bound', g);
    execute pg_catalog.format('alter table private.%I enable row level security', part);
    execute pg_catalog.format('revoke all on private.%I from public, anon, authenticated, service_role', part);
    execute pg_catalog.format('comment on table private.%I is %L', part,
      'Graph ' || g || ' of public.memory_vectors: the vectors of the users private.memory_graph_users '
        || 'gives it, with their HNSW index. Read and written through public.memory_vectors only.');
    -- Taken out of graph 0 and put in the new table in one statement: exactly the rows
    -- deleted are copied (a row written meanwhile stays in graph 0 for the next run).
    execute pg_catalog.format(
      'with taken as ('
      '  delete from private.memory_vectors_0 v using private.memory_graph_users r'
      '   where r.user_id = v.user_id and r.graph = %s returning v.id, v.user_id, v.embedding) '
      'insert into private.%I (id, user_id, graph, embedding) '
      'select t.id, t.user_id, %s, t.embedding from taken t', g, part, g);
    get diagnostics n = row_count;
    moved := moved + n;
    -- Their memories name the graph, all but those whose vector was written to graph 0
    -- meanwhile (their cascade would find no partition yet: the next run moves them).
    update public.memory_embeddings e set graph = g
      from private.memory_graph_users r
     where r.user_id = e.user_id and r.graph = g and e.graph = 0
       and not exists (select 1 from private.memory_vectors_0 v
                        where v.id = e.id and v.user_id = e.user_id and v.graph = 0);
    -- The parent's indexes, so that ATTACH adopts them instead of building them.
    execute pg_catalog.format('alter table private.%I add primary key (id, user_id, graph)', part);
    execute pg_catalog.format('create index on private.%I (user_id)', part);
  end loop;
  -- An attached graph that holds nothing (its users' memories were deleted) given new
  -- users: its HNSW index goes, their rows move, and the index is built again at once
  -- (below), where moving them one by one would insert into the graph once a row. Only an
  -- empty graph: the drop locks the partition until the commit, and a graph with rows
  -- has users whose searches would wait for the build (they get the rows one by one).
  for g, n in
    select r.graph, count(*) from private.memory_graph_users r
      join public.memory_embeddings e on e.graph = 0 and e.user_id = r.user_id
     where not r.graph = any (built)
     group by r.graph
  loop
    part := 'memory_vectors_' || g;
    execute pg_catalog.format('select count(*) from private.%I', part) into held;
    continue when held > 0;
    execute pg_catalog.format('drop index if exists private.%I', part || '_hnsw');
    update public.memory_embeddings e set graph = g
      from private.memory_graph_users r
     where r.user_id = e.user_id and r.graph = g and e.graph = 0;
    get diagnostics n = row_count;
    moved := moved + n;
    refilled := refilled || g;
  end loop;
  -- Statistics, then one bulk HNSW build, for every graph filled in this run.
  foreach g in array built || refilled loop
    part := 'memory_vectors_' || g;
    execute pg_catalog.format('analyze private.%I', part);
    execute pg_catalog.format(
      'create index %I on private.%I using hnsw (embedding extensions.halfvec_cosine_ops) '
      'with (m = 32, ef_construction = 128)', part || '_hnsw', part);
    execute pg_catalog.format('comment on index private.%I is %L', part || '_hnsw',
      'Cosine HNSW (halfvec, m 32, ef_construction 128) of graph ' || g || '.');
  end loop;
  -- Memories in graph 0 of users whose graph is attached and holds rows (the service
  -- role's writes, a writer racing the registration, a user sharing a graph): moved by
  -- Postgres, p_max_rows at a time (an insert into an HNSW graph is ~3 ms).
  -- The memory moves; its foreign key's `on update cascade` moves the vector. Each user's
  -- rows are looked up on their own (lateral): with a plain join and a limit, Postgres
  -- expected to find them early and read every memory in graph 0 instead.
  update public.memory_embeddings e set graph = todo.graph
    from (select r.graph, p.id from private.memory_graph_users r
            cross join lateral (select m.id from public.memory_embeddings m
                                 where m.graph = 0 and m.user_id = r.user_id
                                 limit p_max_rows) p
           where not r.graph = any (built || refilled)
           limit p_max_rows) todo
   where e.graph = 0 and e.id = todo.id;
  get diagnostics n = row_count;
  moved := moved + n;
  foreach g in array built loop
    execute pg_catalog.format(
      'alter table public.memory_vectors attach partition private.%I for values in (%s)',
      'memory_vectors_' || g, g);
  end loop;
  return jsonb_build_object('users_registered', registered, 'graphs_built', pg_catalog.cardinality(built),
    'graphs_refilled', pg_catalog.cardinality(refilled), 'rows_moved', moved);
end
$$;
comment on function private.sync_memory_graphs(integer) is
  'Gives every user above the exact limit (any model) the least-loaded graph; a new graph is '
  'built beside memory_vectors (filled from graph 0, analysed, indexed with HNSW) and attached '
  'as its partition; an empty attached graph given new users is refilled and indexed again in '
  'bulk; then moves into their graph up to p_max_rows of the vectors of users with '
  'a graph still in graph 0 (null: all). pg_cron every minute; one run at a time ({busy: true} '
  'otherwise). Owner only.';
revoke all on function private.sync_memory_graphs(integer) from public;

select cron.schedule('memory-graphs', '* * * * *', 'select private.sync_memory_graphs()');

-- The keyword side of search_memories. A definer, reading the caller's own rows only:
-- under RLS, Postgres may not use a qual that is not leakproof (`@@` is not) as an index
-- condition before the policy's, so the GIN index of (user_id, content_tsv) would go
-- unused and every memory of the caller be read and matched.
create function private.my_keyword_matches(
  p_query tsquery, p_limit integer, p_content_type text, p_metadata jsonb, p_model text)
returns table (id uuid, rank real)
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $$
declare
  uid constant uuid := (select auth.uid());
begin
  if uid is null or p_query is null then
    return;
  end if;
  return query
  select e.id, pg_catalog.ts_rank_cd(e.content_tsv, p_query)
    from public.memory_embeddings e
   where e.user_id = uid and e.content_tsv @@ p_query
     and e.model = p_model and e.deleted_at is null
     and (p_content_type is null or e.content_type::text = p_content_type)
     and (p_metadata is null or e.metadata @> p_metadata)
   order by 2 desc, e.id
   limit p_limit;
end
$$;
comment on function private.my_keyword_matches(tsquery, integer, text, jsonb, text) is
  'The calling user''s live memories of a model that share a word with the query, best '
  'ts_rank_cd first, at most p_limit: the keyword side of public.search_memories. Security '
  'definer so that the GIN index serves the match (see above); only the caller''s rows are read.';
revoke all on function private.my_keyword_matches(tsquery, integer, text, jsonb, text) from public;
grant execute on function private.my_keyword_matches(tsquery, integer, text, jsonb, text) to
  authenticated, service_role;

-- Hybrid retrieval: mode `hybrid` (default), `vector` or `keyword`; each side ranks up to 3 x match_count
-- candidates (at most 100) and the score is the sum of 1 / (60 + rank) over the sides that
-- found the memory. The vector side is match_memories; the keyword side
-- private.my_keyword_matches; min_similarity drops results below that cosine similarity
-- whatever side found them (keyword mode, which embeds nothing, ignores it).
create function public.search_memories(
  p_query_text text,
  p_query extensions.vector,
  p_match_count integer default 10,
  p_mode text default 'hybrid',
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
  keyword_rank real,
  score double precision,
  created_at timestamptz)
language plpgsql
stable
security invoker
set search_path = ''
-- Short queries over a few rows: JIT compiling them (which the cost of the partitioned
-- lookups would trigger) costs far more than running them.
set jit = off
-- Planned with each call's query and caller: a generic plan cannot tell a rare word from
-- a common one, and would read a large user's every memory for both sides.
set plan_cache_mode = force_custom_plan
as $$
declare
  q tsquery := private.keyword_query(p_query_text);
  depth integer := least(coalesce(p_match_count, 10) * 3, 100);
  graphs constant smallint[] := array[0, private.my_memory_graph()];
  -- A variable, not (select auth.uid()) in the queries: planned per call with its value,
  -- so that the planner sees how many memories the caller has.
  uid constant uuid := (select auth.uid());
begin
  if uid is null then
    raise exception using errcode = '42501', message = 'sign in to search memories';
  end if;
  if p_mode is null or p_mode not in ('hybrid', 'vector', 'keyword') then
    perform private.invalid('mode', 'must be hybrid, vector or keyword');
  end if;
  if p_match_count is null or p_match_count not between 1 and 100 then
    perform private.invalid('match_count', 'must be between 1 and 100');
  end if;
  if p_mode <> 'keyword' and p_query is null then
    perform private.invalid('query', 'needs its embedding for the vector side');
  end if;
  return query
  with vec as (
    select m.id, m.similarity, row_number() over (order by m.similarity desc, m.id) as r
      from public.match_memories(p_query, depth, p_min_similarity, p_content_type, p_metadata,
                                 p_model) m
     where p_mode <> 'keyword'
  ), kw as (
    select k.id, k.rank, row_number() over (order by k.rank desc, k.id) as r
      from private.my_keyword_matches(q, depth, p_content_type, p_metadata, p_model) k
     where p_mode <> 'vector'
  ), fused as materialized (
    select coalesce(v.id, k.id) as id, v.similarity, k.rank,
           coalesce(1.0 / (60 + v.r), 0) + coalesce(1.0 / (60 + k.r), 0) as score
      from vec v full join kw k on k.id = v.id
  )
  select f.id, e.content_text, e.content_type::text, e.metadata, f.similarity::double precision,
         f.rank, f.score::double precision, e.created_at
    from (select f.id, f.rank, f.score,
                 -- What only the keyword side found: its similarity from its vector, in
                 -- graph 0 or the caller's own (the partitions a user's vectors can be in),
                 -- one lookup per result.
                 coalesce(f.similarity, (
                   select 1 - (v.embedding operator(extensions.<=>) p_query::extensions.halfvec(512))
                     from public.memory_vectors v
                    where p_query is not null and v.id = f.id and v.graph = any (graphs))) as similarity
            from fused f) f
    -- One lookup by key per result (LIMIT keeps the planner from joining the caller's
    -- every memory instead).
    cross join lateral (select e.* from public.memory_embeddings e
                         where e.id = f.id and e.user_id = uid limit 1) e
   where p_min_similarity is null or p_query is null or f.similarity >= p_min_similarity
   order by f.score desc, f.id
   limit p_match_count;
end
$$;
comment on function public.search_memories(text, extensions.vector, integer, text,
  double precision, text, jsonb, text) is
  'POST /memories/search: the caller''s memories by hybrid (default), vector or keyword '
  'retrieval; score = sum over the sides of 1 / (60 + rank), similarity = cosine (1 - '
  'distance), keyword_rank = ts_rank_cd of the OR-ed query lexemes (null: no shared word). '
  'min_similarity drops results below that similarity (not in keyword mode).';
revoke all on function public.search_memories(text, extensions.vector, integer, text, double
  precision, text, jsonb, text) from public;
grant execute on function public.search_memories(text, extensions.vector, integer, text, double
  precision, text, jsonb, text) to authenticated;
