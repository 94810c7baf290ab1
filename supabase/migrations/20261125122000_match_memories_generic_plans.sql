-- Memory search plans its static queries once per session.
--
-- PL/pgSQL keeps a static query's plan, but PostgreSQL's plan cache plans it again for
-- every call (a custom plan) while that looks cheaper than the generic one. For the
-- exact scan of a small user it always did: a 10-row user's search spent 0.24 ms of its
-- 0.52 ms in the database planning that query, which looks at every index of
-- memory_embeddings, the 16 graphs among them (pg_stat_statements, track_planning). The
-- generic plan is the same plan (the caller's rows by user index, then the top k), so
-- match_memories now asks for it. The walk is unaffected: EXECUTE plans every time,
-- with the caller's graph in the text.
--
-- private.my_memory_count, called on every search, was a security definer SQL function:
-- not inlinable, so planned again on each call (0.04 ms). In PL/pgSQL its plan is kept,
-- as private.my_memory_graph's has been since 20261125121800.

-- Restated whole (stable, security definer, search_path, grants).
create or replace function private.my_memory_count(p_model text)
returns bigint
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return coalesce((select c.n from private.memory_counts c
                    where c.user_id = (select auth.uid()) and c.model = p_model), 0);
end
$$;
comment on function private.my_memory_count(text) is
  'The calling user''s number of memories for a model (soft-deleted ones included), from '
  'private.memory_counts. Security definer: the counts are private; only the caller''s own '
  'count can be read. PL/pgSQL so that its plan is kept.';
revoke all on function private.my_memory_count(text) from public;
grant execute on function private.my_memory_count(text) to authenticated, service_role;

-- Restated whole (security invoker, search_path, settings, grants): generic plans for
-- its static queries.
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
set plan_cache_mode = force_generic_plan
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
revoke all on function public.match_memories(extensions.vector, integer, double precision, text, jsonb, text) from public, anon;
grant execute on function public.match_memories(extensions.vector, integer, double precision, text, jsonb, text) to authenticated, service_role;
