-- RPCs of the memories function: store embedded memories (deduplicated by content
-- hash and model), search them by cosine similarity with exact recall for the
-- caller, and list them. All security invoker: RLS keeps each user to their rows,
-- and every query also names the caller, so the planner can use the user indexes.

create or replace function public.insert_memories(
  p_model text,
  p_contents text[],
  p_types text[],
  p_metadata jsonb[],
  p_embeddings extensions.vector[])
returns table (id uuid, content_hash text, created boolean)
language plpgsql
security invoker
set search_path = ''
as $$
declare
  uid uuid := (select auth.uid());
  n integer := coalesce(array_length(p_contents, 1), 0);
begin
  if uid is null then
    raise exception using errcode = '42501', message = 'sign in to store memories';
  end if;
  if n < 1 or n > 256 then
    perform private.invalid('memories', 'must hold between 1 and 256 memories');
  end if;
  if coalesce(array_length(p_types, 1), 0) <> n or coalesce(array_length(p_metadata, 1), 0) <> n
     or coalesce(array_length(p_embeddings, 1), 0) <> n then
    perform private.invalid('memories', 'contents, types, metadata and embeddings must be parallel arrays');
  end if;
  if p_model is null or char_length(p_model) not between 1 and 100 then
    perform private.invalid('model', 'must be 1 to 100 characters');
  end if;
  perform private.check_one_of('content_type', t,
      pg_catalog.enum_range(null::public.memory_content_type)::text[])
    from unnest(p_types) t;
  if array_position(p_types, null) is not null then
    perform private.invalid('content_type', 'is required for every memory');
  end if;

  -- One statement: the second branch reads the snapshot from before the insert,
  -- so it returns exactly the rows that already existed. It matches hashes with
  -- `= any(array(...))`, which probes the unique index: `in (select ...)` was
  -- planned as a scan of the whole user's rows when one user holds most of the table.
  return query
  with input as (
    select u.content, u.content_type, u.metadata, u.embedding, u.ord
      from unnest(p_contents, p_types, p_metadata, p_embeddings)
           with ordinality as u(content, content_type, metadata, embedding, ord)
  ), inserted as (
    insert into public.memory_embeddings as m
           (user_id, content_text, content_type, model, embedding, metadata)
    select uid, i.content, i.content_type::public.memory_content_type, p_model, i.embedding,
           coalesce(i.metadata, '{}'::jsonb)
      from input i
     order by i.ord
    on conflict on constraint memory_embeddings_user_model_hash_key do nothing
    returning m.id, m.content_hash
  )
  select ins.id, ins.content_hash, true from inserted ins
  union all
  select e.id, e.content_hash, false
    from public.memory_embeddings e
   where e.user_id = uid and e.model = p_model
     and e.content_hash = any (array(
       select encode(pg_catalog.sha256(pg_catalog.convert_to(i.content, 'UTF8')), 'hex')
         from input i));
end
$$;
comment on function public.insert_memories(text, text[], text[], jsonb[], extensions.vector[]) is
  'POST /memories: stores up to 256 embedded memories for the caller; content already stored '
  'with the same model is not stored again. Returns (id, content_hash, created) per distinct content.';

-- How match_memories finds the caller's top k:
--   * a caller with at most private.memory_exact_max_rows() rows for the model (10,000)
--     gets an exact scan of their own rows (the user index narrows to them; the "+ 0"
--     in the ORDER BY keeps the planner off the HNSW index), so recall is 1 by
--     construction (~1.2 us per row with inline vectors: ~12 ms at 10,000 rows);
--   * above that, once every one of their rows is in the partial HNSW index, the graph
--     with pgvector's iterative scan in strict order, which keeps walking until k of
--     the caller's rows pass the filters; ef_search 400 (recall@10 1.000 at 21,000 rows,
--     200 and 300 gave 0.998). The graph branch is planned with the caller's values
--     (EXECUTE): a cached generic plan served the ORDER BY from the user index plus a
--     sort of every row (42 ms at 21,000 rows) instead of the graph (6 ms).
-- The limits come from bench/ (docs/benchmarks.md).
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
as $$
declare
  exact_max_rows constant integer := private.memory_exact_max_rows();
  uid uuid := (select auth.uid());
  n integer;
  use_graph boolean := false;
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

  if not use_graph then
    return query
    select r.id, r.content_text, r.content_type::text, r.metadata, r.similarity, r.created_at
      from (select e.id, e.content_text, e.content_type, e.metadata, e.created_at,
                   1 - (e.embedding operator(extensions.<=>) p_query) as similarity
              from public.memory_embeddings e
             where e.user_id = uid and e.model = p_model
               and (p_content_type is null or e.content_type = p_content_type::public.memory_content_type)
               and (p_metadata is null or e.metadata @> p_metadata)
             order by (e.embedding operator(extensions.<=>) p_query) + 0, e.id
             limit p_match_count) r
     where p_min_similarity is null or r.similarity >= p_min_similarity
     order by r.similarity desc, r.id;
  else
    -- EXECUTE plans with this caller's values every time. A cached generic plan
    -- does not know the caller is large and serves the ORDER BY from the user index
    -- plus a sort of every row (42 ms at 21,000 rows) instead of the graph (6 ms).
    return query execute $q$
    select r.id, r.content_text, r.content_type::text, r.metadata, r.similarity, r.created_at
      from (select e.id, e.content_text, e.content_type, e.metadata, e.created_at,
                   1 - (e.embedding operator(extensions.<=>) $1) as similarity
              from public.memory_embeddings e
             where e.in_ann_index and e.user_id = $2 and e.model = $3
               and ($4::text is null or e.content_type = $4::public.memory_content_type)
               and ($5::jsonb is null or e.metadata @> $5)
             order by e.embedding operator(extensions.<=>) $1
             limit $6) r
     where $7::double precision is null or r.similarity >= $7
     order by r.similarity desc, r.id
    $q$ using p_query, uid, p_model, p_content_type, p_metadata, p_match_count, p_min_similarity;
  end if;
