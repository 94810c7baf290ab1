-- Memories: one model with a history, searched in partitioned vectors, hybrid search.
--
-- From 0.1.0's two tables (`memories`, never read or written, and `memory_embeddings`,
-- the text and its 1,536-d vector) to one table per job:
--
--   memory_embeddings  one row per memory: its text, who wrote it (`source`) and, once
--                      deleted, when (`deleted_at`: restorable, never listed or searched);
--   memory_vectors     its 512-d half-precision embedding, partitioned by graph: 0 for
--                      users searched exactly, n for a large user's own HNSW graph;
--   memory_history     every change of a memory (ADD, UPDATE, DELETE, RESTORE);
--
-- with a version per user (cache keys) and a count per user and model kept by statement
-- triggers, embedding models as data (private.embedding_models), keyword search beside
-- vector search (content_tsv, search_memories), and a graph sync every minute
-- (`memory-graphs`) in place of 0.1.0's shared HNSW index and its `memory-ann-index` job.
-- supabase/schemas/12_memory_graphs.sql, 13_memories.sql and 14_memory_search.sql say
-- why each part is as it is.
--
-- Upgrade: every 0.1.0 embedding becomes its 512-d form (the first 512 numbers,
-- re-normalised: the 512-dimension embedding of its text for text-embedding-3 models;
-- rows of another model must be embedded again) in graph 0; users above the exact limit
-- get their graphs at the end, built in bulk. `memories` had no data any API wrote.

-- 0.1.0's shared index and its machinery.
select cron.unschedule(j.jobid) from cron.job j where j.jobname = 'memory-ann-index';
drop trigger memory_embeddings_ann_flag on public.memory_embeddings;
drop function private.memory_embeddings_ann_flag();
drop function private.sync_memory_ann_index(integer);
drop table private.memory_ann_users;
drop index public.idx_memory_embeddings_hnsw;
drop index public.idx_memory_embeddings_user_model;
alter table public.memory_embeddings drop column memory_id;
drop table public.memories;

-- A GIN index on (user_id, content_tsv) needs btree_gin for the uuid.
create extension if not exists btree_gin with schema extensions;

create table private.memory_graph_users (
  user_id uuid primary key references auth.users (id) on delete cascade,
  graph smallint not null check (graph >= 1),
  registered_at timestamptz not null default pg_catalog.now()
);
alter table private.memory_graph_users enable row level security;
comment on table private.memory_graph_users is
  'The users above the exact-search limit and the graph (partition of memory_vectors) that '
  'holds their vectors. Written by private.sync_memory_graphs only.';
comment on column private.memory_graph_users.graph is 'The partition: private.memory_vectors_<graph>.';

create index idx_memory_graph_users_graph on private.memory_graph_users (graph);
comment on index private.idx_memory_graph_users_graph is 'The users of a graph (its load).';

create function private.my_memory_graph()
returns smallint
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return coalesce((select g.graph from private.memory_graph_users g
                    where g.user_id = (select auth.uid())), 0);
end
$$;
comment on function private.my_memory_graph() is
  'The graph holding the calling user''s vectors: 0 (exact search) until private.sync_memory_graphs '
  'gives them one. The default of memory_vectors.graph. Security definer: the registry is '
  'private; only the caller''s own graph is read. PL/pgSQL so that its plan is kept.';
revoke all on function private.my_memory_graph() from public;
grant execute on function private.my_memory_graph() to authenticated, service_role;

create function private.memory_graph_count()
returns integer
language sql
stable
set search_path = ''
as $$
  -- memories.graph_count lets the database tests fill every graph with a few users.
  select coalesce(nullif(current_setting('memories.graph_count', true), '')::integer, 1024)
$$;
comment on function private.memory_graph_count() is
  'How many HNSW graphs (partitions of memory_vectors) there may be: 1,024; the setting '
  'memories.graph_count overrides it for tests. Beyond it, new users share the least-loaded one.';
revoke all on function private.memory_graph_count() from public;

-- The exact limit: an exact scan costs ~0.8 us of CPU a row, so past a few thousand rows
-- a user's own graph answers well within the search target and a scan does not
-- (docs/benchmarks.md has the per-size figures).
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
  'memories.exact_max_rows overrides it for tests). Above it: the user''s own HNSW graph.';
