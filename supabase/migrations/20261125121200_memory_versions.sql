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

create or replace function private.bump_memory_versions()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- One row per user the statement touched, whichever transition table it has. A user
  -- being deleted (the rows go by cascade) has no version to keep.
  if tg_op = 'DELETE' then
    insert into private.memory_versions as v (user_id, version)
    select distinct o.user_id, 1 from old_rows o
     where exists (select 1 from auth.users u where u.id = o.user_id)
    on conflict (user_id) do update set version = v.version + 1;
  else
    insert into private.memory_versions as v (user_id, version)
    select distinct n.user_id, 1 from new_rows n
    on conflict (user_id) do update set version = v.version + 1;
  end if;
  return null;
end
$$;
comment on function private.bump_memory_versions() is
  'AFTER statement trigger on memory_embeddings: increments the version of each user whose '
  'memories the statement changed. Security definer: the versions table is private.';
revoke all on function private.bump_memory_versions() from public;

create trigger memory_embeddings_version_insert
  after insert on public.memory_embeddings referencing new table as new_rows
  for each statement execute function private.bump_memory_versions();
comment on trigger memory_embeddings_version_insert on public.memory_embeddings is
  'New memories move their users'' versions (private.bump_memory_versions).';
create trigger memory_embeddings_version_update
  after update on public.memory_embeddings referencing new table as new_rows
  for each statement execute function private.bump_memory_versions();
comment on trigger memory_embeddings_version_update on public.memory_embeddings is
  'Changed memories move their users'' versions (private.bump_memory_versions).';
create trigger memory_embeddings_version_delete
  after delete on public.memory_embeddings referencing old table as old_rows
  for each statement execute function private.bump_memory_versions();
comment on trigger memory_embeddings_version_delete on public.memory_embeddings is
  'Deleted memories move their users'' versions (private.bump_memory_versions).';

create or replace function private.memory_version(p_user uuid)
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
grant select on private.memory_versions to service_role;
