-- One memory model, with a history. The guide had two tables: `memories` (text,
-- type, importance; nothing ever read or wrote it) and `memory_embeddings` (the text,
-- its vector, its hash: everything the API stores and searches). Now there is one
-- table per job:
--
--   memory_embeddings  one row per memory: its text, vector, who wrote it (`source`:
--                      the user directly, or the extractor from a conversation) and,
--                      once deleted, when (`deleted_at`: kept for its history and
--                      restorable, never listed or searched);
--   memory_history     every change of a memory: ADD, UPDATE, DELETE, RESTORE, with the
--                      old and new text, the actor and the conversation it came from.
--
-- History is written by a trigger, so a change through the Data API is recorded like
-- one through the function. The functions name the actor and the source conversation
-- in transaction-local settings (memories.actor, memories.session_id,
-- memories.message_id); absent, the actor is the user.

alter table public.memory_embeddings drop column memory_id;
drop table public.memories;

create type public.memory_source as enum ('user', 'extractor');
comment on type public.memory_source is
  'Who wrote a memory: the user directly, or the extractor from a conversation.';
create type public.memory_event as enum ('ADD', 'UPDATE', 'DELETE', 'RESTORE');
comment on type public.memory_event is 'A change in a memory''s history.';

alter table public.memory_embeddings
  add column source public.memory_source not null default 'user',
  add column deleted_at timestamptz;
comment on table public.memory_embeddings is
  'The memories: one row per memory, its text, its embedding for semantic (cosine) search, who '
  'wrote it and, once deleted, when (deleted rows keep their history and can be restored).';
comment on column public.memory_embeddings.source is
  'user: stored as given, never changed by the extractor; extractor: from a conversation.';
comment on column public.memory_embeddings.deleted_at is
  'Set when deleted: no longer listed or searched; restorable. Null while active.';
-- The user's own edits go through the function (PATCH re-embeds); delete and restore
-- are a flag. Added to the grants restated by ..._table_grants_restated.
grant update (content_text, embedding, deleted_at, source) on public.memory_embeddings to authenticated;

