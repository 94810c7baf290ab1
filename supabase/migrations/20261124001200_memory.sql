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
  content_type text not null
    check (content_type in ('preference', 'fact', 'trip_context', 'conversation', 'note', 'other')),
  -- Same text + same model = same vector: the hash lets writers skip re-embedding.
  -- Set by trigger (convert_to is not immutable, so it cannot be a generated column).
  content_hash text not null,
  model text not null default 'text-embedding-3-small' check (char_length(model) between 1 and 100),
  embedding extensions.vector(1536) not null,
  metadata jsonb not null default '{}'::jsonb check (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint memory_embeddings_user_model_hash_key unique (user_id, model, content_hash)
);
comment on table public.memory_embeddings is 'Embedded memory text for semantic (cosine) search.';
comment on column public.memory_embeddings.content_hash is 'SHA-256 of content_text, for dedupe.';
comment on column public.memory_embeddings.model is 'Embedding model that produced the vector.';
comment on column public.memory_embeddings.embedding is
  '1536-d embedding; compare with <=> (cosine distance, 0 = same direction, 2 = opposite).';

-- Same operator class as the queries (<=> cosine), or the planner cannot use it.
create index idx_memory_embeddings_hnsw on public.memory_embeddings
  using hnsw (embedding extensions.vector_cosine_ops);
create index idx_memory_embeddings_user_id on public.memory_embeddings (user_id, created_at desc);
create index idx_memory_embeddings_content_type on public.memory_embeddings (content_type);
create index idx_memory_embeddings_user_type on public.memory_embeddings (user_id, content_type);
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