revoke all on function private.memory_exact_max_rows() from public;
grant execute on function private.memory_exact_max_rows() to authenticated, service_role;

-- match_memories on the graph path never answers fewer than k when the caller has k.
-- pgvector's iterative scan stops after hnsw.max_scan_tuples visited tuples (20,000 by
-- default): once a user's rows are a small share of a large shared graph, or filters
-- (type, metadata, deleted) keep few of them, a walk can end with fewer than k rows.
-- The walk visits up to 100,000 tuples, and when it still finds fewer than k the exact
-- scan of the caller's rows answers instead (slower for that query, never short).
create function private.memory_max_scan_tuples()
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

create function private.my_memory_counts(p_model text, out my_rows bigint, out graph_rows bigint)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  uid constant uuid := (select auth.uid());
begin
  my_rows := coalesce((select c.n from private.memory_counts c
                        where c.user_id = uid and c.model = p_model), 0);
  graph_rows := (select coalesce(sum(c.n), 0) from private.memory_graph_users g
                   join private.memory_graph_users o on o.graph = g.graph
                   join private.memory_counts c on c.user_id = o.user_id
                  where g.user_id = uid);
end
$$;
comment on function private.my_memory_counts(text) is
  'The calling user''s memories of a model (my_rows) and the rows of every user in their '
  'graph (graph_rows; 0 without a graph), from private.memory_counts: how wide a walk must '
  'be. Security definer: the counts are private; only the caller''s own are read.';
revoke all on function private.my_memory_counts(text) from public;
grant execute on function private.my_memory_counts(text) to authenticated, service_role;

create type public.memory_source as enum ('user', 'extractor');
comment on type public.memory_source is
  'Who wrote a memory: the user directly, or the extractor from a conversation.';

create type public.memory_event as enum ('ADD', 'UPDATE', 'DELETE', 'RESTORE');
comment on type public.memory_event is 'A change in a memory''s history.';

