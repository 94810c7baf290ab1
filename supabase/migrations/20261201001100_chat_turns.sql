-- Chat turns for the chat function: a user message and the assistant's streamed reply,
-- stored with its status, model and token usage; memory jobs that learn from each
-- completed turn and survive a crash; sessions that stay closed once expired.
--
-- Messages are written only by the chat function (through the private functions below,
-- which name the user explicitly): through the Data API a user reads their messages and
-- can neither write an assistant or system message nor change one.

create type public.chat_message_status as enum ('streaming', 'complete', 'aborted', 'error');
comment on type public.chat_message_status is
  'An assistant reply: being written, complete, cut short by the client, or failed.';

alter table public.chat_sessions
  add column remember boolean not null default true;
comment on column public.chat_sessions.remember is
  'Whether completed turns feed the memory pipeline (false: nothing is learned from it).';

alter table public.chat_messages
  add column status public.chat_message_status not null default 'complete',
  add column model text check (char_length(model) <= 100),
  add column usage jsonb check (usage is null or jsonb_typeof(usage) = 'object'),
  add column finish_reason text check (char_length(finish_reason) <= 50),
  add column client_message_id text check (char_length(client_message_id) between 1 and 100),
  add column reply_to bigint references public.chat_messages (id) on delete cascade;
comment on column public.chat_messages.status is
  'Assistant replies: streaming until stored final; user messages are complete.';
comment on column public.chat_messages.model is 'The model that wrote an assistant reply.';
comment on column public.chat_messages.usage is
  'Token usage of the reply''s model call: {prompt_tokens, completion_tokens}.';
comment on column public.chat_messages.finish_reason is
  'Why the reply ended: stop, length, deadline, aborted, error, interrupted.';
comment on column public.chat_messages.client_message_id is
  'The client''s id for a user message: sending it again does not start a second turn.';
comment on column public.chat_messages.reply_to is 'The user message an assistant reply answers.';

-- A reply may be empty while it streams, or when cut short before its first token.
alter table public.chat_messages drop constraint chat_messages_content_check;
alter table public.chat_messages add constraint chat_messages_content_check
  check (char_length(content) <= 32000 and (role <> 'user' or char_length(content) >= 1));
comment on constraint chat_messages_content_check on public.chat_messages is
  'At most 32,000 characters; a user message is never empty.';

create unique index chat_messages_client_message_id
  on public.chat_messages (session_id, client_message_id) where client_message_id is not null;
comment on index public.chat_messages_client_message_id is
  'One turn per client message id in a session (idempotent sends).';
create index idx_chat_messages_session_id on public.chat_messages (session_id, id);
comment on index public.idx_chat_messages_session_id is 'A session''s messages in order.';
create index idx_chat_messages_streaming on public.chat_messages (created_at)
  where status = 'streaming';
comment on index public.idx_chat_messages_streaming is
  'Replies still marked streaming, for the sweep that closes interrupted ones.';
create index idx_chat_messages_reply_to on public.chat_messages (reply_to);
comment on index public.idx_chat_messages_reply_to is 'Cascading deletes of replies.';

-- Read only through the API; the chat function writes. Sessions: created, renamed,
-- deleted by their owner; whether one is active is the database's to decide.
revoke insert, update, delete on public.chat_messages from authenticated;
revoke insert, update on public.chat_sessions from authenticated;
grant insert (user_id, trip_id, title, metadata, remember) on public.chat_sessions to authenticated;
grant update (title, metadata) on public.chat_sessions to authenticated;

-- Restated whole: a new message moves last_message_at but no longer reactivates an
-- expired session (expired sessions refuse new messages; their history stays).
create or replace function private.touch_chat_session()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.chat_sessions
     set last_message_at = greatest(coalesce(last_message_at, new.created_at), new.created_at)
   where id = new.session_id;
  return new;
end
$$;
comment on function private.touch_chat_session() is
  'AFTER INSERT on chat_messages: moves the session''s last_message_at.';
revoke all on function private.touch_chat_session() from public;

create type private.memory_job_status as enum ('pending', 'running', 'done', 'failed');
comment on type private.memory_job_status is 'Where a memory job is.';

