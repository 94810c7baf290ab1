-- Bring-your-own-key storage. Values are encrypted by the api-keys Edge Function
-- (AES-256-GCM) before they reach the database; the database additionally never
-- lets API roles read the ciphertext column (no column privilege).

create table public.api_keys (
  id bigint generated always as identity primary key,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  service_name text not null
    check (service_name in ('openai', 'anthropic', 'google_maps', 'openweathermap', 'duffel')),
  key_name text not null check (char_length(btrim(key_name)) between 1 and 100),
  encrypted_value text not null check (char_length(encrypted_value) between 1 and 4096),
  is_active boolean not null default true,
  last_used_at timestamptz,
  expires_at timestamptz,
  usage_count bigint not null default 0 check (usage_count >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint api_keys_user_service_key_unique unique (user_id, service_name, key_name)
);
comment on table public.api_keys is 'Encrypted storage of user-provided API keys for external services.';
comment on column public.api_keys.encrypted_value is
  'AES-256-GCM ciphertext made by the Edge Function; unreadable by anon and authenticated.';
comment on column public.api_keys.usage_count is 'How many times the key was used server-side.';
create index idx_api_keys_user_id on public.api_keys (user_id);
create index idx_api_keys_service_name on public.api_keys (service_name);
create trigger api_keys_set_updated_at before update on public.api_keys
  for each row execute function private.set_updated_at();

alter table public.api_keys enable row level security;
create policy "api_keys: own rows" on public.api_keys
  for all to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
-- Every column but the ciphertext: a user lists their keys, never reads a value back.
grant select (id, user_id, service_name, key_name, is_active, last_used_at, expires_at,
              usage_count, created_at, updated_at) on public.api_keys to authenticated;
grant insert (user_id, service_name, key_name, encrypted_value, is_active, expires_at)
  on public.api_keys to authenticated;
grant update (key_name, encrypted_value, is_active, expires_at) on public.api_keys to authenticated;
grant delete on public.api_keys to authenticated;
grant all on public.api_keys to service_role;
