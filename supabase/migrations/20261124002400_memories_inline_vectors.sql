-- Per-user exact search, about 5x cheaper per row. A 1536-dimension vector is
-- 6 KB, over the 2 KB TOAST threshold, so with the type's default storage
-- (EXTENDED) every embedding lived out of line: the exact scan of match_memories
-- detoasted each row (~5.7 us/row here; 5,000 rows = 28 ms). With MAIN the vector
-- stays in the heap row whenever it fits a page (content_text, still EXTENDED, is
-- moved out first): 1.2 us/row, 6 ms for 5,000 rows. This applies to rows written
-- from now on; existing rows keep their out-of-line vectors until rewritten (see
-- docs/benchmarks.md for the one-off rewrite).
--
-- Inline vectors make every heap row ~6 KB, so the row count that picks the exact
-- path gets an index of its own (index-only, no heap visit), and the exact path
-- stops at 10,000 rows (~12 ms for one query): above it, the HNSW index with an
-- iterative scan.

alter table public.memory_embeddings alter column embedding set storage main;

create index if not exists idx_memory_embeddings_user_model
  on public.memory_embeddings (user_id, model);
comment on index public.idx_memory_embeddings_user_model is
  'Counts a user''s rows per model without visiting the heap: match_memories picks exact '
  'search or HNSW from it.';

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
set hnsw.ef_search = 200
as $$
declare
  exact_max_rows constant integer := 10000;
  uid uuid := (select auth.uid());
  n integer;
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

  select count(*) into n from (
    select 1 from public.memory_embeddings e
     where e.user_id = uid and e.model = p_model
     limit exact_max_rows + 1) s;

  if n <= exact_max_rows then
    return query
    select r.id, r.content_text, r.content_type, r.metadata, r.similarity, r.created_at
      from (select e.id, e.content_text, e.content_type, e.metadata, e.created_at,
                   1 - (e.embedding operator(extensions.<=>) p_query) as similarity
              from public.memory_embeddings e
             where e.user_id = uid and e.model = p_model
               and (p_content_type is null or e.content_type = p_content_type)
               and (p_metadata is null or e.metadata @> p_metadata)
             order by (e.embedding operator(extensions.<=>) p_query) + 0, e.id
             limit p_match_count) r
     where p_min_similarity is null or r.similarity >= p_min_similarity
     order by r.similarity desc, r.id;
  else
    return query
    select r.id, r.content_text, r.content_type, r.metadata, r.similarity, r.created_at
      from (select e.id, e.content_text, e.content_type, e.metadata, e.created_at,
                   1 - (e.embedding operator(extensions.<=>) p_query) as similarity
              from public.memory_embeddings e
             where e.user_id = uid and e.model = p_model
               and (p_content_type is null or e.content_type = p_content_type)
               and (p_metadata is null or e.metadata @> p_metadata)
             order by e.embedding operator(extensions.<=>) p_query
             limit p_match_count) r
     where p_min_similarity is null or r.similarity >= p_min_similarity
     order by r.similarity desc, r.id;
  end if;
end
$$;

comment on function public.match_memories(extensions.vector, integer, double precision, text, jsonb, text) is
  'POST /memories/search: the caller''s k most similar memories (similarity = 1 - cosine '
  'distance), exact up to 10,000 rows per user, HNSW iterative scan above.';
