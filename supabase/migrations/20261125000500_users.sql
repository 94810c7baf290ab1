-- User profiles, one per auth user, created by a trigger when Supabase Auth
-- creates the user. The guide's BIGINT id + nullable auth link is replaced by the
-- auth user's uuid itself, so every owner column elsewhere compares uuid to uuid.

create table public.users (
  id uuid primary key references auth.users (id) on delete cascade,
  email extensions.citext not null,
  name text check (char_length(name) <= 200),
  preferences_json jsonb not null default '{}'::jsonb
    check (jsonb_typeof(preferences_json) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint users_email_key unique (email),
  constraint users_email_format check (email::text ~ '^[^\s@]+@[^\s@]+$')
);
comment on table public.users is 'User profiles and preferences; one row per auth.users row.';
comment on column public.users.id is 'The auth.users id of this user.';
comment on column public.users.email is 'Copy of the auth email (case-insensitive), kept in sync by trigger.';
comment on column public.users.name is 'Display name, from the sign-up metadata or set by the user.';
comment on column public.users.preferences_json is 'Travel preferences and settings (JSON object).';

create trigger users_set_updated_at
  before update on public.users
  for each row execute function private.set_updated_at();

-- Profile follows the auth user: created on sign-up, email kept in sync.
create or replace function private.handle_auth_user_change()
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

alter table public.users enable row level security;
grant select on public.users to authenticated;
grant update (name, preferences_json) on public.users to authenticated;
grant all on public.users to service_role;
-- Policies are in the RLS migration, after the trip helpers they use exist.
