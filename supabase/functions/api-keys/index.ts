// /functions/v1/api-keys: the caller's provider keys (bring your own key). Values
// are encrypted here with AES-256-GCM before they reach the database and are never
// returned or logged; lists show a mask. /api-keys/admin/* is for operators
// (the project's secret key): keyring status and rotation.

import type { PostgresApi } from "../_shared/db.ts";
import { openStoredKey } from "../_shared/byok.ts";
import { encryptSecret, loadKeyring } from "../_shared/byok_crypto.ts";
import { ApiError, notFound } from "../_shared/errors.ts";
import { allowOnly, defineFunction } from "../_shared/function.ts";
import {
  parseBody,
  parseJson,
  parseParams,
  parseQuery,
  readBody,
  requireJson,
  validate,
} from "../_shared/validation.ts";
import { maskKey } from "./mask.ts";
import { checkWithProvider } from "./providers.ts";
import { keyringStatus, rotate } from "./rotation.ts";
import { keyCreate, keyListQuery, keyParams, keyPatch, rotateBody } from "./schemas.ts";
import * as store from "./store.ts";

// No keyring, no function: a KeyringError here stops it at startup.
const keyring = await loadKeyring();

/** Keys per user and service; keeps lists short and unpaginated. */
const MAX_KEYS_PER_SERVICE = 50;

const toApiKey = (r: store.KeyRow) => ({
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

/** The caller's stored ciphertext, or 404. */
async function storedSecret(admin: PostgresApi, userId: string, id: string) {
  const row = await store.storedSecret(admin, userId, id);
  if (!row) throw notFound("api key");
  return row;
}

const openSecret = (userId: string, id: string, s: store.Secret) =>
  openStoredKey(keyring, id, s.encrypted_value, {
    userId,
    service: s.service_name,
    keyName: s.key_name,
  });

const fn = defineFunction("api-keys");
const app = fn.routes("user+admin");
const ops = fn.routes("secret", "/admin");

app.get("/", async (c) => {
  const q = parseQuery(c, keyListQuery);
  const rows = await store.listKeys(c.var.db, q.service_name);
  return c.json({ items: rows.map(toApiKey), next_cursor: null });
});

/** Provider keys belong to accounts: an anonymous session stores none (docs/api.md). */
const anonymousRefused = () =>
  new ApiError(
    403,
    "ANONYMOUS_NOT_ALLOWED",
    "anonymous sessions cannot store provider keys: sign up (link an email) first",
  );

app.post("/", async (c) => {
  if (c.var.anonymous) throw anonymousRefused();
  const body = await parseBody(c, keyCreate);
  const userId = c.var.userId;
  if (body.validate) await checkWithProvider(body.service_name, body.value);
  const encrypted = await encryptSecret(keyring, body.value, {
    userId,
    service: body.service_name,
    keyName: body.key_name,
  });
  let row: store.KeyRow | undefined;
  try {
    row = await store.insertKey(c.var.admin, userId, {
      service_name: body.service_name,
      key_name: body.key_name,
      encrypted_value: encrypted,
      value_mask: maskKey(body.value),
      is_active: body.is_active,
      expires_at: body.expires_at,
      validated: body.validate === true,
    }, MAX_KEYS_PER_SERVICE);
  } catch (e) {
    if (isUniqueViolation(e)) throw duplicateName(body.service_name, body.key_name);
    throw e;
  }
  if (!row) {
    throw new ApiError(
      409,
      "TOO_MANY_KEYS",
      `you already have ${MAX_KEYS_PER_SERVICE} ${body.service_name} keys; delete one first`,
    );
  }
  return c.json(toApiKey(row), 201);
});
allowOnly(app, "/", ["GET", "POST"]);

app.get("/:id", async (c) => {
  const { id } = parseParams(c, keyParams);
  const row = await store.getKey(c.var.db, id);
  if (!row) throw notFound("api key");
  return c.json(toApiKey(row));
});

app.patch("/:id", async (c) => {
  const { id } = parseParams(c, keyParams);
  const patch = await parseBody(c, keyPatch);
  const settings = { is_active: patch.is_active, expires_at: patch.expires_at };
  if (patch.key_name === undefined && patch.value === undefined) {
    const row = await store.updateSettings(c.var.db, id, settings);
    if (!row) throw notFound("api key");
    return c.json(toApiKey(row));
  }

  const { admin, userId } = c.var;
  if (patch.value !== undefined && c.var.anonymous) throw anonymousRefused();
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
    let row: store.KeyRow | undefined;
    try {
      row = await store.replaceSecret(admin, userId, id, stored.encrypted_value, {
        ...settings,
        key_name: keyName,
        encrypted_value: encrypted,
        replaced: patch.value === undefined
          ? undefined
          : { value_mask: maskKey(plaintext), validated: patch.validate === true },
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw duplicateName(stored.service_name, keyName);
      throw e;
    }
    if (row) return c.json(toApiKey(row));
  }
  throw new ApiError(409, "CONCURRENT_UPDATE", "the key kept changing while being updated; retry");
});

app.delete("/:id", async (c) => {
  const { id } = parseParams(c, keyParams);
  if (!await store.deleteKey(c.var.db, id)) throw notFound("api key");
  return c.body(null, 204);
});
allowOnly(app, "/:id", ["GET", "PATCH", "DELETE"]);

app.post("/:id/validate", async (c) => {
  const { id } = parseParams(c, keyParams);
  const { admin, userId } = c.var;
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
    const row = await store.stampValidated(admin, userId, id, stored.encrypted_value);
    if (row) return c.json({ valid: true, key: toApiKey(row) });
  }
  throw new ApiError(409, "CONCURRENT_UPDATE", "the key changed while being validated; retry");
});
allowOnly(app, "/:id/validate", ["POST"]);

ops.get("/keyring", async (c) => c.json(await keyringStatus(c.var.admin, keyring)));
allowOnly(ops, "/keyring", ["GET"]);

ops.post("/rotate", async (c) => {
  // An empty body means "defaults", so `curl -X POST` is enough.
  const text = await readBody(c);
  if (text.trim() !== "") requireJson(c);
  const opts = text.trim() === "" ? rotateBody.parse({}) : validate(rotateBody, parseJson(text));
  const report = await rotate(c.var.admin, keyring, {
    afterId: opts.after_id,
    batchSize: opts.batch_size,
    maxRows: opts.max_rows,
  });
  return c.json(report);
});
allowOnly(ops, "/rotate", ["POST"]);

export default fn;
