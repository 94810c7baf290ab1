-- The memories: one table per job.
--
--   memory_embeddings  one row per memory: its text, who wrote it and whether deleted;
--   memory_vectors     its embedding, partitioned by graph (12_memory_graphs.sql);
--   memory_history     every change of a memory: ADD, UPDATE, DELETE, RESTORE, with the
--                      old and new text, the actor and the conversation it came from.
--
-- History is written by a trigger, so a change through the Data API is recorded like
-- one through the function. The functions name the actor and the source conversation
-- in transaction-local settings (memories.actor, memories.session_id,
-- memories.message_id); absent, the actor is the user. Statement triggers keep a
-- version per user (cache keys) and a count per user and model (which users need a
-- graph), so neither is ever counted from the table.
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
-- The default model is served from the start (reference data, not a user's).
insert into private.embedding_models (name) values ('text-embedding-3-small');
grant select, insert, delete on private.embedding_models to service_role;

-- One row per memory: its text, who wrote it (`source`: the user directly, or the
-- extractor from a conversation) and, once deleted, when (`deleted_at`: kept for its
-- history and restorable, never listed or searched). Its vector is in memory_vectors.
create table public.memory_embeddings (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  content_text text not null check (char_length(content_text) between 1 and 8000),
  content_type public.memory_content_type not null,
  -- Same text + same model = same vector: the hash lets writers skip re-embedding.
  -- Set by trigger (convert_to is not immutable, so it cannot be a generated column).
  content_hash text not null,
  model text not null default 'text-embedding-3-small' check (char_length(model) between 1 and 100)
    constraint memory_embeddings_model_fkey references private.embedding_models (name)
    on update cascade,
  metadata jsonb not null default '{}'::jsonb check (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  source public.memory_source not null default 'user',
  deleted_at timestamptz,
  content_tsv tsvector
    generated always as (to_tsvector('english'::regconfig, private.with_code_parts(content_text)))
    stored,
  graph smallint not null default private.my_memory_graph(),
  constraint memory_embeddings_user_model_hash_key unique (user_id, model, content_hash),
  constraint memory_embeddings_id_user_graph_key unique (id, user_id, graph)
);
alter table public.memory_embeddings enable row level security;
comment on table public.memory_embeddings is
  'The memories: one row per memory, its text, who wrote it and, once deleted, when (deleted '
  'rows keep their history and can be restored). Its vector is in public.memory_vectors.';
comment on column public.memory_embeddings.content_hash is 'SHA-256 of content_text, for dedupe.';
comment on column public.memory_embeddings.model is 'Embedding model that produced the vector.';
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
grant select, delete on public.memory_embeddings to authenticated;
grant insert (id, user_id, content_text, content_type, content_hash, model, metadata,
  created_at, updated_at, source, deleted_at) on public.memory_embeddings to authenticated;
grant update (content_text, content_type, metadata, source, deleted_at) on
  public.memory_embeddings to authenticated;

comment on constraint memory_embeddings_model_fkey on public.memory_embeddings is
  'A memory is embedded with a model the deployment serves (private.embedding_models).';

comment on constraint memory_embeddings_id_user_graph_key on public.memory_embeddings is
  'What memory_vectors references: a vector''s user and graph are its memory''s.';

create trigger memory_embeddings_set_provenance
  before insert or update on public.memory_embeddings
  for each row execute function private.set_provenance();
comment on trigger memory_embeddings_set_provenance on public.memory_embeddings is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';

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

create index idx_memory_embeddings_user_id on public.memory_embeddings (user_id, created_at desc);

create index idx_memory_embeddings_user_type on public.memory_embeddings (user_id, content_type);

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

create function private.set_content_hash()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.content_hash := encode(pg_catalog.sha256(pg_catalog.convert_to(new.content_text, 'UTF8')), 'hex');
  return new;
end
$$;
comment on function private.set_content_hash() is
  'BEFORE INSERT/UPDATE trigger: content_hash = hex SHA-256 of content_text (UTF-8).';
revoke all on function private.set_content_hash() from public;

create trigger memory_embeddings_set_content_hash
  before insert or update of content_text on public.memory_embeddings
  for each row execute function private.set_content_hash();

create policy "memory_embeddings: own rows" on public.memory_embeddings
  for all to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

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

create trigger memory_embeddings_limit after insert on public.memory_embeddings
  referencing new table as new_rows
  for each statement execute function private.enforce_limit('user_id', '200000', '');
comment on trigger memory_embeddings_limit on public.memory_embeddings is
  'At most 200000 rows per user_id, all models together (private.enforce_limit).';
