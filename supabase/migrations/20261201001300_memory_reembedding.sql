-- Re-embedding after a change of embedding model.
--
-- Search compares a query with the memories of the model the functions embed with
-- (OPENAI_EMBEDDING_MODEL); a memory embedded by another model is not in that space and
-- was never found again. Now a search that finds the caller has memories of another
-- model records a job (private.reembed_jobs) and says how many are left
-- (private.my_reembedding); the functions embed them again in batches, as the user, with
-- the user's key and within the user's embedding rate limit (right after that search,
-- then from the sweep every minute), and private.reembed_batch stores each batch: the
-- memory takes the new model and its vector is replaced in place. A memory whose text
-- the user already has under the new model is folded into that one (its history moves
-- there). The job is resumable by nature: what is left is whatever still has another
-- model; the row only holds progress, attempts and the last error.

create table private.reembed_jobs (
  user_id uuid not null references auth.users (id) on delete cascade,
  model text not null references private.embedding_models (name) on update cascade on delete cascade,
  total bigint not null check (total >= 0),
  done bigint not null default 0 check (done >= 0),
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null default pg_catalog.now(),
  last_error text check (char_length(last_error) <= 2000),
  created_at timestamptz not null default pg_catalog.now(),
  primary key (user_id, model)
);
alter table private.reembed_jobs enable row level security;
revoke all on private.reembed_jobs from public, anon, authenticated;
grant select, insert, update, delete on private.reembed_jobs to service_role;
comment on table private.reembed_jobs is
  'A user''s memories being embedded again with `model` (the deployment''s new embedding model): '
  'progress (done of total), attempts, when to try next and the last error. Deleted once no '
  'memory of the user has another model.';
comment on column private.reembed_jobs.total is 'Memories of other models when the job was recorded (grows if more are found).';
comment on column private.reembed_jobs.done is 'Memories embedded again (or folded into an equal one) so far.';
comment on column private.reembed_jobs.next_attempt_at is 'Not before: a claimed job''s lease, or the backoff after a failure.';
create index idx_reembed_jobs_due on private.reembed_jobs (next_attempt_at);
comment on index private.idx_reembed_jobs_due is 'The sweep''s due jobs.';
create index idx_reembed_jobs_model on private.reembed_jobs (model);
comment on index private.idx_reembed_jobs_model is 'Foreign key: a model removed takes its jobs.';

