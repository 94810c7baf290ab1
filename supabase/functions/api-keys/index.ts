// /functions/v1/api-keys: the caller's provider keys (bring your own key). Values
// are encrypted here with AES-256-GCM before they reach the database and are never
// returned or logged; lists show a mask. /api-keys/admin/* is for operators
// (the project's secret key): keyring status and rotation.

import type { PostgresApi } from "@supabase/server/middleware/postgres";
import {
  allowOnly,
  createApp,
  type PrivilegedUserEnv,
  privilegedUserHandler,
  type SecretEnv,
  secretHandler,
} from "../_shared/app.ts";
import { openStoredKey, type Service } from "../_shared/byok.ts";
import { encryptSecret, loadKeyring } from "../_shared/byok_crypto.ts";
import { ApiError, notFound } from "../_shared/errors.ts";
import { serveFunction } from "../_shared/serve.ts";
import { parseBody, parseParams, parseQuery } from "../_shared/validation.ts";
import { maskKey } from "./mask.ts";
import { checkWithProvider } from "./providers.ts";
import { keyringStatus, rotate } from "./rotation.ts";
import { keyCreate, keyListQuery, keyParams, keyPatch, rotateBody } from "./schemas.ts";

// No keyring, no function: a KeyringError here stops it at startup.
const keyring = await loadKeyring();

/** Keys per user and service; keeps lists short and unpaginated. */
const MAX_KEYS_PER_SERVICE = 50;

// Everything a caller may see of a key (a fixed list, never caller text).
const COLUMNS = `id::text as id, service_name, key_name, value_mask, encryption_key_id,
  is_active, expires_at, usage_count::text as usage_count, last_used_at, last_validated_at,
  created_at, updated_at`;

