-- RPCs of the memories function: store embedded memories (deduplicated by content
-- hash and model), search them by cosine similarity with exact recall for the
-- caller, and list them. All security invoker: RLS keeps each user to their rows,
-- and every query also names the caller, so the planner can use the user indexes.

-- A new memory's vector goes to memory_vectors, in the writer's graph (the column's
-- default).
create function public.insert_memories(
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
  -- so it returns exactly the rows that already existed and were active (a deleted
  -- row with the same text is restored by the insert branch and counts as created). It matches hashes with
  -- `= any(array(...))`, which probes the unique index: `in (select ...)` was
  -- planned as a scan of the whole user's rows when one user holds most of the table.
  return query
  -- First occurrence of each text only: ON CONFLICT DO UPDATE may not touch a row twice.
  with input as (
    select distinct on (u.content) u.content, u.content_type, u.metadata, u.embedding, u.ord
      from unnest(p_contents, p_types, p_metadata, p_embeddings)
           with ordinality as u(content, content_type, metadata, embedding, ord)
     order by u.content, u.ord
  ), inserted as (
    insert into public.memory_embeddings as m
           (user_id, content_text, content_type, model, metadata)
    select uid, i.content, i.content_type::public.memory_content_type, p_model,
           coalesce(i.metadata, '{}'::jsonb)
      from input i
     order by i.ord
    on conflict on constraint memory_embeddings_user_model_hash_key do update
      set deleted_at = null
      where m.deleted_at is not null
    returning m.id, m.content_hash, m.xmax = 0 as is_new
  ), vectors as (
    -- A new memory's vector; a restored one kept its own.
    insert into public.memory_vectors (id, user_id, embedding)
    select ins.id, uid, i.embedding
      from inserted ins
      join input i
        on encode(pg_catalog.sha256(pg_catalog.convert_to(i.content, 'UTF8')), 'hex') = ins.content_hash
     where ins.is_new
  )
  select ins.id, ins.content_hash, true from inserted ins
  union all
  select e.id, e.content_hash, false
    from public.memory_embeddings e
   where e.user_id = uid and e.model = p_model and e.deleted_at is null
     and e.content_hash = any (array(
       select encode(pg_catalog.sha256(pg_catalog.convert_to(i.content, 'UTF8')), 'hex')
         from input i));
end
$$;
comment on function public.insert_memories(text, text[], text[], jsonb[], extensions.vector[]) is
  'POST /memories: stores up to 256 embedded memories for the caller; content already stored '
  'with the same model is not stored again (a deleted one is restored). Returns (id, content_hash, '
  'created) per distinct content.';
revoke all on function public.insert_memories(text, text[], text[], jsonb[],
  extensions.vector[]) from public;
grant execute on function public.insert_memories(text, text[], text[], jsonb[],
  extensions.vector[]) to authenticated;

-- The vector side of search: the caller's graph is a partition of memory_vectors, pruned
-- at plan time; partition 0 is scanned exactly for whatever of theirs is still there.
create function public.match_memories(
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
-- Every query planned with this call's values: Postgres then prunes memory_vectors to the
-- caller's partitions when it plans (a generic plan prunes when it runs, but PostgreSQL 15
-- locks every partition of a generic plan first: a cost that grows with the graphs).
set plan_cache_mode = force_custom_plan
set enable_seqscan = on
set enable_sort = on
set jit = off
as $$
declare
  uid constant uuid := (select auth.uid());
  my_graph constant smallint := private.my_memory_graph();
  q extensions.halfvec(512);
  my_rows bigint;
  graph_rows bigint;
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

  if my_graph > 0 then
    select c.my_rows, c.graph_rows into my_rows, graph_rows from private.my_memory_counts(p_model) c;
  end if;
  if my_graph > 0 and my_rows > private.memory_exact_max_rows() then
    -- How wide a walk must be grows with its graph: alone in a graph of n rows, a walk
    -- of 40 + n / 700 finds the true top 10 of 9,500- and 50,000-row users and 99.75% of
    -- a 100,000-row user's, as wider walks do (`npm run bench -- graphs`). A
    -- walk keeps the candidates of every user in the graph and returns the caller's, so
    -- a caller with a share s of a shared graph gets a walk 1 / sqrt(s) wider (at most
    -- 1,000), and never narrower than k (a walk returns at most ef_search rows).
    graph_rows := greatest(graph_rows, my_rows);
    perform pg_catalog.set_config('hnsw.ef_search', greatest(p_match_count,
      least(1000, ceil((40 + graph_rows / 700.0) * sqrt(graph_rows::numeric / my_rows))))::text, true);
    perform pg_catalog.set_config('hnsw.max_scan_tuples', private.memory_max_scan_tuples()::text, true);
    -- Alone in its graph and with no type or metadata filter, every row the walk finds
    -- is the caller's (deleted ones aside): nothing to resume, and a walk without the
    -- iterative scan's bookkeeping is cheaper. Fewer than k left after deleted rows: the
    -- exact scan answers, as below.
    if graph_rows = my_rows and p_content_type is null and p_metadata is null then
      perform pg_catalog.set_config('hnsw.iterative_scan', 'off', true);
    end if;
    -- Pruned to the caller's partition when planned; there, the HNSW index is the only
    -- plan left without seq scans and sorts. Each candidate is checked against its
    -- memory (live, this model, the filters) as the walk finds it.
    perform pg_catalog.set_config('enable_seqscan', 'off', true);
    perform pg_catalog.set_config('enable_sort', 'off', true);
    select array_agg(w.id) into walked from (
      select v.id from public.memory_vectors v
       where v.graph = my_graph and v.user_id = uid
         and exists (select 1 from public.memory_embeddings e
                      where e.id = v.id and e.model = p_model and e.deleted_at is null
                        and (p_content_type is null or e.content_type = p_content_type::public.memory_content_type)
                        and (p_metadata is null or e.metadata @> p_metadata))
       order by v.embedding operator(extensions.<=>) q
       limit p_match_count) w;
    perform pg_catalog.set_config('enable_seqscan', 'on', true);
    perform pg_catalog.set_config('enable_sort', 'on', true);
    -- Fewer than k: the walk gave up first, or fewer than k rows pass the filters; the
    -- exact scan below knows which.
    if coalesce(pg_catalog.cardinality(walked), 0) = p_match_count then
      -- The walk's k and whatever of the caller's is still in graph 0 (written by the
      -- service role, or before the sync moved it), best k of both.
      return query
      select e.id, e.content_text, e.content_type::text, e.metadata, 1 - t.d, e.created_at
        from (select v.id, v.embedding operator(extensions.<=>) q as d
                from public.memory_vectors v
               where v.graph = my_graph and v.id = any (walked)
              union all
              select v.id, v.embedding operator(extensions.<=>) q
                from public.memory_vectors v
                join public.memory_embeddings e on e.id = v.id
               where v.graph = 0 and v.user_id = uid
                 and e.model = p_model and e.deleted_at is null
                 and (p_content_type is null or e.content_type = p_content_type::public.memory_content_type)
                 and (p_metadata is null or e.metadata @> p_metadata)) t
        cross join lateral (select e.* from public.memory_embeddings e where e.id = t.id limit 1) e
       where p_min_similarity is null or 1 - t.d >= p_min_similarity
       order by t.d, e.id
       limit p_match_count;
      return;
    end if;
  end if;

  -- Every vector of the caller once (graph 0 and their own), in order of distance, each
  -- checked against its memory (live, this model, the filters) until k have passed: the
  -- distance is computed once a row, and memories are read for the k (and any that fail
  -- a filter), not for every row. OFFSET 0 keeps the sort below the check, and the check
  -- is a subquery, not a join: a join let the generic plan read all of the caller's
  -- memories for every candidate.
  if my_graph = 0 then
    -- Graph 0 named as a literal: the plan is pruned when made, so PL/pgSQL keeps one
    -- generic plan (planning this per call doubled a 10-row user's search).
    perform pg_catalog.set_config('plan_cache_mode', 'force_generic_plan', true);
    return query
    select e.id, e.content_text, e.content_type::text, e.metadata, 1 - t.d, e.created_at
      from (select t.id, t.d
              from (select v.id, v.embedding operator(extensions.<=>) q as d
                      from public.memory_vectors v
                     where v.user_id = uid and v.graph = 0
                     order by d, v.id
                    offset 0) t
             where (select e.user_id = uid and e.model = p_model and e.deleted_at is null
                           and (p_content_type is null or e.content_type = p_content_type::public.memory_content_type)
                           and (p_metadata is null or e.metadata @> p_metadata)
                      from public.memory_embeddings e where e.id = t.id)
               and (p_min_similarity is null or 1 - t.d >= p_min_similarity)
             limit p_match_count) t
      -- One lookup by key per result: a join let the planner read every memory of the
      -- caller to hash them (the policy's user_id index), 56 ms for a 100,000-row user.
      cross join lateral (select e.* from public.memory_embeddings e where e.id = t.id limit 1) e
     order by t.d, t.id;
    return;
  end if;
  -- A caller with a graph: their vectors in graph 0 and in their own.
  return query
  select e.id, e.content_text, e.content_type::text, e.metadata, 1 - t.d, e.created_at
    from (select t.id, t.d
            from (select v.id, v.embedding operator(extensions.<=>) q as d
                    from public.memory_vectors v
                   where v.user_id = uid and (v.graph = 0 or v.graph = my_graph)
                   order by d, v.id
                  offset 0) t
           where (select e.user_id = uid and e.model = p_model and e.deleted_at is null
                         and (p_content_type is null or e.content_type = p_content_type::public.memory_content_type)
                         and (p_metadata is null or e.metadata @> p_metadata)
                    from public.memory_embeddings e where e.id = t.id)
             and (p_min_similarity is null or 1 - t.d >= p_min_similarity)
           limit p_match_count) t
    -- One lookup by key per result: a join let the planner read every memory of the
    -- caller to hash them (the policy's user_id index), 56 ms for a 100,000-row user.
    cross join lateral (select e.* from public.memory_embeddings e where e.id = t.id limit 1) e
   order by t.d, t.id;
end
$$;
comment on function public.match_memories(extensions.vector, integer, double precision, text, jsonb, text) is
  'The caller''s top p_match_count memories by cosine similarity (1 - distance) to a '
  '512-dimension query, best first: exact up to 2,000 rows per user and model, above it a walk '
  'of the caller''s own HNSW graph (a partition of memory_vectors; at most 100,000 tuples '
  'visited) with the exact scan whenever the walk finds fewer than p_match_count. Optional '
  'minimum similarity, type and metadata (containment) filters.';
revoke all on function public.match_memories(extensions.vector, integer, double precision, text,
  jsonb, text) from public;
grant execute on function public.match_memories(extensions.vector, integer, double precision,
  text, jsonb, text) to authenticated;

create function public.list_memories(
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
           'metadata', e.metadata, 'model', e.model, 'source', e.source,
           'created_at', e.created_at, 'updated_at', e.updated_at)
           order by e.created_at desc, e.id desc), '[]'::jsonb),
         count(*)
    into rows, n
    from (select m.* from public.memory_embeddings m
           where m.user_id = uid and m.deleted_at is null
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
revoke all on function public.list_memories(text, jsonb, integer, text) from public;
grant execute on function public.list_memories(text, jsonb, integer, text) to authenticated;
