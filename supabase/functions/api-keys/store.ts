// Every statement of the api-keys user routes, in one place. Reads and settings go
// through the caller's RLS-scoped client; what touches ciphertext goes through the
// admin client (authenticated has no privilege on that column) and names the
// caller's id in every statement. Rotation's batch statements live in rotation.ts.

import type { PostgresApi } from "../_shared/db.ts";
import type { Service } from "../_shared/byok.ts";

/** Everything a caller may see of a key (a fixed list, never caller text). */
const COLUMNS = `id::text as id, service_name, key_name, value_mask, encryption_key_id,
  is_active, expires_at, usage_count::text as usage_count, last_used_at, last_validated_at,
  created_at, updated_at`;

export interface KeyRow {
  id: string;
  service_name: string;
  key_name: string;
  value_mask: string;
  encryption_key_id: string;
  is_active: boolean;
  expires_at: Date | null;
  usage_count: string;
  last_used_at: Date | null;
  last_validated_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** A stored value with what its encryption is bound to. */
export interface Secret {
  service_name: Service;
  key_name: string;
  encrypted_value: string;
}

/** The settings a user changes without touching the value. */
export interface Settings {
  is_active?: boolean;
  /** undefined: keep; null: never expires. */
  expires_at?: string | null;
}

export async function listKeys(db: PostgresApi, service?: Service): Promise<KeyRow[]> {
  return await db.queryRaw<KeyRow>(
    `select ${COLUMNS} from public.api_keys
      where user_id = auth.uid()
        and ($1::text is null or service_name = $1::public.api_service)
      order by service_name, key_name`,
    [service ?? null],
  );
}

export async function getKey(db: PostgresApi, id: string): Promise<KeyRow | undefined> {
  const [row] = await db.queryRaw<KeyRow>(
    `select ${COLUMNS} from public.api_keys where id = $1::bigint`,
    [id],
  );
  return row;
}

/** Settings only: the caller's own column grants and RLS are enough. */
export async function updateSettings(
  db: PostgresApi,
  id: string,
  s: Settings,
): Promise<KeyRow | undefined> {
  const [row] = await db.queryRaw<KeyRow>(
    `update public.api_keys
        set is_active = coalesce($2, is_active),
            expires_at = case when $3 then $4::timestamptz else expires_at end
      where id = $1::bigint
     returning ${COLUMNS}`,
    [id, s.is_active ?? null, s.expires_at !== undefined, s.expires_at ?? null],
  );
  return row;
}

export async function deleteKey(db: PostgresApi, id: string): Promise<boolean> {
  const rows = await db.query`delete from public.api_keys where id = ${id}::bigint returning id`;
  return rows.length > 0;
}

/** The caller's stored ciphertext; admin client, so the owner is named explicitly. */
export async function storedSecret(
  admin: PostgresApi,
  userId: string,
  id: string,
): Promise<Secret | undefined> {
  const [row]: Secret[] = await admin.query`
    select service_name, key_name, encrypted_value from public.api_keys
     where id = ${id}::bigint and user_id = ${userId}::uuid`;
  return row;
}

export interface NewKey extends Settings {
  service_name: Service;
  key_name: string;
  encrypted_value: string;
  value_mask: string;
  /** The provider accepted the value just now. */
  validated: boolean;
}

/**
 * Inserts a key unless the caller already has `maxPerService` keys of that
 * service (undefined then). A duplicate name raises 23505.
 */
export async function insertKey(
  admin: PostgresApi,
  userId: string,
  k: NewKey,
  maxPerService: number,
): Promise<KeyRow | undefined> {
  const [row] = await admin.queryRaw<KeyRow>(
    `insert into public.api_keys (user_id, service_name, key_name, encrypted_value, value_mask,
                                  is_active, expires_at, last_validated_at)
     select $1::uuid, $2::public.api_service, $3, $4, $5, $6, $7::timestamptz,
            case when $8 then now() end
      where (select count(*) from public.api_keys
              where user_id = $1::uuid and service_name = $2::public.api_service) < $9
     returning ${COLUMNS}`,
    [
      userId,
      k.service_name,
      k.key_name,
      k.encrypted_value,
      k.value_mask,
      k.is_active ?? true,
      k.expires_at ?? null,
      k.validated,
      maxPerService,
    ],
  );
  return row;
}

/** A new ciphertext for a key: after a rename, a new value, or both. */
export interface Reencrypted extends Settings {
  key_name: string;
  encrypted_value: string;
  /** Present when the value itself was replaced (not only re-encrypted for a rename). */
  replaced?: { value_mask: string; validated: boolean };
}

/**
 * Writes a new ciphertext only if the stored one is still `expected` (a rotation or
 * another edit in between makes the caller read again: undefined). A replaced value
 * gets its mask, its validation stamp and updated_at; a rename keeps them.
 */
export async function replaceSecret(
  admin: PostgresApi,
  userId: string,
  id: string,
  expected: string,
  r: Reencrypted,
): Promise<KeyRow | undefined> {
  // The changes travel as one JSON object read by name, not as positional parameters.
  const changes = {
    new_key_name: r.key_name,
    new_encrypted_value: r.encrypted_value,
    replaced: r.replaced !== undefined,
    new_value_mask: r.replaced?.value_mask ?? null,
    validated: r.replaced?.validated ?? false,
    new_is_active: r.is_active ?? null,
    set_expiry: r.expires_at !== undefined,
    new_expires_at: r.expires_at ?? null,
  };
  const [row] = await admin.queryRaw<KeyRow>(
    `update public.api_keys
        set key_name = c.new_key_name,
            encrypted_value = c.new_encrypted_value,
            value_mask = case when c.replaced then c.new_value_mask else value_mask end,
            last_validated_at = case when not c.replaced then last_validated_at
                                     when c.validated then now() end,
            updated_at = case when c.replaced then now() else updated_at end,
            is_active = coalesce(c.new_is_active, is_active),
            expires_at = case when c.set_expiry then c.new_expires_at else expires_at end
       from jsonb_to_record($4::jsonb) as c(new_key_name text, new_encrypted_value text,
              replaced boolean, new_value_mask text, validated boolean, new_is_active boolean,
              set_expiry boolean, new_expires_at timestamptz)
      where id = $1::bigint and user_id = $2::uuid and encrypted_value = $3
     returning ${COLUMNS}`,
    [id, userId, expected, JSON.stringify(changes)],
  );
  return row;
}

/** Stamps last_validated_at if the stored ciphertext is still the one checked. */
export async function stampValidated(
  admin: PostgresApi,
  userId: string,
  id: string,
  checked: string,
): Promise<KeyRow | undefined> {
  const [row] = await admin.queryRaw<KeyRow>(
    `update public.api_keys set last_validated_at = now()
      where id = $1::bigint and user_id = $2::uuid and encrypted_value = $3
     returning ${COLUMNS}`,
    [id, userId, checked],
  );
  return row;
}
