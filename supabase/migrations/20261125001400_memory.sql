-- AI memory: structured memories and their embeddings (pgvector, 1536 dimensions,
-- cosine distance). Strictly the owner's.

create table public.memories (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  memory_type text not null default 'fact'
    check (memory_type in ('preference', 'fact', 'trip_context', 'conversation', 'other')),
  content text not null check (char_length(btrim(content)) between 1 and 8000),
  importance smallint not null default 3 check (importance between 1 and 5),
  metadata jsonb not null default '{}'::jsonb check (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.memories is
  'What the planner remembers about a user (preferences, facts, trip context).';
comment on column public.memories.importance is 'How much it should weigh in planning, 1 to 5.';
create index idx_memories_user_type on public.memories (user_id, memory_type);
create trigger memories_set_updated_at before update on public.memories
  for each row execute function private.set_updated_at();

alter table public.memories enable row level security;
create policy "memories: own rows" on public.memories
  for all to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
grant select, insert, update, delete on public.memories to authenticated;
grant all on public.memories to service_role;

create table public.memory_embeddings (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  memory_id uuid references public.memories (id) on delete cascade,
  content_text text not null check (char_length(content_text) between 1 and 8000),
  content_type public.memory_content_type not null,
  -- Same text + same model = same vector: the hash lets writers skip re-embedding.
  -- Set by trigger (convert_to is not immutable, so it cannot be a generated column).
  content_hash text not null,
  model text not null default 'text-embedding-3-small' check (char_length(model) between 1 and 100),
  embedding extensions.vector(1536) not null,
  metadata jsonb not null default '{}'::jsonb check (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  in_ann_index boolean not null default false,
  constraint memory_embeddings_user_model_hash_key unique (user_id, model, content_hash)
);
comment on table public.memory_embeddings is 'Embedded memory text for semantic (cosine) search.';
comment on column public.memory_embeddings.content_hash is 'SHA-256 of content_text, for dedupe.';
comment on column public.memory_embeddings.model is 'Embedding model that produced the vector.';
comment on column public.memory_embeddings.embedding is
  '1536-d embedding; compare with <=> (cosine distance, 0 = same direction, 2 = opposite).';
comment on column public.memory_embeddings.in_ann_index is
  'The row is in the HNSW index (its user and model are in private.memory_ann_users). '
  'Set by trigger and by private.sync_memory_ann_index(), never by clients.';

-- A 1536-dimension vector is 6 KB, over the 2 KB TOAST threshold: with the type's
-- default storage (EXTENDED) every exact scan detoasted each row (~5.7 us/row).
-- MAIN keeps the vector in the heap row whenever it fits a page (content_text is
-- moved out first): ~1.2 us/row.
alter table public.memory_embeddings alter column embedding set storage main;

-- Same operator class as the queries (<=> cosine), or the planner cannot use it.
-- Partial: only the rows of users above the exact-search limit are in the graph
-- (see private.sync_memory_ann_index), so small users' inserts skip the ~1.4 ms
-- graph insert and the graph stays small.
create index idx_memory_embeddings_hnsw on public.memory_embeddings
  using hnsw (embedding extensions.vector_cosine_ops)
  where in_ann_index;
comment on index public.idx_memory_embeddings_hnsw is
  'Cosine HNSW over the memories of users above the exact-search limit (in_ann_index).';
create index idx_memory_embeddings_user_id on public.memory_embeddings (user_id, created_at desc);
create index idx_memory_embeddings_user_type on public.memory_embeddings (user_id, content_type);
create index idx_memory_embeddings_user_model
  on public.memory_embeddings (user_id, model, in_ann_index);
comment on index public.idx_memory_embeddings_user_model is
  'Counts a user''s rows per model, and finds the ones not yet in the HNSW index, without '
  'visiting the heap.';
create trigger memory_embeddings_set_updated_at before update on public.memory_embeddings
  for each row execute function private.set_updated_at();

create or replace function private.set_content_hash()
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

alter table public.memory_embeddings enable row level security;
create policy "memory_embeddings: own rows" on public.memory_embeddings
  for all to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
grant select, insert, delete on public.memory_embeddings to authenticated;
grant update (content_type, metadata) on public.memory_embeddings to authenticated;
grant all on public.memory_embeddings to service_role;

-- Which users' memories are in the HNSW graph. match_memories scans a user's own
-- rows exactly up to private.memory_exact_max_rows() per model and walks the graph
-- only above it, and only once every one of that user's rows is in it.

create or replace function private.memory_exact_max_rows()
returns integer
language sql
stable
set search_path = ''
as $$
  -- memories.exact_max_rows lets the database tests cross the limit with a few rows.
  select coalesce(nullif(current_setting('memories.exact_max_rows', true), '')::integer, 10000)
$$;
comment on function private.memory_exact_max_rows() is
  'Rows per user and model up to which match_memories scans exactly (10,000; the setting '
  'memories.exact_max_rows overrides it for tests). Above it: the HNSW index.';
revoke all on function private.memory_exact_max_rows() from public;
grant execute on function private.memory_exact_max_rows() to authenticated, service_role;

create table private.memory_ann_users (
  user_id uuid not null references auth.users (id) on delete cascade,
  model text not null,
  registered_at timestamptz not null default now(),
  primary key (user_id, model)
);
comment on table private.memory_ann_users is
  'The (user, model) pairs above the exact-search limit: their memories are kept in the '
  'HNSW index. Written by private.sync_memory_ann_index() only.';
alter table private.memory_ann_users enable row level security;
grant select, insert, update, delete on private.memory_ann_users to service_role;

create or replace function private.memory_embeddings_ann_flag()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- Derived, never trusted from the writer: registered pair or not.
  new.in_ann_index := exists (
    select 1 from private.memory_ann_users a
     where a.user_id = new.user_id and a.model = new.model);
  return new;
end
$$;
comment on function private.memory_embeddings_ann_flag() is
  'BEFORE INSERT/UPDATE trigger: in_ann_index = the row''s (user, model) is registered for '
  'the HNSW index.';
revoke all on function private.memory_embeddings_ann_flag() from public;

create trigger memory_embeddings_ann_flag
  before insert or update of user_id, model, in_ann_index on public.memory_embeddings
  for each row execute function private.memory_embeddings_ann_flag();

create or replace function private.sync_memory_ann_index(p_max_rows integer default 5000)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  registered integer;
  flagged integer;
  pending bigint;
begin
  if p_max_rows is null or p_max_rows < 1 then
    perform private.invalid('max_rows', 'must be a positive number of rows');
  end if;
  insert into private.memory_ann_users (user_id, model)
  select e.user_id, e.model
    from public.memory_embeddings e
   group by e.user_id, e.model
  having count(*) > private.memory_exact_max_rows()
  on conflict do nothing;
  get diagnostics registered = row_count;

  -- At most p_max_rows graph inserts per call (~3.5 ms each on 2 cores, so ~20 s
  -- and as long a lock on those rows); rows a concurrent run holds are left to it.
  with todo as (
    select e.id
      from private.memory_ann_users a
      join public.memory_embeddings e
        on e.user_id = a.user_id and e.model = a.model and not e.in_ann_index
     limit p_max_rows
       for update of e skip locked
  )
  update public.memory_embeddings e set in_ann_index = true
    from todo where e.id = todo.id;
  get diagnostics flagged = row_count;

  select count(*) into pending
    from private.memory_ann_users a
    join public.memory_embeddings e
      on e.user_id = a.user_id and e.model = a.model and not e.in_ann_index;
  return jsonb_build_object('pairs_registered', registered, 'rows_indexed', flagged,
                            'rows_pending', pending);
end
$$;
comment on function private.sync_memory_ann_index(integer) is
  'Registers every (user, model) above the exact-search limit for the HNSW index and adds up '
  'to p_max_rows of their rows to it. Returns {pairs_registered, rows_indexed, rows_pending}. '
  'Run by pg_cron every minute; run it by hand after a bulk load.';
revoke all on function private.sync_memory_ann_index(integer) from public;
grant execute on function private.sync_memory_ann_index(integer) to service_role;

select cron.schedule('memory-ann-index', '* * * * *', 'select private.sync_memory_ann_index()');