interface KeyRow {
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

const toApiKey = (r: KeyRow) => ({
  id: Number(r.id),
  service_name: r.service_name,
  key_name: r.key_name,
  mask: r.value_mask,
  key_id: r.encryption_key_id,
  is_active: r.is_active,
  expires_at: r.expires_at,
  usage_count: Number(r.usage_count),
  last_used_at: r.last_used_at,
  last_validated_at: r.last_validated_at,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

const duplicateName = (service: string, name: string) =>
  new ApiError(409, "DUPLICATE_KEY_NAME", `you already have a ${service} key named '${name}'`, {
    details: { field: "key_name" },
  });

const isUniqueViolation = (e: unknown) => (e as { code?: string })?.code === "23505";

interface Secret {
  service_name: Service;
  key_name: string;
  encrypted_value: string;
}

/** The caller's stored ciphertext; admin client, so the owner is named explicitly. */
async function storedSecret(admin: PostgresApi, userId: string, id: string): Promise<Secret> {
  const [row]: Secret[] = await admin.query`
    select service_name, key_name, encrypted_value from public.api_keys
     where id = ${id}::bigint and user_id = ${userId}::uuid`;
  if (!row) throw notFound("api key");
  return row;
}

const openSecret = (userId: string, id: string, s: Secret) =>
  openStoredKey(keyring, id, s.encrypted_value, {
    userId,
    service: s.service_name,
    keyName: s.key_name,
  });

const app = createApp<PrivilegedUserEnv>("api-keys");

app.get("/", async (c) => {
  const q = parseQuery(c, keyListQuery);
  const rows = await c.env.db.queryRaw<KeyRow>(
    `select ${COLUMNS} from public.api_keys
      where user_id = auth.uid() and ($1::text is null or service_name = $1)
      order by service_name, key_name`,
    [q.service_name ?? null],
  );
  return c.json({ items: rows.map(toApiKey), next_cursor: null });
});

app.post("/", async (c) => {
  const body = await parseBody(c, keyCreate);
  const userId = c.env.userId;
  if (body.validate) await checkWithProvider(body.service_name, body.value);
  const encrypted = await encryptSecret(keyring, body.value, {
    userId,
    service: body.service_name,
    keyName: body.key_name,
  });
  let rows: KeyRow[];
  try {
    rows = await c.env.admin.queryRaw<KeyRow>(
      `insert into public.api_keys (user_id, service_name, key_name, encrypted_value, value_mask,
                                    is_active, expires_at, last_validated_at)
       select $1::uuid, $2, $3, $4, $5, $6, $7::timestamptz, case when $8 then now() end
        where (select count(*) from public.api_keys
                where user_id = $1::uuid and service_name = $2) < $9
       returning ${COLUMNS}`,
      [
        userId,
        body.service_name,
        body.key_name,
        encrypted,
        maskKey(body.value),
        body.is_active ?? true,
        body.expires_at ?? null,
        body.validate === true,
        MAX_KEYS_PER_SERVICE,
      ],
    );
  } catch (e) {
    if (isUniqueViolation(e)) throw duplicateName(body.service_name, body.key_name);
    throw e;
  }
  if (rows.length === 0) {
    throw new ApiError(
      409,
      "TOO_MANY_KEYS",
      `you already have ${MAX_KEYS_PER_SERVICE} ${body.service_name} keys; delete one first`,
    );
  }
  return c.json(toApiKey(rows[0]), 201);
});
allowOnly(app, "/", ["GET", "POST"]);

app.get("/:id", async (c) => {
  const { id } = parseParams(c, keyParams);
  const [row] = await c.env.db.queryRaw<KeyRow>(
    `select ${COLUMNS} from public.api_keys where id = $1::bigint`,
    [id],
  );
  if (!row) throw notFound("api key");
  return c.json(toApiKey(row));
});

app.patch("/:id", async (c) => {
  const { id } = parseParams(c, keyParams);
  const patch = await parseBody(c, keyPatch);
  const hasExpiry = patch.expires_at !== undefined;
  if (patch.key_name === undefined && patch.value === undefined) {
    // Settings only: the caller's own grant and RLS are enough.
    const [row] = await c.env.db.queryRaw<KeyRow>(
      `update public.api_keys
          set is_active = coalesce($2, is_active),
              expires_at = case when $3 then $4::timestamptz else expires_at end
        where id = $1::bigint
       returning ${COLUMNS}`,
      [id, patch.is_active ?? null, hasExpiry, patch.expires_at ?? null],
    );
    if (!row) throw notFound("api key");
    return c.json(toApiKey(row));
  }

  const { admin, userId } = c.env;
  if (patch.validate && patch.value !== undefined) {
    const { service_name } = await storedSecret(admin, userId, id);
    await checkWithProvider(service_name, patch.value);
  }
  // The ciphertext is bound to the name: renaming re-encrypts. The update only
  // lands if the stored value is still the one we read (a rotation or another
  // edit in between makes us read again).
  for (let attempt = 0; attempt < 3; attempt++) {
    const stored = await storedSecret(admin, userId, id);
    const keyName = patch.key_name ?? stored.key_name;
    const plaintext = patch.value ?? await openSecret(userId, id, stored);
    const encrypted = await encryptSecret(keyring, plaintext, {
      userId,
      service: stored.service_name,
      keyName,
    });
    const replaced = patch.value !== undefined;
    let rows: KeyRow[];
    try {
      rows = await admin.queryRaw<KeyRow>(
        `update public.api_keys
            set key_name = $3, encrypted_value = $4,
                value_mask = case when $5 then $6 else value_mask end,
                last_validated_at = case when $5 then (case when $7 then now() end)
                                         else last_validated_at end,
                updated_at = case when $5 then now() else updated_at end,
                is_active = coalesce($8, is_active),
                expires_at = case when $9 then $10::timestamptz else expires_at end
          where id = $1::bigint and user_id = $2::uuid and encrypted_value = $11
         returning ${COLUMNS}`,
        [
          id,
          userId,
          keyName,
          encrypted,
          replaced,
          maskKey(plaintext),
          patch.validate === true,
          patch.is_active ?? null,
          hasExpiry,
          patch.expires_at ?? null,
          stored.encrypted_value,
        ],
      );
    } catch (e) {
      if (isUniqueViolation(e)) throw duplicateName(stored.service_name, keyName);
      throw e;
    }
    if (rows[0]) return c.json(toApiKey(rows[0]));
  }
  throw new ApiError(409, "CONCURRENT_UPDATE", "the key kept changing while being updated; retry");
});

app.delete("/:id", async (c) => {
  const { id } = parseParams(c, keyParams);
  const rows = await c.env.db
    .query`delete from public.api_keys where id = ${id}::bigint returning id`;
  if (rows.length === 0) throw notFound("api key");
  return c.body(null, 204);
});
allowOnly(app, "/:id", ["GET", "PATCH", "DELETE"]);

app.post("/:id/validate", async (c) => {
  const { id } = parseParams(c, keyParams);
  const { admin, userId } = c.env;
  let checked: string | undefined;
  // Stamp only the value that was checked. A rotation in between rewrites the
  // ciphertext but not the value: read again and stamp if it is still the same.
  for (let attempt = 0; attempt < 3; attempt++) {
    const stored = await storedSecret(admin, userId, id);
    const value = await openSecret(userId, id, stored);
    if (checked === undefined) {
      await checkWithProvider(stored.service_name, value);
      checked = value;
    } else if (value !== checked) {
      break; // replaced while we were asking the provider
    }
    const [row] = await admin.queryRaw<KeyRow>(
      `update public.api_keys set last_validated_at = now()
        where id = $1::bigint and user_id = $2::uuid and encrypted_value = $3
       returning ${COLUMNS}`,
      [id, userId, stored.encrypted_value],
    );
    if (row) return c.json({ valid: true, key: toApiKey(row) });
  }
  throw new ApiError(409, "CONCURRENT_UPDATE", "the key changed while being validated; retry");
});
allowOnly(app, "/:id/validate", ["POST"]);

const ops = createApp<SecretEnv>("api-keys/admin");

ops.get("/keyring", async (c) => c.json(await keyringStatus(c.env.admin, keyring)));
allowOnly(ops, "/keyring", ["GET"]);

ops.post("/rotate", async (c) => {
  // An empty body means "defaults", so `curl -X POST` is enough.
  const empty = (await c.req.text()).trim() === "";
  const opts = empty ? rotateBody.parse({}) : await parseBody(c, rotateBody);
  const report = await rotate(c.env.admin, keyring, {
    afterId: opts.after_id,
    batchSize: opts.batch_size,
    maxRows: opts.max_rows,
  });
  return c.json(report);
});
allowOnly(ops, "/rotate", ["POST"]);

const ADMIN_PATH = /^\/api-keys\/admin(\/|$)/;
const users = privilegedUserHandler(app);
const operators = secretHandler(ops);

export default {
  fetch: serveFunction(
    "api-keys",
    (req) => ADMIN_PATH.test(new URL(req.url).pathname) ? operators(req) : users(req),
  ),
};
