-- Travel preferences are the user's alone. The profile row (name, email) is readable by
-- the people a user shares a trip with, and column privileges cannot depend on the row,
-- so a co-member could read preferences_json too. Preferences move to a table of their
-- own that only their owner reads or writes.

create table public.user_preferences (
  user_id uuid primary key default auth.uid() references auth.users (id) on delete cascade,
  preferences jsonb not null default '{}'::jsonb check (jsonb_typeof(preferences) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.user_preferences is
  'A user''s travel preferences and settings (JSON object); readable and writable by that user only.';
comment on column public.user_preferences.preferences is 'Travel preferences and settings (JSON object).';

create trigger user_preferences_set_provenance before insert or update on public.user_preferences
  for each row execute function private.set_provenance();
comment on trigger user_preferences_set_provenance on public.user_preferences is
  'created_at is set by the database for API roles (private.set_provenance).';
create trigger user_preferences_set_updated_at before update on public.user_preferences
  for each row execute function private.set_updated_at();

alter table public.user_preferences enable row level security;
create policy "user_preferences: own row" on public.user_preferences
  for all to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
grant select, insert, delete on public.user_preferences to authenticated;
grant update (preferences) on public.user_preferences to authenticated;
grant all on public.user_preferences to service_role;

insert into public.user_preferences (user_id, preferences, created_at)
select u.id, u.preferences_json, u.created_at
  from public.users u
 where u.preferences_json <> '{}'::jsonb;

alter table public.users drop column preferences_json;
comment on table public.users is
  'User profiles (name, email); one row per auth.users row. Preferences: public.user_preferences.';