-- Codes are written "LH123" and "LH 123": both forms of each are indexed and searched
-- (private.with_code_parts), so either finds the other.
create function private.with_code_parts(p_text text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select p_text || ' ' || pg_catalog.regexp_replace(
    pg_catalog.regexp_replace(p_text, '([[:alpha:]])([[:digit:]])', '\1 \2', 'g'),
    '([[:digit:]])([[:alpha:]])', '\1 \2', 'g')
$$;
comment on function private.with_code_parts(text) is
  'The text followed by itself with letters and digits split apart ("LH123" -> "LH 123"), '
  'so that both spellings of a code meet in keyword search.';
revoke all on function private.with_code_parts(text) from public;
grant execute on function private.with_code_parts(text) to authenticated, service_role;

-- Embedding models are data, not client input: the models a deployment serves are rows
-- of private.embedding_models, out of the API's reach, and memory_embeddings.model must
-- name one of them (a free-text model would let one user open any number of counts,
-- limits and graphs, whose budget every user shares). The functions register the model
-- they are configured with (OPENAI_EMBEDDING_MODEL) through their admin client. The
-- per-user limit counts all of a user's memories, whatever their model.
create table private.embedding_models (
  name text primary key check (char_length(name) between 1 and 100),
  created_at timestamptz not null default now()
);
alter table private.embedding_models enable row level security;
comment on table private.embedding_models is
  'The embedding models this deployment serves: memory_embeddings.model names one of them. '
  'Written by the functions'' admin client (their OPENAI_EMBEDDING_MODEL) or by an operator; '
  'never by the API roles.';
comment on column private.embedding_models.name is 'The model''s name as the embeddings API takes it.';
-- The default model, and every model memories are already stored under (their rows are
-- kept; an operator may re-embed and remove the ones the deployment does not serve).
insert into private.embedding_models (name)
select 'text-embedding-3-small'
union
select distinct e.model from public.memory_embeddings e;
grant select, insert, delete on private.embedding_models to service_role;

-- The memory row: who wrote it, whether deleted, its words, its graph; the model must
-- be one the deployment serves.
alter table public.memory_embeddings
  add column source public.memory_source not null default 'user',
  add column deleted_at timestamptz,
  add column content_tsv tsvector
    generated always as (to_tsvector('english'::regconfig, private.with_code_parts(content_text)))
    stored,
  add column graph smallint not null default private.my_memory_graph(),
  add constraint memory_embeddings_model_fkey foreign key (model)
    references private.embedding_models (name) on update cascade,
  add constraint memory_embeddings_id_user_graph_key unique (id, user_id, graph);
comment on table public.memory_embeddings is
  'The memories: one row per memory, its text, its embedding for semantic (cosine) search, who '
  'wrote it and, once deleted, when (deleted rows keep their history and can be restored).';
comment on column public.memory_embeddings.source is
  'user: stored as given, never changed by the extractor; extractor: from a conversation.';
comment on column public.memory_embeddings.deleted_at is
  'Set when deleted: no longer listed or searched; restorable. Null while active.';
comment on column public.memory_embeddings.content_tsv is
  'The memory''s words for keyword search (English configuration, codes also split), '
  'generated from content_text.';
comment on column public.memory_embeddings.graph is
  'The graph (partition of memory_vectors) holding the memory''s vector: the writer''s by default '
  '(private.my_memory_graph()), changed by private.sync_memory_graphs; never set by clients.';
revoke insert, update on public.memory_embeddings from authenticated;
grant insert (id, user_id, content_text, content_type, content_hash, model, metadata,
  created_at, updated_at, source, deleted_at) on public.memory_embeddings to authenticated;
grant update (content_text, content_type, metadata, source, deleted_at) on
  public.memory_embeddings to authenticated;

comment on constraint memory_embeddings_model_fkey on public.memory_embeddings is
  'A memory is embedded with a model the deployment serves (private.embedding_models).';

comment on constraint memory_embeddings_id_user_graph_key on public.memory_embeddings is
  'What memory_vectors references: a vector''s user and graph are its memory''s.';

drop trigger memory_embeddings_set_updated_at on public.memory_embeddings;
create trigger memory_embeddings_set_updated_at before update on public.memory_embeddings
  for each row when (old.graph is not distinct from new.graph)
  execute function private.set_updated_at();
comment on trigger memory_embeddings_set_updated_at on public.memory_embeddings is
  'updated_at = now() on every change but a move to another graph (private.set_updated_at).';

create index idx_memory_embeddings_user_tsv on public.memory_embeddings
  using gin (user_id, content_tsv);
comment on index public.idx_memory_embeddings_user_tsv is
  'Keyword search of one user''s memories (search_memories, keyword side).';

create index idx_memory_embeddings_graph_0 on public.memory_embeddings (user_id) where graph = 0;
comment on index public.idx_memory_embeddings_graph_0 is
  'Memories in graph 0, by user: the sync finds what a user with a graph still has there '
  'without reading the rest of their memories.';

-- The vectors: (id, user_id, graph) names the memory, so a vector belongs to its
-- memory's owner, is in its memory's graph, and goes with it.
--
-- 512-dimension half-precision vectors: an exact per-user search is one pass over that
-- user's rows, and a 1 KB halfvec(512) row fits 6-7 to a page where a 6 KB vector(1536)
-- row fills one, with a third of the arithmetic. text-embedding-3 models are trained so
-- that the first n numbers of an embedding, re-normalised, are an n-dimension embedding
-- of their own (the API's `dimensions` parameter); OpenAI's published MTEB average for
-- text-embedding-3-small is 62.3 at 1,536 dimensions and 61.6 at 512, and half
-- precision moves a cosine by about 1e-4. The vector stays in the row (storage main), so
-- a scan never reads it from TOAST.
create table public.memory_vectors (
  id uuid not null,
  user_id uuid not null default auth.uid(),
  graph smallint not null default private.my_memory_graph(),
  embedding extensions.halfvec(512) not null,
  primary key (id, user_id, graph),
  foreign key (id, user_id, graph) references public.memory_embeddings (id, user_id, graph)
    on delete cascade on update cascade
) partition by list (graph);
alter table public.memory_vectors alter column embedding set storage main;
alter table public.memory_vectors enable row level security;
comment on table public.memory_vectors is
  'The embedding of each memory (one row per memory of public.memory_embeddings), '
  'partitioned by graph: 0 for users searched exactly, n for a large user''s own HNSW graph.';
comment on column public.memory_vectors.id is 'The memory (public.memory_embeddings.id).';
comment on column public.memory_vectors.user_id is 'The memory''s owner.';
comment on column public.memory_vectors.graph is
  'The partition holding the vector: the writer''s graph by default (private.my_memory_graph()), '
  'moved by private.sync_memory_graphs; never set by clients.';
comment on column public.memory_vectors.embedding is
  '512-d half-precision embedding (text-embedding-3 with dimensions = 512) of the memory''s '
  'text under its model (memory_embeddings.model); compare with <=> (cosine distance).';
grant select, delete on public.memory_vectors to authenticated;
grant insert (id, user_id, embedding) on public.memory_vectors to authenticated;
grant update (embedding) on public.memory_vectors to authenticated;

create index idx_memory_vectors_user on public.memory_vectors (user_id);
comment on index public.idx_memory_vectors_user is
  'A user''s vectors in a partition: exact search, the sync''s moves, the RLS policy.';

create table private.memory_vectors_0 partition of public.memory_vectors for values in (0);
alter table private.memory_vectors_0 alter column embedding set storage main;
alter table private.memory_vectors_0 enable row level security;
comment on table private.memory_vectors_0 is
  'Graph 0 of public.memory_vectors: the vectors of users searched exactly (no HNSW index). '
  'Read and written through public.memory_vectors only.';

create policy "memory_vectors: own rows" on public.memory_vectors
  for all to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

-- Each 0.1.0 embedding, as its 512-d form, in graph 0; then the column goes.
insert into private.memory_vectors_0 (id, user_id, graph, embedding)
select e.id, e.user_id, 0,
       extensions.l2_normalize(extensions.subvector(e.embedding, 1, 512))::extensions.halfvec(512)
  from public.memory_embeddings e;
alter table public.memory_embeddings drop column embedding;
alter table public.memory_embeddings drop column in_ann_index;

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
alter table public.memory_history enable row level security;
comment on table public.memory_history is
  'Every change of a memory, oldest first: written by the database, read by its owner.';
comment on column public.memory_history.actor is 'Who made the change: the user or the extractor.';
comment on column public.memory_history.session_id is 'The chat session the change came from, if any.';
comment on column public.memory_history.message_id is 'The chat message the change came from, if any.';
grant select on public.memory_history to authenticated;

create index idx_memory_history_memory on public.memory_history (memory_id, id);
comment on index public.idx_memory_history_memory is 'A memory''s history in order.';

create index idx_memory_history_user on public.memory_history (user_id);
comment on index public.idx_memory_history_user is 'Foreign key: users deleted cascade.';

create policy "memory_history: own rows" on public.memory_history
  for select to authenticated
  using (user_id = (select auth.uid()));

-- Definer: the API roles read history but never write it.
create function private.record_memory_history()
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

create function private.add_extracted_memory(
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
  insert into public.memory_embeddings (user_id, content_text, content_type, model, metadata, source)
  values (p_uid, p_text, p_content_type, p_model, p_metadata, 'extractor')
  on conflict on constraint memory_embeddings_user_model_hash_key do nothing
  returning * into row;
  if row.id is not null then
    insert into public.memory_vectors (id, user_id, embedding) values (row.id, p_uid, p_embedding);
  end if;
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

create function public.apply_memory_decisions(
  p_model text,
  p_ops jsonb,
  p_embeddings extensions.vector[],
  p_context jsonb default '{}'::jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = ''
-- Each statement pruned to the caller's partitions when planned (see match_memories).
set plan_cache_mode = force_custom_plan
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
  -- The partitions the caller's vectors can be in (a value, so that each statement is
  -- pruned to them when planned).
  graphs constant smallint[] := array[0, private.my_memory_graph()];
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
      update public.memory_embeddings e set content_text = new_text where e.id = target.id;
      update public.memory_vectors v set embedding = vec
       where v.id = target.id and v.user_id = uid and v.graph = any (graphs);
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
revoke all on function public.apply_memory_decisions(text, jsonb, extensions.vector[], jsonb)
  from public;
grant execute on function public.apply_memory_decisions(text, jsonb, extensions.vector[], jsonb)
  to authenticated;

-- A version per user's memories, for the cache (docs/cache.md). Every statement that
-- inserts, updates or deletes a user's memories increments that user's version in the
-- same transaction, so a version read after a commit is never one a cached answer from
-- before the commit was stored under: cached searches and lists are keyed by it and are
-- simply never read again once it moves.
create table private.memory_versions (
  user_id uuid primary key references auth.users (id) on delete cascade,
  version bigint not null default 0
);
comment on table private.memory_versions is
  'Per user: incremented by every statement that changes the user''s memories (cache keys).';
grant select on private.memory_versions to service_role;

create function private.memory_version(p_user uuid)
returns bigint
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce((select v.version from private.memory_versions v where v.user_id = p_user), 0);
$$;
comment on function private.memory_version(uuid) is
  'The user''s memory version (0 before any change). Read by the functions'' admin client.';
revoke all on function private.memory_version(uuid) from public;
grant execute on function private.memory_version(uuid) to service_role;

-- Rows per user and model, kept by the statement trigger that keeps the cache versions:
-- the every-minute graph sync finds the users above the exact limit here, without
-- reading memory_embeddings (at a million rows, counting it starved every query).
create table private.memory_counts (
  user_id uuid not null references auth.users (id) on delete cascade,
  model text not null,
  n bigint not null default 0,
  primary key (user_id, model)
);
comment on table private.memory_counts is
  'Rows of memory_embeddings per user and model, kept by trigger: which users are above the '
  'exact limit, without counting.';
insert into private.memory_counts (user_id, model, n)
select e.user_id, e.model, count(*) from public.memory_embeddings e group by e.user_id, e.model;

create function private.track_memory_changes()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    -- A user being deleted (the rows go by cascade) keeps no version and no count.
    insert into private.memory_versions as v (user_id, version)
    select distinct o.user_id, 1 from old_rows o
     where exists (select 1 from auth.users u where u.id = o.user_id)
    on conflict (user_id) do update set version = v.version + 1;
    update private.memory_counts c set n = c.n - o.n
      from (select o.user_id, o.model, count(*) as n from old_rows o
             group by o.user_id, o.model) o
     where c.user_id = o.user_id and c.model = o.model;
  else
    insert into private.memory_versions as v (user_id, version)
    select distinct n.user_id, 1 from new_rows n
    on conflict (user_id) do update set version = v.version + 1;
    if tg_op = 'INSERT' then
      insert into private.memory_counts as c (user_id, model, n)
      select n.user_id, n.model, count(*) from new_rows n group by n.user_id, n.model
      on conflict (user_id, model) do update set n = c.n + excluded.n;
    end if;
  end if;
  return null;
end
$$;
comment on function private.track_memory_changes() is
  'AFTER statement trigger on memory_embeddings: increments the version of each user whose '
  'memories the statement changed (cache keys) and keeps private.memory_counts (inserts and '
  'deletes). Security definer: both tables are private.';
revoke all on function private.track_memory_changes() from public;

create trigger memory_embeddings_track_insert
  after insert on public.memory_embeddings referencing new table as new_rows
  for each statement execute function private.track_memory_changes();
comment on trigger memory_embeddings_track_insert on public.memory_embeddings is
  'New memories: versions and counts (private.track_memory_changes).';

create trigger memory_embeddings_track_update
  after update on public.memory_embeddings referencing new table as new_rows
  for each statement execute function private.track_memory_changes();
comment on trigger memory_embeddings_track_update on public.memory_embeddings is
  'Changed memories: versions (private.track_memory_changes).';

create trigger memory_embeddings_track_delete
  after delete on public.memory_embeddings referencing old table as old_rows
  for each statement execute function private.track_memory_changes();
comment on trigger memory_embeddings_track_delete on public.memory_embeddings is
  'Deleted memories: versions and counts (private.track_memory_changes).';

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

-- A new memory's vector goes to memory_vectors, in the writer's graph (the column's
-- default).
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
revoke all on function public.list_memories(text, jsonb, integer, text) from public;
grant execute on function public.list_memories(text, jsonb, integer, text) to authenticated;

-- The users already above the limit get their graphs now, built in bulk.
select private.sync_memory_graphs(null);
