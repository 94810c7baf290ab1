-- Embedding models are data, not client input. `model` was free text: through the Data
-- API, insert_memories and apply_memory_decisions a user could store memories under any
-- model name, and each (user, model) counted towards its own 200,000-row limit and, past
-- 2,000 rows, got its own graph table (one user made three in one sync run; the budget
-- of graphs is shared by every user). Now the models a deployment serves are rows of
-- private.embedding_models, out of the API's reach, and memory_embeddings.model must
-- name one of them; the functions register the model they are configured with
-- (OPENAI_EMBEDDING_MODEL) through their admin client. The per-user limit counts all of
-- a user's memories, whatever their model.

create table private.embedding_models (
  name text primary key check (char_length(name) between 1 and 100),
  created_at timestamptz not null default now()
);
comment on table private.embedding_models is
  'The embedding models this deployment serves: memory_embeddings.model names one of them. '
  'Written by the functions'' admin client (their OPENAI_EMBEDDING_MODEL) or by an operator; '
  'never by the API roles.';
comment on column private.embedding_models.name is 'The model''s name as the embeddings API takes it.';
alter table private.embedding_models enable row level security;
revoke all on private.embedding_models from public, anon, authenticated;
grant select, insert, delete on private.embedding_models to service_role;

-- The default model, and every model memories are already stored under (their rows are
-- kept; an operator may re-embed and remove the ones the deployment does not serve).
insert into private.embedding_models (name)
select 'text-embedding-3-small'
union
select distinct e.model from public.memory_embeddings e;

-- No index on memory_embeddings.model for this key (pgTAP 115 lists why): a model is
-- removed only once no memory uses it, and an index on a column of a handful of values
-- would cost every insert for that one rare check.
alter table public.memory_embeddings
  add constraint memory_embeddings_model_fkey
  foreign key (model) references private.embedding_models (name) on update cascade;
comment on constraint memory_embeddings_model_fkey on public.memory_embeddings is
  'A memory is embedded with a model the deployment serves (private.embedding_models).';

-- One limit per user, whatever the model.
drop trigger memory_embeddings_limit on public.memory_embeddings;
create trigger memory_embeddings_limit after insert on public.memory_embeddings
  referencing new table as new_rows
  for each statement execute function private.enforce_limit('user_id', '200000', '');
comment on trigger memory_embeddings_limit on public.memory_embeddings is
  'At most 200000 rows per user_id, all models together (private.enforce_limit).';
