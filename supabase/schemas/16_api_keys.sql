-- Bring-your-own-key storage. Values are encrypted by the api-keys Edge Function
-- (AES-256-GCM) before they reach the database; the database additionally never
-- lets API roles read the ciphertext column (no column privilege), and only the
-- server writes ciphertext or renames a key (the ciphertext is bound to its name).
create table public.api_keys (
  id bigint generated always as identity primary key,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  service_name public.api_service not null,
  key_name text not null check (char_length(btrim(key_name)) between 1 and 100),
  -- v1.<kid>.<iv: 12 bytes>.<ciphertext and 16-byte tag>, each part base64url without padding.
  encrypted_value text not null check (char_length(encrypted_value) between 1 and 4096),
  encryption_key_id text generated always as (split_part(encrypted_value, '.', 2)) stored,
  value_mask text not null default '…' check (char_length(value_mask) between 1 and 24),
  is_active boolean not null default true,
  last_used_at timestamptz,
  last_validated_at timestamptz,
  expires_at timestamptz,
  usage_count bigint not null default 0 check (usage_count >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint api_keys_user_service_key_unique unique (user_id, service_name, key_name),
  constraint api_keys_encrypted_value_format
    check (encrypted_value ~ '^v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22,}$')
);
alter table public.api_keys enable row level security;
comment on table public.api_keys is 'Encrypted storage of user-provided API keys for external services.';
comment on column public.api_keys.encrypted_value is
  'AES-256-GCM ciphertext made by the Edge Function; unreadable by anon and authenticated.';
comment on column public.api_keys.encryption_key_id is
  'Id of the BYOK_KEYS entry the value is encrypted under; derived from the ciphertext.';
comment on column public.api_keys.value_mask is
  'What a list may show of the value, e.g. sk-…a1b2; set by the api-keys function.';
comment on column public.api_keys.last_validated_at is
  'When the provider last accepted this value; null if never checked or replaced since.';
comment on column public.api_keys.usage_count is 'How many times the key was used server-side.';
grant delete on public.api_keys to authenticated;
grant select (id, user_id, service_name, key_name, encryption_key_id, value_mask, is_active,
  last_used_at, last_validated_at, expires_at, usage_count, created_at, updated_at) on
  public.api_keys to authenticated;
grant update (is_active, expires_at) on public.api_keys to authenticated;

create trigger api_keys_set_provenance
  before insert or update on public.api_keys
  for each row execute function private.set_provenance();
comment on trigger api_keys_set_provenance on public.api_keys is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';

-- The unique key (user_id, service_name, key_name) serves every per-user lookup.
create index idx_api_keys_encryption_key_id on public.api_keys (encryption_key_id);
comment on index public.idx_api_keys_encryption_key_id is
  'Rotation: finds and counts rows not under the active key id.';

-- Usage bookkeeping and rotation are not edits: they leave updated_at alone.
create trigger api_keys_set_updated_at before update on public.api_keys
  for each row
  when ((old.key_name, old.is_active, old.expires_at, old.value_mask)
        is distinct from (new.key_name, new.is_active, new.expires_at, new.value_mask))
  execute function private.set_updated_at();
comment on trigger api_keys_set_updated_at on public.api_keys is
  'Stamps updated_at when a user-visible field changes, not on use or rotation.';

create function private.api_keys_keep_binding()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if (new.user_id, new.service_name, new.key_name)
       is distinct from (old.user_id, old.service_name, old.key_name)
     and new.encrypted_value = old.encrypted_value then
    raise exception using
      errcode = '22023',
      column = 'key_name',
      message = 'the value is encrypted for its user, service and name: '
                || 're-encrypt it in the same update (the api-keys function does)';
  end if;
  return new;
end
$$;
comment on function private.api_keys_keep_binding() is
  'BEFORE UPDATE trigger: refuses a rename that would leave the ciphertext undecryptable.';
revoke all on function private.api_keys_keep_binding() from public;

create trigger api_keys_keep_binding before update on public.api_keys
  for each row execute function private.api_keys_keep_binding();
comment on trigger api_keys_keep_binding on public.api_keys is
  'The AES-GCM additional data names user, service and key name; they move with a new ciphertext.';

create policy "api_keys: own rows" on public.api_keys
  for all to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
