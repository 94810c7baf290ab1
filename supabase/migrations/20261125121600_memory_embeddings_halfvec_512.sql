-- Memories are stored as 512-dimension half-precision vectors (were 1,536 float32).
--
-- Why: an exact per-user search is one pass over that user's rows, and at 6 KB a row
-- (one row per page) a 9,500-row user took 16.5 ms p50 with one client and 31 / 45 ms
-- p50 / p95 with four on 2 cores; the target is 20 ms p95 at four clients up to 10,000
-- rows. A 1 KB halfvec(512) row is 6-7 rows a page and a third of the arithmetic:
-- 7.3 ms with one client, 14.5 / 25 ms with four, same rows, same run (`npm run bench --
-- forms`, docs/benchmarks.md). halfvec(1536) alone was 30 / 44 ms: half the bytes is
-- not enough.
--
-- The trade-off: text-embedding-3 models are trained so that the first n numbers of an
-- embedding, re-normalised, are an n-dimension embedding of their own (what the API's
-- `dimensions` parameter returns). OpenAI's published MTEB average for
-- text-embedding-3-small is 62.3 at 1,536 dimensions and 61.6 at 512; half precision
-- (3 significant digits) moves a cosine by about 1e-4. The functions now ask for 512.
--
-- Existing rows are shortened the same way (first 512 numbers, re-normalised), which
-- is the 512-dimension embedding of their text for text-embedding-3 models. Rows of
-- another model (OPENAI_EMBEDDING_MODEL set to one without `dimensions`) must be
-- embedded again: their prefix is not an embedding.

-- The graph is over the column being rewritten; it is built again below.
drop index public.idx_memory_embeddings_hnsw;

alter table public.memory_embeddings
  alter column embedding type extensions.halfvec(512)
  using extensions.l2_normalize(extensions.subvector(embedding, 1, 512))::extensions.halfvec(512);
-- A new type takes its type's storage (external); the vector stays in the row, as
-- before, so that a scan never reads it from the TOAST table (a long text goes there first).
alter table public.memory_embeddings alter column embedding set storage main;
-- Every stored vector changed: search answers cached before were ranked on the old ones.
update private.memory_versions set version = version + 1;
comment on column public.memory_embeddings.embedding is
  '512-d half-precision embedding (text-embedding-3 with dimensions = 512); compare with <=> '
  '(cosine distance, 0 = same direction, 2 = opposite). A float32 vector of 512 dimensions is '
  'converted on write.';

-- Same graph as 121500 (m 32, ef_construction 128, only the large users' rows), on the
-- half-precision column.
create index idx_memory_embeddings_hnsw on public.memory_embeddings
  using hnsw (embedding extensions.halfvec_cosine_ops)
  with (m = 32, ef_construction = 128)
  where in_ann_index;
comment on index public.idx_memory_embeddings_hnsw is
  'Cosine HNSW (halfvec, m 32, ef_construction 128) over the memories of users above the '
  'exact-search limit (in_ann_index).';

-- How many rows the caller has for a model, from the counts the statement trigger keeps
-- (121400): match_memories no longer counts them, a pass over the caller's rows that
-- cost as much as a third of an exact search at 10,000 rows.
create or replace function private.my_memory_count(p_model text)
returns bigint
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce((select c.n from private.memory_counts c
                    where c.user_id = (select auth.uid()) and c.model = p_model), 0)
$$;
comment on function private.my_memory_count(text) is
  'The calling user''s number of memories for a model (soft-deleted ones included), from '
  'private.memory_counts. Security definer: the counts are private; only the caller''s own '
  'count can be read.';
revoke all on function private.my_memory_count(text) from public;
grant execute on function private.my_memory_count(text) to authenticated, service_role;

-- Restated whole (security invoker, search_path, settings): a 512-dimension query,
-- compared as halfvec, the count read rather than taken, the exact scan sorting
-- (id, distance) alone, and the k rows fetched by key on both paths.
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
set hnsw.ef_search = 400
set hnsw.max_scan_tuples = 100000
as $$
declare
  exact_max_rows constant integer := private.memory_exact_max_rows();
  uid uuid := (select auth.uid());
  q extensions.halfvec(512);
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
  if private.my_memory_count(p_model) > exact_max_rows then
    use_graph := not exists (
      select 1 from public.memory_embeddings e
       where e.user_id = uid and e.model = p_model and not e.in_ann_index);
  end if;

  if use_graph then
    -- Restricted to this function by its SET clause.
    perform pg_catalog.set_config('hnsw.max_scan_tuples',
      private.memory_max_scan_tuples()::text, true);
    -- EXECUTE plans with this caller's values every time. A cached generic plan
    -- does not know the caller is large and serves the ORDER BY from the user index
    -- plus a sort of every row instead of the graph.
    execute $q$
      select array_agg(w.id) from (
        select e.id from public.memory_embeddings e
         where e.in_ann_index and e.user_id = $2 and e.model = $3 and e.deleted_at is null
           and ($4::text is null or e.content_type = $4::public.memory_content_type)
           and ($5::jsonb is null or e.metadata @> $5)
         order by e.embedding operator(extensions.<=>) $1
         limit $6) w
    $q$ into walked using q, uid, p_model, p_content_type, p_metadata, p_match_count;
    -- Fewer than k: the walk gave up first (or fewer than k rows pass the filters);
    -- the exact scan knows which.
    use_graph := coalesce(pg_catalog.cardinality(walked), 0) = p_match_count;
  end if;

  if use_graph then
    -- The k rows by primary key, one lookup each. Written `e.id = any (walked)`, the
    -- generic plan ANDed the key lookups with a bitmap of the policy's user_id index:
    -- every one of a 100,000-row user's index entries read to return 10 (8 ms of 21).
    return query
    select r.id, r.content_text, r.content_type::text, r.metadata, r.similarity, r.created_at
      from (select e.id, e.content_text, e.content_type, e.metadata, e.created_at,
                   1 - (e.embedding operator(extensions.<=>) q) as similarity
              from unnest(walked) as w(id)
              join public.memory_embeddings e on e.id = w.id) r
     where p_min_similarity is null or r.similarity >= p_min_similarity
     order by r.similarity desc, r.id;
  else
    -- Every row of the caller once: the distance computed once a row (it is also the
    -- sort key) and only (id, distance) sorted; the k rows' columns are fetched after,
    -- by key. (Sorting whole rows by `distance + 0` computed the distance twice and
    -- copied each row's text and metadata into the sort: a third of the time.) The
    -- graph cannot serve this ORDER BY: its index is partial (in_ann_index).
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
  '512-dimension query, best first; exact up to 10,000 rows per user and model, HNSW '
  'iterative scan above (at most 100,000 tuples walked), and the exact scan whenever the walk '
  'finds fewer than p_match_count. Optional minimum similarity, type and metadata '
  '(containment) filters.';
