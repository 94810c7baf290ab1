-- Chat with the planner: sessions (optionally about a trip) and their messages.
-- Strictly the owner's.

create table public.chat_sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  trip_id bigint references public.trips (id) on delete set null,
  title text check (char_length(title) <= 200),
  is_active boolean not null default true,
  last_message_at timestamptz,
  metadata jsonb not null default '{}'::jsonb check (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.chat_sessions is 'Conversations with the AI planner.';
comment on column public.chat_sessions.last_message_at is 'Time of the newest message, kept by trigger.';
comment on column public.chat_sessions.is_active is 'False once idle for 24 h (daily job) or closed.';
create index idx_chat_sessions_user_active
  on public.chat_sessions (user_id, is_active, last_message_at desc);
create index idx_active_chat_sessions on public.chat_sessions (user_id, last_message_at desc)
  where is_active;
create trigger chat_sessions_set_updated_at before update on public.chat_sessions
  for each row execute function private.set_updated_at();

alter table public.chat_sessions enable row level security;
create policy "chat_sessions: own rows" on public.chat_sessions
  for all to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
grant select, insert, update, delete on public.chat_sessions to authenticated;
grant all on public.chat_sessions to service_role;

create table public.chat_messages (
  id bigint generated always as identity primary key,
  session_id uuid not null references public.chat_sessions (id) on delete cascade,
  role public.chat_role not null,
  content text not null check (char_length(content) between 1 and 32000),
  metadata jsonb not null default '{}'::jsonb check (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz not null default now()
);
comment on table public.chat_messages is 'Messages of a chat session; immutable once written.';
comment on column public.chat_messages.role is 'Who wrote it: user, assistant, system or tool.';
create index idx_chat_messages_session_created on public.chat_messages (session_id, created_at);

alter table public.chat_messages enable row level security;
-- chat_sessions' policy does not look at messages, so this subquery cannot recurse.
create policy "chat_messages: rows of own sessions" on public.chat_messages
  for all to authenticated
  using (exists (select 1 from public.chat_sessions s
                  where s.id = session_id and s.user_id = (select auth.uid())))
  with check (exists (select 1 from public.chat_sessions s
                       where s.id = session_id and s.user_id = (select auth.uid())));
grant select, insert, delete on public.chat_messages to authenticated;
grant all on public.chat_messages to service_role;

create or replace function private.touch_chat_session()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.chat_sessions
     set last_message_at = greatest(coalesce(last_message_at, new.created_at), new.created_at),
         is_active = true
   where id = new.session_id;
  return new;
end
$$;
comment on function private.touch_chat_session() is
  'AFTER INSERT on chat_messages: moves the session''s last_message_at and reactivates it.';
revoke all on function private.touch_chat_session() from public;
create trigger chat_messages_touch_session
  after insert on public.chat_messages
  for each row execute function private.touch_chat_session();
