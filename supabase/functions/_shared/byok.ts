// Server-side use of a caller's stored provider key. Reading ciphertext needs the
// admin client (the `authenticated` role has no privilege on that column), so
// every statement here names the caller's user id taken from the verified JWT.

import type { PostgresApi } from "./db.ts";
import { type Binding, DecryptError, decryptSecret, type Keyring } from "./byok_crypto.ts";
import { Constants } from "./database.types.ts";
import { ApiError } from "./errors.ts";

/** Providers a key can be stored for: the database enum public.api_service. */
export const SERVICES = Constants.public.Enums.api_service;
export type Service = (typeof SERVICES)[number];

/** A decrypted key, for this request only: never log, store or return `value`. */
export interface UsableKey {
  id: string;
  keyName: string;
  value: string;
}

/**
 * A stored value that no longer decrypts: the user learns what to do, the
 * operator's log gets why (tampered row, or a key id removed from BYOK_KEYS).
 */
export function unreadableKey(id: string, e: DecryptError): ApiError {
  console.error(
    JSON.stringify({ level: "error", msg: "stored key unreadable", id, why: e.reason }),
  );
  return new ApiError(
    409,
    "STORED_VALUE_UNREADABLE",
    "the stored value of this key can no longer be decrypted; set a new value with PATCH /api-keys/:id",
  );
}

/** Decrypts a stored value, answering 409 STORED_VALUE_UNREADABLE when it cannot. */
export async function openStoredKey(
  keyring: Keyring,
  id: string,
  ciphertext: string,
  binding: Binding,
): Promise<string> {
  try {
    return await decryptSecret(keyring, ciphertext, binding);
  } catch (e) {
    if (e instanceof DecryptError) throw unreadableKey(id, e);
    throw e;
  }
}

interface UsedRow {
  id: string;
  key_name: string;
  encrypted_value: string;
}

/**
 * Decrypts the caller's newest active, unexpired key for `service` and records the
 * use (usage_count + 1, last_used_at) in the same statement, so concurrent uses are
 * each counted once. Null when the caller has no usable key for the service.
 */
export async function useApiKey(
  admin: PostgresApi,
  keyring: Keyring,
  userId: string,
  service: Service,
): Promise<UsableKey | null> {
  // The usability test is repeated on the outer row so that a key deactivated
  // between the sub-select and the row lock is not used (READ COMMITTED recheck).
  const rows: UsedRow[] = await admin.query`
    update public.api_keys k
       set usage_count = k.usage_count + 1, last_used_at = now()
     where k.id = (select c.id from public.api_keys c
                    where c.user_id = ${userId}::uuid and c.service_name = ${service}
                      and c.is_active and (c.expires_at is null or c.expires_at > now())
                    order by c.created_at desc, c.id desc
                    limit 1)
       and k.user_id = ${userId}::uuid
       and k.is_active and (k.expires_at is null or k.expires_at > now())
    returning k.id::text as id, k.key_name, k.encrypted_value`;
  const row = rows[0];
  if (!row) return null;
  const value = await openStoredKey(keyring, row.id, row.encrypted_value, {
    userId,
    service,
    keyName: row.key_name,
  });
  return { id: row.id, keyName: row.key_name, value };
}

/** Whose key an upstream call uses: a refused server key is our fault, not the user's. */
export interface OpenAiKey {
  value: string;
  owner: "user" | "server";
}

/**
 * The caller's active OpenAI key, else the deployment's OPENAI_API_KEY, else 424. A
 * database round trip and a decryption: callers that may not need it (an embedding
 * that is cached) pass `() => openAiKeyFor(...)` and it runs only when it is needed.
 */
export async function openAiKeyFor(
  admin: PostgresApi,
  keyring: Keyring,
  userId: string,
): Promise<OpenAiKey> {
  const own = await useApiKey(admin, keyring, userId, "openai");
  if (own) return { value: own.value, owner: "user" };
  const server = Deno.env.get("OPENAI_API_KEY");
  if (server) return { value: server, owner: "server" };
  throw new ApiError(
    424,
    "OPENAI_KEY_REQUIRED",
    "this needs an OpenAI key: add yours with POST /functions/v1/api-keys " +
      '{"service_name":"openai","key_name":"default","value":"sk-..."}',
  );
}

/** How a caller gets a key, asked only when an upstream call is about to be made. */
export type KeySource = () => Promise<OpenAiKey>;
