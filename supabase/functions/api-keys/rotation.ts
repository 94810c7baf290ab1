// Re-encrypting stored keys under the active key id, batch by batch. Each batch is
// one UPDATE that commits on its own, so an interrupted rotation resumes by simply
// running again. A row is rewritten only after its new ciphertext has decrypted
// back to the same value, and only if nobody changed it meanwhile (the UPDATE
// compares the old ciphertext), so a concurrent edit or rotation is never undone.

import type { PostgresApi } from "../_shared/db.ts";
import {
  DecryptError,
  decryptSecret,
  encryptSecret,
  type Keyring,
} from "../_shared/byok_crypto.ts";

export interface RotationFailure {
  id: number;
  key_id: string;
  reason: string;
}

export interface KeyringStatus {
  active_kid: string;
  configured_kids: readonly string[];
  /** Stored rows per key id, including ids no longer configured. */
  rows_by_kid: Record<string, number>;
  /** Rows not under the active key id. */
  remaining: number;
}

export interface RotationReport extends KeyringStatus {
  rotated: number;
  /** Rows that changed while being rotated: they are left to the other writer. */
  changed_meanwhile: number;
  failed: RotationFailure[];
  /** Pass as after_id to continue; null when every row past the cursor was seen. */
  next_after_id: string | null;
}

interface StoredRow {
  id: string;
  user_id: string;
  service_name: string;
  key_name: string;
  encrypted_value: string;
}

export async function keyringStatus(admin: PostgresApi, keyring: Keyring): Promise<KeyringStatus> {
  const rows: { kid: string; n: number }[] = await admin.query`
    select encryption_key_id as kid, count(*)::int as n
      from public.api_keys group by 1 order by 1`;
  const rows_by_kid: Record<string, number> = Object.fromEntries(keyring.kids.map((k) => [k, 0]));
  let remaining = 0;
  for (const r of rows) {
    rows_by_kid[r.kid] = r.n;
    if (r.kid !== keyring.activeKid) remaining += r.n;
  }
  return { active_kid: keyring.activeKid, configured_kids: keyring.kids, rows_by_kid, remaining };
}

async function reencrypt(keyring: Keyring, row: StoredRow): Promise<string> {
  const binding = { userId: row.user_id, service: row.service_name, keyName: row.key_name };
  const plaintext = await decryptSecret(keyring, row.encrypted_value, binding);
  const fresh = await encryptSecret(keyring, plaintext, binding);
  if (await decryptSecret(keyring, fresh, binding) !== plaintext) {
    throw new DecryptError("not_authentic", "the new ciphertext did not decrypt to the value");
  }
  return fresh;
}

/** Rotates up to `maxRows` rows with id > afterId that are not under the active key. */
export async function rotate(
  admin: PostgresApi,
  keyring: Keyring,
  opts: { afterId: string; batchSize: number; maxRows: number },
): Promise<RotationReport> {
  let after = opts.afterId;
  let seen = 0;
  let rotated = 0;
  let changed = 0;
  let exhausted = false;
  const failed: RotationFailure[] = [];
  while (seen < opts.maxRows) {
    const limit = Math.min(opts.batchSize, opts.maxRows - seen);
    const batch: StoredRow[] = await admin.query`
      select k.id::text as id, k.user_id::text as user_id, k.service_name, k.key_name,
             k.encrypted_value
        from public.api_keys k
       where k.encryption_key_id <> ${keyring.activeKid} and k.id > ${after}::bigint
       order by k.id -- the table's bigint, not the text alias
       limit ${limit}`;
    if (batch.length === 0) {
      exhausted = true;
      break;
    }
    seen += batch.length;
    after = batch[batch.length - 1].id;
    const ids: string[] = [];
    const olds: string[] = [];
    const news: string[] = [];
    for (const row of batch) {
      try {
        news.push(await reencrypt(keyring, row));
        ids.push(row.id);
        olds.push(row.encrypted_value);
      } catch (e) {
        if (!(e instanceof DecryptError)) throw e;
        failed.push({
          id: Number(row.id),
          key_id: row.encrypted_value.split(".")[1],
          reason: e.message,
        });
      }
    }
    if (ids.length > 0) {
      const done: { id: string }[] = await admin.query`
        update public.api_keys a set encrypted_value = v.new_value
          from unnest(${ids}::bigint[], ${olds}::text[], ${news}::text[]) as v(id, old_value, new_value)
         where a.id = v.id and a.encrypted_value = v.old_value
        returning a.id::text as id`;
      rotated += done.length;
      changed += ids.length - done.length;
    }
    if (batch.length < limit) {
      exhausted = true;
      break;
    }
  }
  return {
    ...(await keyringStatus(admin, keyring)),
    rotated,
    changed_meanwhile: changed,
    failed,
    next_after_id: exhausted ? null : after,
  };
}