create table public.memory_history (
  id bigint generated always as identity primary key,
  memory_id uuid not null references public.memory_embeddings (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  event public.memory_event not null,
  old_memory text,
  new_memory text,
  actor public.memory_source not null,
  session_id uuid,
  message_id bigint,
  created_at timestamptz not null default now()
);
comment on table public.memory_history is
  'Every change of a memory, oldest first: written by the database, read by its owner.';
comment on column public.memory_history.actor is 'Who made the change: the user or the extractor.';
comment on column public.memory_history.session_id is 'The chat session the change came from, if any.';
comment on column public.memory_history.message_id is 'The chat message the change came from, if any.';
create index idx_memory_history_memory on public.memory_history (memory_id, id);
comment on index public.idx_memory_history_memory is 'A memory''s history in order.';
create index idx_memory_history_user on public.memory_history (user_id);
comment on index public.idx_memory_history_user is 'Foreign key: users deleted cascade.';

alter table public.memory_history enable row level security;
create policy "memory_history: own rows" on public.memory_history
  for select to authenticated
  using (user_id = (select auth.uid()));
grant select on public.memory_history to authenticated;
grant all on public.memory_history to service_role;

-- Definer: the API roles read history but never write it.
create or replace function private.record_memory_history()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  ev public.memory_event;
  actor public.memory_source := case current_setting('memories.actor', true)
    when 'extractor' then 'extractor'::public.memory_source else 'user'::public.memory_source end;
  session uuid;
  message bigint;
begin
  if tg_op = 'INSERT' then
    ev := 'ADD';
  elsif old.deleted_at is null and new.deleted_at is not null then
    ev := 'DELETE';
  elsif old.deleted_at is not null and new.deleted_at is null then
    ev := 'RESTORE';
  elsif old.content_text is distinct from new.content_text then
    ev := 'UPDATE';
  else
    return null;
  end if;
  begin
    session := nullif(current_setting('memories.session_id', true), '')::uuid;
    message := nullif(current_setting('memories.message_id', true), '')::bigint;
  exception when others then
    session := null; message := null; -- a malformed label never blocks a change
  end;
  insert into public.memory_history (memory_id, user_id, event, old_memory, new_memory, actor,
                                     session_id, message_id)
  values (new.id, new.user_id, ev,
          case when tg_op = 'UPDATE' then old.content_text end,
          case when ev = 'DELETE' then null else new.content_text end,
          actor, session, message);
  return null;
end
$$;
comment on function private.record_memory_history() is
  'AFTER INSERT/UPDATE trigger on memory_embeddings: appends ADD, UPDATE, DELETE or RESTORE '
  'to memory_history, with the actor and source conversation of memories.* settings.';
revoke all on function private.record_memory_history() from public;

create trigger memory_embeddings_history
  after insert or update of content_text, deleted_at on public.memory_embeddings
  for each row execute function private.record_memory_history();
comment on trigger memory_embeddings_history on public.memory_embeddings is
  'Every change of a memory goes to memory_history (private.record_memory_history).';

-- Restated whole: deleted memories are never listed, searched or counted as present.

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
           (user_id, content_text, content_type, model, embedding, metadata)
    select uid, i.content, i.content_type::public.memory_content_type, p_model, i.embedding,
           coalesce(i.metadata, '{}'::jsonb)
      from input i
     order by i.ord
    on conflict on constraint memory_embeddings_user_model_hash_key do update
      set deleted_at = null
      where m.deleted_at is not null
    returning m.id, m.content_hash
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
             where e.user_id = uid and e.model = p_model and e.deleted_at is null
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
             where e.in_ann_index and e.user_id = $2 and e.model = $3 and e.deleted_at is null
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

-- The extractor's changes, applied together. The decisions were taken from a
-- snapshot; here, under a per-user lock, each is checked again against what is
-- stored now, so two runs on the same conversation at once leave each fact once,
-- and a memory deleted or edited by its user in the meantime is not overwritten.

create or replace function private.add_extracted_memory(
  p_uid uuid, p_model text, p_text text, p_embedding extensions.vector,
  p_content_type public.memory_content_type, p_metadata jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  hash text := encode(pg_catalog.sha256(pg_catalog.convert_to(p_text, 'UTF8')), 'hex');
  row public.memory_embeddings;
begin
  select * into row from public.memory_embeddings e
   where e.user_id = p_uid and e.model = p_model and e.content_hash = hash
   for update;
  if row.id is not null and row.deleted_at is null then
    return jsonb_build_object('id', row.id, 'memory', row.content_text, 'event', 'NONE');
  elsif row.id is not null then
    -- Said again after it was deleted: the same memory comes back, its history intact.
    update public.memory_embeddings e set deleted_at = null where e.id = row.id;
    return jsonb_build_object('id', row.id, 'memory', row.content_text, 'event', 'ADD');
  end if;
  insert into public.memory_embeddings (user_id, content_text, content_type, model, embedding,
                                        metadata, source)
  values (p_uid, p_text, p_content_type, p_model, p_embedding, p_metadata, 'extractor')
  on conflict on constraint memory_embeddings_user_model_hash_key do nothing
  returning * into row;
  if row.id is null then
    -- Stored by a plain POST /memories between our check and our insert.
    select * into row from public.memory_embeddings e
     where e.user_id = p_uid and e.model = p_model and e.content_hash = hash;
    return jsonb_build_object('id', row.id, 'memory', row.content_text, 'event', 'NONE');
  end if;
  return jsonb_build_object('id', row.id, 'memory', row.content_text, 'event', 'ADD');
end
$$;
comment on function private.add_extracted_memory(uuid, text, text, extensions.vector,
  public.memory_content_type, jsonb) is
  'Stores a fact as an extractor memory unless the same text is active (NONE); a deleted one '
  'with that text is restored. For apply_memory_decisions, under its lock and the caller''s RLS.';
revoke all on function private.add_extracted_memory(uuid, text, text, extensions.vector,
  public.memory_content_type, jsonb) from public;
grant execute on function private.add_extracted_memory(uuid, text, text, extensions.vector,
  public.memory_content_type, jsonb) to authenticated, service_role;

create or replace function public.apply_memory_decisions(
  p_model text,
  p_ops jsonb,
  p_embeddings extensions.vector[],
  p_context jsonb default '{}'::jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  uid uuid := (select auth.uid());
  op jsonb;
  results jsonb := '[]'::jsonb;
  target public.memory_embeddings;
  other uuid;
  vec extensions.vector;
  kind public.memory_content_type;
  meta jsonb;
  new_text text;
begin
  if uid is null then
    raise exception using errcode = '42501', message = 'sign in to store memories';
  end if;
  if p_ops is null or jsonb_typeof(p_ops) <> 'array' or jsonb_array_length(p_ops) > 100 then
    perform private.invalid('ops', 'must be an array of at most 100 operations');
  end if;
  if p_model is null or char_length(p_model) not between 1 and 100 then
    perform private.invalid('model', 'must be 1 to 100 characters');
  end if;
  if p_context is null or jsonb_typeof(p_context) <> 'object' then
    perform private.invalid('context', 'must be a JSON object');
  end if;
  -- Labels for the history trigger, this transaction only.
  perform pg_catalog.set_config('memories.actor', 'extractor', true);
  perform pg_catalog.set_config('memories.session_id', coalesce(p_context ->> 'session_id', ''), true);
  perform pg_catalog.set_config('memories.message_id', coalesce(p_context ->> 'message_id', ''), true);
  -- One writer per user at a time: the checks below see every earlier run's result.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('memories:' || uid::text, 0));

  for op in select x from jsonb_array_elements(p_ops) x loop
    new_text := btrim(op ->> 'text');
    vec := p_embeddings[(op ->> 'embedding')::integer + 1];
    kind := coalesce(op ->> 'content_type', 'fact')::public.memory_content_type;
    meta := coalesce(op -> 'metadata', '{}'::jsonb);
    if jsonb_typeof(meta) <> 'object' then
      perform private.invalid('metadata', 'must be a JSON object');
    end if;
    if op ->> 'event' in ('ADD', 'UPDATE')
       and (new_text is null or char_length(new_text) not between 1 and 8000 or vec is null) then
      perform private.invalid('ops', 'ADD and UPDATE need a text of 1 to 8000 characters and its embedding');
    end if;
    target := null;
    if op ->> 'event' in ('UPDATE', 'DELETE') then
      begin
        select * into target from public.memory_embeddings e
         where e.id = (op ->> 'memory_id')::uuid and e.user_id = uid and e.model = p_model
         for update;
      exception when invalid_text_representation then
        target := null;
      end;
    end if;

    case op ->> 'event'
    when 'ADD' then
      results := results || private.add_extracted_memory(uid, p_model, new_text, vec, kind, meta);
    when 'UPDATE' then
      if target.id is null or target.deleted_at is not null or target.source <> 'extractor' then
        -- Gone, deleted or taken over by its user since the decision: the fact is kept
        -- as a memory of its own instead of being lost.
        results := results || private.add_extracted_memory(uid, p_model, new_text, vec, kind, meta);
        continue;
      end if;
      select e.id into other from public.memory_embeddings e
       where e.user_id = uid and e.model = p_model and e.deleted_at is null and e.id <> target.id
         and e.content_hash = encode(pg_catalog.sha256(pg_catalog.convert_to(new_text, 'UTF8')), 'hex');
      if new_text = target.content_text or other is not null then
        results := results || jsonb_build_object('id', coalesce(other, target.id), 'memory', new_text,
                                                 'event', 'NONE');
        continue;
      end if;
      update public.memory_embeddings e set content_text = new_text, embedding = vec
       where e.id = target.id;
      results := results || jsonb_build_object('id', target.id, 'memory', new_text, 'event', 'UPDATE',
                                               'previous_memory', target.content_text);
    when 'DELETE' then
      if target.id is not null and target.deleted_at is null and target.source = 'extractor' then
        update public.memory_embeddings e set deleted_at = now() where e.id = target.id;
        results := results || jsonb_build_object('id', target.id, 'memory', target.content_text,
                                                 'event', 'DELETE');
      end if;
    else
      perform private.invalid('ops', 'event must be ADD, UPDATE or DELETE');
    end case;
  end loop;
  return results;
end
$$;
comment on function public.apply_memory_decisions(text, jsonb, extensions.vector[], jsonb) is
  'POST /memories with infer: applies the extractor''s ADD/UPDATE/DELETE operations in one '
  'transaction under a per-user lock, re-checking each against what is stored now; returns '
  '[{id, memory, event, previous_memory?}]. Memories the user wrote are never changed.';
revoke all on function public.apply_memory_decisions(text, jsonb, extensions.vector[], jsonb) from public, anon;
grant execute on function public.apply_memory_decisions(text, jsonb, extensions.vector[], jsonb)
  to authenticated, service_role;

revoke all on function public.insert_memories(text, text[], text[], jsonb[], extensions.vector[]) from public, anon;
revoke all on function public.match_memories(extensions.vector, integer, double precision, text, jsonb, text) from public, anon;
revoke all on function public.list_memories(text, jsonb, integer, text) from public, anon;
grant execute on function public.insert_memories(text, text[], text[], jsonb[], extensions.vector[]) to authenticated, service_role;
grant execute on function public.match_memories(extensions.vector, integer, double precision, text, jsonb, text) to authenticated, service_role;
grant execute on function public.list_memories(text, jsonb, integer, text) to authenticated, service_role;
