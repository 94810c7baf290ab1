-- The every-minute HNSW sync (pg_cron `memory-ann-index`) without reading the table.
-- It found the users above the exact limit with `group by user_id, model having
-- count(*) > 10,000` over all of memory_embeddings, and their rows not yet in the graph
-- by walking every row of those users: at 992,000 rows (6 GB) each run read the whole
-- table and starved every query (docs/benchmarks.md, "Per-user search at scale").
-- Now a per-(user, model) count is kept by statement triggers, and the rows waiting
-- for the graph have an index of their own.

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

create or replace function private.count_memories()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    insert into private.memory_counts as c (user_id, model, n)
    select n.user_id, n.model, count(*) from new_rows n group by n.user_id, n.model
    on conflict (user_id, model) do update set n = c.n + excluded.n;
  else
    -- A user being deleted (the rows go by cascade) takes their counts along.
    update private.memory_counts c set n = c.n - o.n
      from (select o.user_id, o.model, count(*) as n from old_rows o
             group by o.user_id, o.model) o
     where c.user_id = o.user_id and c.model = o.model;
  end if;
  return null;
end
$$;
comment on function private.count_memories() is
  'AFTER INSERT / DELETE statement trigger on memory_embeddings: keeps private.memory_counts.';
revoke all on function private.count_memories() from public;

create trigger memory_embeddings_count_insert
  after insert on public.memory_embeddings referencing new table as new_rows
  for each statement execute function private.count_memories();
comment on trigger memory_embeddings_count_insert on public.memory_embeddings is
  'Counts new memories per user and model (private.count_memories).';
create trigger memory_embeddings_count_delete
  after delete on public.memory_embeddings referencing old table as old_rows
  for each statement execute function private.count_memories();
comment on trigger memory_embeddings_count_delete on public.memory_embeddings is
  'Uncounts deleted memories per user and model (private.count_memories).';

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
