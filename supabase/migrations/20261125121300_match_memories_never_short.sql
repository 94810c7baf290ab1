-- match_memories on the graph path never answers fewer than k when the caller has k.
-- pgvector's iterative scan stops after hnsw.max_scan_tuples visited tuples (20,000 by
-- default): once a user's rows are a small share of a large shared graph, or filters
-- (type, metadata, deleted) keep few of them, a walk could end with fewer than k rows
-- and the "true top k" promise silently broke. The walk now visits up to 100,000
-- tuples, and when it still finds fewer than k the exact scan of the caller's rows
-- answers instead (slower for that query, never short).

create or replace function private.memory_max_scan_tuples()
returns integer
language sql
stable
set search_path = ''
as $$
  -- memories.max_scan_tuples lets the database tests make a walk stop early.
  select coalesce(nullif(current_setting('memories.max_scan_tuples', true), '')::integer, 100000)
$$;
comment on function private.memory_max_scan_tuples() is
  'Tuples an HNSW walk of match_memories may visit (100,000; the setting '
  'memories.max_scan_tuples overrides it for tests).';
revoke all on function private.memory_max_scan_tuples() from public;
grant execute on function private.memory_max_scan_tuples() to authenticated, service_role;

-- Restated whole (security invoker, search_path, settings), with the bounded walk and
-- the exact fallback.
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
  n integer;
  use_graph boolean := false;
  walked uuid[];
begin
  if uid is null then
    raise exception using errcode = '42501', message = 'sign in to search memories';
  end if;
  if p_query is null or extensions.vector_dims(p_query) <> 1536 then
    perform private.invalid('query', 'must be a 1536-dimension embedding');
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

  select count(*) into n from (
    select 1 from public.memory_embeddings e
     where e.user_id = uid and e.model = p_model
     limit exact_max_rows + 1) s;
  -- The graph only once it holds every one of the caller's rows.
  if n > exact_max_rows then
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
    -- plus a sort of every row (42 ms at 21,000 rows) instead of the graph (6 ms).
    execute $q$
      select array_agg(w.id) from (
        select e.id from public.memory_embeddings e
         where e.in_ann_index and e.user_id = $2 and e.model = $3 and e.deleted_at is null
           and ($4::text is null or e.content_type = $4::public.memory_content_type)
           and ($5::jsonb is null or e.metadata @> $5)
         order by e.embedding operator(extensions.<=>) $1
         limit $6) w
    $q$ into walked using p_query, uid, p_model, p_content_type, p_metadata, p_match_count;
    -- Fewer than k: the walk gave up first (or fewer than k rows pass the filters);
    -- the exact scan knows which.
    use_graph := coalesce(pg_catalog.cardinality(walked), 0) = p_match_count;
  end if;

  if use_graph then
    return query
    select r.id, r.content_text, r.content_type::text, r.metadata, r.similarity, r.created_at
      from (select e.id, e.content_text, e.content_type, e.metadata, e.created_at,
                   1 - (e.embedding operator(extensions.<=>) p_query) as similarity
              from public.memory_embeddings e
             where e.id = any (walked)) r
     where p_min_similarity is null or r.similarity >= p_min_similarity
     order by r.similarity desc, r.id;
  else
    return query
    select r.id, r.content_text, r.content_type::text, r.metadata, r.similarity, r.created_at
      from (select e.id, e.content_text, e.content_type, e.metadata, e.created_at,
                   1 - (e.embedding operator(extensions.<=>) p_query) as similarity
              from public.memory_embeddings e
             where e.user_id = uid and e.model = p_model and e.deleted_at is null
               and (p_content_type is null or e.content_type = p_content_type::public.memory_content_type)
               and (p_metadata is null or e.metadata @> p_metadata)
             order by (e.embedding operator(extensions.<=>) p_query) + 0, e.id
             limit p_match_count) r
     where p_min_similarity is null or r.similarity >= p_min_similarity
     order by r.similarity desc, r.id;
  end if;
end
$$;
comment on function public.match_memories(extensions.vector, integer, double precision, text, jsonb, text) is
  'The caller''s top p_match_count memories by cosine similarity (1 - distance), best first; '
  'exact up to 10,000 rows per user and model, HNSW iterative scan above (at most 100,000 '
  'tuples walked), and the exact scan whenever the walk finds fewer than p_match_count. '
  'Optional minimum similarity, type and metadata (containment) filters.';
