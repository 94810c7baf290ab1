-- User profiles, one per auth user, created by a trigger when Supabase Auth
-- creates the user. The guide's BIGINT id + nullable auth link is replaced by the
-- auth user's uuid itself, so every owner column elsewhere compares uuid to uuid.
create table public.users (
  id uuid primary key references auth.users (id) on delete cascade,
  email extensions.citext not null,
  name text check (char_length(name) <= 200),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint users_email_key unique (email),
  constraint users_email_format check (email::text ~ '^[^\s@]+@[^\s@]+$')
);
alter table public.users enable row level security;
comment on table public.users is
  'User profiles (name, email); one row per auth.users row. Preferences: public.user_preferences.';
comment on column public.users.id is 'The auth.users id of this user.';
comment on column public.users.email is 'Copy of the auth email (case-insensitive), kept in sync by trigger.';
comment on column public.users.name is 'Display name, from the sign-up metadata or set by the user.';
grant select on public.users to authenticated;
grant update (name) on public.users to authenticated;

create trigger users_set_updated_at
  before update on public.users
  for each row execute function private.set_updated_at();

-- Profile follows the auth user: created on sign-up, email kept in sync.
create function private.handle_auth_user_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.email is null then
    return new; -- anonymous and phone-only users get a profile once they have an email
  end if;
  insert into public.users (id, email, name)
  values (
    new.id,
    new.email,
    coalesce(new.raw_user_meta_data ->> 'name', new.raw_user_meta_data ->> 'full_name')
  )
  on conflict (id) do update set email = excluded.email;
  return new;
end
$$;
comment on function private.handle_auth_user_change() is
  'AFTER INSERT/UPDATE OF email on auth.users: creates or updates the public profile.';
revoke all on function private.handle_auth_user_change() from public;

create trigger on_auth_user_created
  after insert on auth.users
  for each row execute function private.handle_auth_user_change();

create trigger on_auth_user_email_changed
  after update of email on auth.users
  for each row when (old.email is distinct from new.email)
  execute function private.handle_auth_user_change();

-- Travel preferences are the user's alone. The profile row (name, email) is readable by
-- the people a user shares a trip with, and column privileges cannot depend on the row,
-- so preferences live in a table of their own that only their owner reads or writes.
create table public.user_preferences (
  user_id uuid primary key default auth.uid() references auth.users (id) on delete cascade,
  preferences jsonb not null default '{}'::jsonb check (jsonb_typeof(preferences) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.user_preferences enable row level security;
comment on table public.user_preferences is
  'A user''s travel preferences and settings (JSON object); readable and writable by that user only.';
comment on column public.user_preferences.preferences is 'Travel preferences and settings (JSON object).';
grant select, insert, delete on public.user_preferences to authenticated;
grant update (preferences) on public.user_preferences to authenticated;

create trigger user_preferences_set_provenance before insert or update on public.user_preferences
  for each row execute function private.set_provenance();
comment on trigger user_preferences_set_provenance on public.user_preferences is
  'created_at is set by the database for API roles (private.set_provenance).';

create trigger user_preferences_set_updated_at before update on public.user_preferences
  for each row execute function private.set_updated_at();

create policy "user_preferences: own row" on public.user_preferences
  for all to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

-- What anonymous users (Supabase Auth's signInAnonymously: role authenticated,
-- is_anonymous true) may do: plan their own trips, bookings, chat and memories, like
-- any signed-in user, but not involve other people: they cannot share a trip (sharing
-- is for accounts with a verified identity) and are never found by email (they have
-- none). Storing provider keys is refused by the api-keys function (403). Everything
-- else they can reach is theirs alone, so RLS already confines it.
create function private.is_anonymous()
returns boolean
language sql
stable
set search_path = ''
as $$
  select coalesce((auth.jwt() ->> 'is_anonymous')::boolean, false)
$$;
comment on function private.is_anonymous() is
  'The caller signed in anonymously (claim is_anonymous).';
revoke all on function private.is_anonymous() from public;
grant execute on function private.is_anonymous() to authenticated, service_role;