create table private.memory_jobs (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  session_id uuid not null references public.chat_sessions (id) on delete cascade,
  user_message_id bigint not null references public.chat_messages (id) on delete cascade,
  assistant_message_id bigint not null references public.chat_messages (id) on delete cascade,
  status private.memory_job_status not null default 'pending',
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  locked_until timestamptz,
  last_error text check (char_length(last_error) <= 1000),
  usage jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table private.memory_jobs is
  'One per completed chat turn of a session that remembers: the memory pipeline runs on it '
  'after the reply (in the background), and the sweep retries what did not finish.';
comment on column private.memory_jobs.locked_until is
  'While running: when the claim lapses and the sweep may take the job again.';
comment on column private.memory_jobs.usage is 'Token usage of the pipeline''s model calls.';
create index idx_memory_jobs_due on private.memory_jobs (next_attempt_at)
  where status in ('pending', 'running');
comment on index private.idx_memory_jobs_due is 'Jobs the sweep may claim.';
create index idx_memory_jobs_user on private.memory_jobs (user_id);
comment on index private.idx_memory_jobs_user is 'Cascading deletes of users.';
create index idx_memory_jobs_session on private.memory_jobs (session_id);
comment on index private.idx_memory_jobs_session is 'Cascading deletes of sessions.';
create index idx_memory_jobs_messages on private.memory_jobs (user_message_id);
comment on index private.idx_memory_jobs_messages is 'Cascading deletes of messages.';
create index idx_memory_jobs_replies on private.memory_jobs (assistant_message_id);
comment on index private.idx_memory_jobs_replies is 'Cascading deletes of replies.';
create trigger memory_jobs_set_updated_at before update on private.memory_jobs
  for each row execute function private.set_updated_at();
comment on trigger memory_jobs_set_updated_at on private.memory_jobs is 'Keeps updated_at.';

create or replace function private.chat_begin_turn(
  p_user uuid,
  p_session uuid,
  p_content text,
  p_client_message_id text,
  p_model text,
  p_stale_after interval)
returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  s public.chat_sessions;
  asked public.chat_messages;
  reply public.chat_messages;
  user_id bigint;
  reply_id bigint;
begin
  select * into s from public.chat_sessions
   where id = p_session and chat_sessions.user_id = p_user
   for update;
  if s.id is null then
    raise exception using errcode = 'P0002', message = 'chat session not found';
  end if;
  if p_client_message_id is not null then
    select * into asked from public.chat_messages m
     where m.session_id = p_session and m.client_message_id = p_client_message_id;
    if asked.id is not null then
      select * into reply from public.chat_messages m where m.reply_to = asked.id;
      return jsonb_build_object('state', 'repeat', 'user_message_id', asked.id,
        'assistant_message_id', reply.id, 'status', reply.status, 'content', reply.content,
        'finish_reason', reply.finish_reason, 'usage', reply.usage);
    end if;
  end if;
  if not s.is_active then
    return jsonb_build_object('state', 'expired');
  end if;
  if exists (select 1 from public.chat_messages m
              where m.session_id = p_session and m.status = 'streaming'
                and m.created_at > now() - p_stale_after) then
    return jsonb_build_object('state', 'busy');
  end if;
  if (select count(*) from (select 1 from public.chat_messages m
                             where m.session_id = p_session limit 2001) c) > 1998 then
    raise exception using errcode = '54000', message = 'chat messages: at most 2000 per session',
      hint = 'Start a new session.';
  end if;
  insert into public.chat_messages (session_id, role, content, client_message_id)
  values (p_session, 'user', p_content, p_client_message_id)
  returning id into user_id;
  insert into public.chat_messages (session_id, role, content, status, model, reply_to)
  values (p_session, 'assistant', '', 'streaming', p_model, user_id)
  returning id into reply_id;
  return jsonb_build_object('state', 'started', 'user_message_id', user_id,
    'assistant_message_id', reply_id, 'trip_id', s.trip_id, 'remember', s.remember);
end
$$;
comment on function private.chat_begin_turn(uuid, uuid, text, text, text, interval) is
  'Starts a turn in p_user''s session: stores the user message and an empty streaming reply. '
  'state: started (ids, trip_id, remember), repeat (the turn of this client_message_id), expired '
  '(session closed), busy (a reply younger than p_stale_after is still streaming). P0002 if the '
  'session is not the user''s; 54000 past 2,000 messages.';

create or replace function private.chat_finish_turn(
  p_user uuid,
  p_reply bigint,
  p_content text,
  p_status public.chat_message_status,
  p_finish_reason text,
  p_usage jsonb)
returns bigint
language plpgsql
security invoker
set search_path = ''
as $$
declare
  r public.chat_messages;
  remembers boolean;
  job bigint;
begin
  if p_status = 'streaming' then
    raise exception using errcode = '22023', message = 'a finished reply cannot be streaming';
  end if;
  update public.chat_messages m
     set content = left(p_content, 32000), status = p_status,
         finish_reason = p_finish_reason, usage = p_usage
    from public.chat_sessions s
   where m.id = p_reply and m.status = 'streaming' and m.role = 'assistant'
     and s.id = m.session_id and s.user_id = p_user
  returning m.* into r;
  if r.id is null then
    return null; -- already finished (by the sweep, after a crash) or not this user's
  end if;
  select s.remember into remembers from public.chat_sessions s where s.id = r.session_id;
  if p_status = 'complete' and remembers and char_length(p_content) > 0 then
    insert into private.memory_jobs (user_id, session_id, user_message_id, assistant_message_id)
    values (p_user, r.session_id, r.reply_to, r.id)
    returning id into job;
  end if;
  return job;
end
$$;
comment on function private.chat_finish_turn(uuid, bigint, text, public.chat_message_status, text, jsonb) is
  'Stores a reply''s final text, status, finish reason and usage; for a complete reply in a '
  'session that remembers, the memory job in the same transaction. Returns the job id or null.';

create or replace function private.claim_memory_jobs(
  p_job bigint,
  p_limit integer,
  p_lease interval)
returns setof private.memory_jobs
language sql
security invoker
set search_path = ''
as $$
  update private.memory_jobs j
     set status = 'running', attempts = j.attempts + 1, locked_until = now() + p_lease
   where j.id in (
     select d.id from private.memory_jobs d
      where (p_job is null or d.id = p_job)
        and ((d.status = 'pending' and (p_job is not null or d.next_attempt_at <= now()))
             or (d.status = 'running' and d.locked_until < now()))
      order by d.next_attempt_at
      limit p_limit
      for update skip locked)
  returning j.*;
$$;
comment on function private.claim_memory_jobs(bigint, integer, interval) is
  'Claims job p_job (or up to p_limit due jobs when null) for p_lease: pending ones, and running '
  'ones whose claim lapsed (a worker that died). Skips jobs another worker holds.';

create or replace function private.finish_memory_job(
  p_job bigint,
  p_ok boolean,
  p_error text,
  p_usage jsonb)
returns private.memory_job_status
language sql
security invoker
set search_path = ''
as $$
  update private.memory_jobs j
     set status = case when p_ok then 'done'::private.memory_job_status
                       when j.attempts >= 5 then 'failed'
                       else 'pending' end,
         locked_until = null,
         last_error = case when p_ok then null else left(p_error, 1000) end,
         usage = coalesce(p_usage, j.usage),
         -- 2, 4, 8, 16 minutes between attempts.
         next_attempt_at = now() + pg_catalog.make_interval(mins => (2 ^ j.attempts)::integer)
   where j.id = p_job
  returning j.status;
$$;
comment on function private.finish_memory_job(bigint, boolean, text, jsonb) is
  'Ends an attempt: done, or pending again with backoff, or failed after 5 attempts.';

create or replace function private.close_interrupted_replies(p_older_than interval)
returns integer
language sql
security invoker
set search_path = ''
as $$
  with closed as (
    update public.chat_messages m
       set status = 'error', finish_reason = 'interrupted'
     where m.status = 'streaming' and m.created_at < now() - p_older_than
    returning 1)
  select count(*)::integer from closed;
$$;
comment on function private.close_interrupted_replies(interval) is
  'Replies still streaming after p_older_than (their function died) become errors.';

revoke all on function private.chat_begin_turn(uuid, uuid, text, text, text, interval),
  private.chat_finish_turn(uuid, bigint, text, public.chat_message_status, text, jsonb),
  private.claim_memory_jobs(bigint, integer, interval),
  private.finish_memory_job(bigint, boolean, text, jsonb),
  private.close_interrupted_replies(interval)
  from public;
grant execute on function private.chat_begin_turn(uuid, uuid, text, text, text, interval),
  private.chat_finish_turn(uuid, bigint, text, public.chat_message_status, text, jsonb),
  private.claim_memory_jobs(bigint, integer, interval),
  private.finish_memory_job(bigint, boolean, text, jsonb),
  private.close_interrupted_replies(interval)
  to service_role;
grant select, insert, update, delete on private.memory_jobs to service_role;
