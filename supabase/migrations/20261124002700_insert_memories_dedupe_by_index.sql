-- insert_memories: the "already stored" branch reads the caller's rows through the
-- unique (user_id, model, content_hash) index again.
--
-- It matched hashes with `content_hash in (select ... from input)`. When one user
-- holds most of the table (a heavy user, or a table that is young), the planner
-- estimated that all rows match the user and chose a sequential scan of that user's
-- rows with a hash semi-join: 157 ms per call at 80,000 rows, growing with every
-- memory stored (found by `npm run bench -- ingest`: 89 memories/s, one at a time).
-- `= any(array(...))` computes the few hashes first and probes the index: 0.1 ms.

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

  -- One statement: the second branch reads the snapshot from before the insert,
  -- so it returns exactly the rows that already existed.
  return query
  with input as (
    select u.content, u.content_type, u.metadata, u.embedding, u.ord
      from unnest(p_contents, p_types, p_metadata, p_embeddings)
           with ordinality as u(content, content_type, metadata, embedding, ord)
  ), inserted as (
    insert into public.memory_embeddings as m
           (user_id, content_text, content_type, model, embedding, metadata)
    select uid, i.content, i.content_type, p_model, i.embedding, coalesce(i.metadata, '{}'::jsonb)
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
