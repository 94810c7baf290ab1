-- The every-minute HNSW sync (pg_cron `memory-ann-index`) without reading the table.
-- It found the users above the exact limit with `group by user_id, model having
-- count(*) > 10,000` over all of memory_embeddings, and their rows not yet in the graph
-- by walking every row of those users: at 992,000 rows (6 GB) each run read the whole
-- table and starved every query (docs/benchmarks.md, "Per-user search at scale").
-- Now a per-(user, model) count is kept by the statement trigger that already keeps the
-- cache versions, and the rows waiting for the graph have an index of their own.

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

-- One statement trigger keeps both per-user records of memory_embeddings: the cache
-- version (..._memory_versions) and the counts. It replaces that migration's own
-- trigger, so a write statement pays one bookkeeping trigger, not two.
drop trigger memory_embeddings_version_insert on public.memory_embeddings;
drop trigger memory_embeddings_version_update on public.memory_embeddings;
drop trigger memory_embeddings_version_delete on public.memory_embeddings;
drop function private.bump_memory_versions();

create or replace function private.track_memory_changes()
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

create index idx_memory_embeddings_not_in_ann on public.memory_embeddings (user_id, model)
  where not in_ann_index;
comment on index public.idx_memory_embeddings_not_in_ann is
  'Rows not in the HNSW graph yet: the sync finds a registered user''s pending rows directly.';

-- Restated whole (security definer, search_path): registration from the counts.
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
  select c.user_id, c.model
    from private.memory_counts c
   where c.n > private.memory_exact_max_rows()
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
  'Registers the (user, model) pairs above the exact limit (from private.memory_counts) and '
  'adds up to p_max_rows of their rows to the HNSW graph; returns the counts. pg_cron, every '
  'minute; after a bulk load run it with a large p_max_rows.';