end
$$;

comment on function public.match_memories(extensions.vector, integer, double precision, text, jsonb, text) is
  'POST /memories/search: the caller''s k most similar memories (similarity = 1 - cosine '
  'distance), exact up to 10,000 rows per user, HNSW iterative scan above once all of the '
  'user''s rows are in the index.';

create or replace function public.list_memories(
  p_content_type text default null,
  p_metadata jsonb default null,
  p_limit integer default 20,
  p_cursor text default null)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  uid uuid := (select auth.uid());
  c jsonb;
  c_ts timestamptz;
  c_id uuid;
  rows jsonb;
  n integer;
  last jsonb;
begin
  if p_limit is null or p_limit not between 1 and 100 then
    perform private.invalid('limit', 'must be between 1 and 100');
  end if;
  if p_metadata is not null and jsonb_typeof(p_metadata) <> 'object' then
    perform private.invalid('metadata', 'must be a JSON object');
  end if;
  perform private.check_one_of('content_type', p_content_type,
    pg_catalog.enum_range(null::public.memory_content_type)::text[]);
  if p_cursor is not null then
    -- Opaque base64url JSON {"t": created_at of the last row, "id": its id}.
    begin
      c := convert_from(decode(translate(p_cursor, '-_', '+/')
             || repeat('=', (4 - length(p_cursor) % 4) % 4), 'base64'), 'UTF8')::jsonb;
      c_ts := (c ->> 't')::timestamptz;
      c_id := (c ->> 'id')::uuid;
      if c_ts is null or c_id is null then raise exception 'incomplete'; end if;
    exception when others then
      perform private.invalid('cursor', 'is not a cursor of this listing');
    end;
  end if;

  select coalesce(jsonb_agg(jsonb_build_object(
           'id', e.id, 'content', e.content_text, 'content_type', e.content_type,
           'metadata', e.metadata, 'model', e.model, 'created_at', e.created_at)
           order by e.created_at desc, e.id desc), '[]'::jsonb),
         count(*)
    into rows, n
    from (select m.* from public.memory_embeddings m
           where m.user_id = uid
             and (p_content_type is null or m.content_type = p_content_type::public.memory_content_type)
             and (p_metadata is null or m.metadata @> p_metadata)
             and (p_cursor is null or (m.created_at, m.id) < (c_ts, c_id))
           order by m.created_at desc, m.id desc
           limit p_limit + 1) e;

  if n > p_limit then
    rows := rows - p_limit; -- drop the look-ahead row
    last := rows -> (p_limit - 1);
    return jsonb_build_object('items', rows, 'next_cursor',
      rtrim(translate(encode(convert_to(jsonb_build_object(
        't', last ->> 'created_at', 'id', last ->> 'id')::text, 'UTF8'), 'base64'), E'+/\n', '-_'), '='));
  end if;
  return jsonb_build_object('items', rows, 'next_cursor', null);
end
$$;
comment on function public.list_memories(text, jsonb, integer, text) is
  'GET /memories: the caller''s memories, newest first, filtered by type and metadata '
  'containment, keyset-paginated: {items, next_cursor}.';

revoke all on function public.insert_memories(text, text[], text[], jsonb[], extensions.vector[]) from public, anon;
revoke all on function public.match_memories(extensions.vector, integer, double precision, text, jsonb, text) from public, anon;
revoke all on function public.list_memories(text, jsonb, integer, text) from public, anon;
grant execute on function public.insert_memories(text, text[], text[], jsonb[], extensions.vector[]) to authenticated, service_role;
grant execute on function public.match_memories(extensions.vector, integer, double precision, text, jsonb, text) to authenticated, service_role;
grant execute on function public.list_memories(text, jsonb, integer, text) to authenticated, service_role;
