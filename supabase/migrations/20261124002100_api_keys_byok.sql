-- BYOK storage completed for the api-keys function: the ciphertext format is
-- enforced, the key id a value is encrypted under is derived from it (rotation
-- counts by it), lists show a mask instead of the value, and only the server
-- writes ciphertext or renames a key (the ciphertext is bound to its name).

-- v1.<kid>.<iv: 12 bytes>.<ciphertext and 16-byte tag>, each part base64url without padding.
alter table public.api_keys
  add constraint api_keys_encrypted_value_format
  check (encrypted_value ~ '^v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22,}$');

alter table public.api_keys
  add column encryption_key_id text generated always as (split_part(encrypted_value, '.', 2)) stored,
  add column value_mask text not null default '…'
    check (char_length(value_mask) between 1 and 24),
  add column last_validated_at timestamptz;
comment on column public.api_keys.encryption_key_id is
  'Id of the BYOK_KEYS entry the value is encrypted under; derived from the ciphertext.';
comment on column public.api_keys.value_mask is
  'What a list may show of the value, e.g. sk-…a1b2; set by the api-keys function.';
comment on column public.api_keys.last_validated_at is
  'When the provider last accepted this value; null if never checked or replaced since.';
create index idx_api_keys_encryption_key_id on public.api_keys (encryption_key_id);
comment on index public.idx_api_keys_encryption_key_id is
  'Rotation: finds and counts rows not under the active key id.';

-- Users read metadata, toggle and expire keys, and delete them. Creating, renaming
-- and replacing go through the function, which encrypts server-side.
revoke insert, update on public.api_keys from authenticated;
grant update (is_active, expires_at) on public.api_keys to authenticated;
grant select (encryption_key_id, value_mask, last_validated_at) on public.api_keys to authenticated;

-- Usage bookkeeping and rotation are not edits: they leave updated_at alone.
drop trigger api_keys_set_updated_at on public.api_keys;
create trigger api_keys_set_updated_at before update on public.api_keys
  for each row
  when ((old.key_name, old.is_active, old.expires_at, old.value_mask)
        is distinct from (new.key_name, new.is_active, new.expires_at, new.value_mask))
  execute function private.set_updated_at();
comment on trigger api_keys_set_updated_at on public.api_keys is
  'Stamps updated_at when a user-visible field changes, not on use or rotation.';

create or replace function private.api_keys_keep_binding()
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