-- How many of the caller's memories are of another model than p_model: null when none,
-- else a job is recorded (or its total raised) and its progress returned.
create function private.my_reembedding(p_model text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  uid constant uuid := (select auth.uid());
  pending bigint;
  job private.reembed_jobs;
begin
  if uid is null then
    return null;
  end if;
  pending := (select coalesce(sum(c.n), 0) from private.memory_counts c
               where c.user_id = uid and c.model <> p_model and c.n > 0);
  if pending = 0 then
    return null;
  end if;
  insert into private.reembed_jobs as j (user_id, model, total)
  values (uid, p_model, pending)
  on conflict (user_id, model) do update set total = greatest(j.total, j.done + excluded.total)
  returning * into job;
  return jsonb_build_object('model', p_model, 'pending', pending, 'done', job.done,
                            'total', job.total);
end
$$;
comment on function private.my_reembedding(text) is
  'Search''s check: null when every memory of the caller is embedded with p_model; otherwise '
  'records (or updates) the caller''s re-embedding job and returns {model, pending, done, '
  'total}. Security definer: the counts and jobs are private; only the caller''s are touched.';
revoke all on function private.my_reembedding(text) from public;
grant execute on function private.my_reembedding(text) to authenticated, service_role;

-- Due jobs for the sweep, each leased for p_lease.
create function private.claim_reembed_jobs(p_limit integer, p_lease interval)
returns table (user_id uuid, model text, attempts integer)
language sql
volatile
set search_path = ''
as $$
  with due as (
    select j.user_id, j.model from private.reembed_jobs j
     where j.next_attempt_at <= pg_catalog.now()
     order by j.next_attempt_at
     limit p_limit
       for update skip locked)
  update private.reembed_jobs j
     set next_attempt_at = pg_catalog.now() + p_lease, attempts = j.attempts + 1
    from due where j.user_id = due.user_id and j.model = due.model
  returning j.user_id, j.model, j.attempts
$$;
comment on function private.claim_reembed_jobs(integer, interval) is
  'Claims up to p_limit due re-embedding jobs for p_lease (the sweep''s, or a search''s batch).';
revoke all on function private.claim_reembed_jobs(integer, interval) from public;
grant execute on function private.claim_reembed_jobs(integer, interval) to service_role;

-- One batch: the memories p_ids of p_user take p_model and the vectors p_embeddings.
create function private.reembed_batch(
  p_user uuid, p_model text, p_ids uuid[], p_embeddings extensions.vector[])
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  m record;
  survivor uuid;
  reembedded integer := 0;
  merged integer := 0;
  pending bigint;
begin
  if coalesce(pg_catalog.array_length(p_ids, 1), 0) <> coalesce(pg_catalog.array_length(p_embeddings, 1), 0) then
    perform private.invalid('embeddings', 'one per memory');
  end if;
  -- One writer per user at a time (the same lock as apply_memory_decisions).
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('memories:' || p_user::text, 0));
  for m in
    select e.id, e.model, e.graph, e.content_hash, x.v
      from unnest(p_ids, p_embeddings) as x(id, v)
      join public.memory_embeddings e on e.id = x.id and e.user_id = p_user
     where e.model <> p_model
       for update of e
  loop
    select e.id into survivor from public.memory_embeddings e
     where e.user_id = p_user and e.model = p_model and e.content_hash = m.content_hash;
    if survivor is not null then
      -- The same text under the new model already: one memory, both histories.
      update public.memory_history h set memory_id = survivor where h.memory_id = m.id;
      delete from public.memory_embeddings e where e.id = m.id;
      merged := merged + 1;
    else
      update public.memory_embeddings e set model = p_model where e.id = m.id;
      update public.memory_vectors v set embedding = m.v
       where v.id = m.id and v.user_id = p_user and v.graph = m.graph;
      -- The counts follow inserts and deletes by trigger; a change of model is this one.
      update private.memory_counts c set n = c.n - 1 where c.user_id = p_user and c.model = m.model;
      insert into private.memory_counts as c (user_id, model, n) values (p_user, p_model, 1)
      on conflict (user_id, model) do update set n = c.n + 1;
      reembedded := reembedded + 1;
    end if;
  end loop;
  pending := (select coalesce(sum(c.n), 0) from private.memory_counts c
               where c.user_id = p_user and c.model <> p_model and c.n > 0);
  if pending = 0 then
    delete from private.reembed_jobs j where j.user_id = p_user and j.model = p_model;
  else
    update private.reembed_jobs j
       set done = j.done + reembedded + merged, next_attempt_at = pg_catalog.now(), last_error = null
     where j.user_id = p_user and j.model = p_model;
  end if;
  return jsonb_build_object('reembedded', reembedded, 'merged', merged, 'pending', pending);
end
$$;
comment on function private.reembed_batch(uuid, text, uuid[], extensions.vector[]) is
  'Stores a re-embedding batch of p_user: each memory of another model takes p_model and its '
  'new vector, or is folded into the user''s memory of the same text under p_model (history '
  'moved there); the job''s progress follows, and the job is deleted when nothing is left. '
  'Returns {reembedded, merged, pending}. The functions'' admin client, naming the user.';
revoke all on function private.reembed_batch(uuid, text, uuid[], extensions.vector[]) from public;
grant execute on function private.reembed_batch(uuid, text, uuid[], extensions.vector[]) to service_role;

-- A batch that failed: tried again after a backoff (1, 2, 4 ... minutes, at most an hour).
create function private.fail_reembed_job(p_user uuid, p_model text, p_error text)
returns void
language sql
volatile
set search_path = ''
as $$
  update private.reembed_jobs j
     set last_error = left(p_error, 2000),
         next_attempt_at = pg_catalog.now()
           + least(interval '1 hour', interval '1 minute' * power(2, least(j.attempts, 10) - 1))
   where j.user_id = p_user and j.model = p_model
$$;
comment on function private.fail_reembed_job(uuid, text, text) is
  'Records a failed re-embedding batch: its error, and the next attempt after a backoff that '
  'doubles from a minute up to an hour. The job is kept: it is retried until it is done.';
revoke all on function private.fail_reembed_job(uuid, text, text) from public;
grant execute on function private.fail_reembed_job(uuid, text, text) to service_role;
