// The api-keys function over HTTP against the test stack, the server-side helper
// other functions use, rotation under load, and a search for leaked plaintext.
import assert from "node:assert/strict";
import { useApiKey } from "../supabase/functions/_shared/byok.ts";
import {
  decryptSecret,
  encryptSecret,
  loadKeyring,
} from "../supabase/functions/_shared/byok_crypto.ts";
import {
  env,
  FUNCTIONS_URL,
  newUser,
  type Reply,
  request,
  type TestUser,
  tokenWith,
} from "../harness/stack.ts";
import { invoke, withAdminDb } from "./support.ts";

// Every plaintext stored by this file, and every response body it received: the
// last test checks that no plaintext shows up in a response, a log or a dump.
const plaintexts = new Set<string>();
const responses: string[] = [];

const secret = (label: string) => {
  const value = `sk-test-${label}-${crypto.randomUUID().replaceAll("-", "")}`;
  plaintexts.add(value);
  return value;
};

async function api(
  user: TestUser | null,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const reply = await request(user, method, `/api-keys${path}`, body, headers);
  responses.push(reply.text);
  return reply;
}

const operator = { apikey: env("SUPABASE_SECRET_KEY") };
const admin = (method: string, path: string, body?: unknown) =>
  api(null, method, `/admin${path}`, body, operator);

async function embeddingsFaults(faults: Record<string, number> | null) {
  const res = await fetch(`${env("OPENAI_BASE_URL").replace(/\/v1$/, "")}/__faults`, {
    method: faults ? "POST" : "DELETE",
    headers: { Authorization: `Bearer ${env("LOCAL_OPENAI_KEY")}` },
    body: faults ? JSON.stringify(faults) : undefined,
  });
  assert.equal(res.status, 200, await res.text());
}

const KEY_FIELDS = [
  "created_at",
  "expires_at",
  "id",
  "is_active",
  "key_id",
  "key_name",
  "last_used_at",
  "last_validated_at",
  "mask",
  "service_name",
  "updated_at",
  "usage_count",
];

Deno.test("api-keys: create, list, read; the value never comes back", async () => {
  const user = await newUser("byok");
  const value = secret("create");
  const created = await api(user, "POST", "/", {
    service_name: "openai",
    key_name: "main",
    value: `  ${value}\n`,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.deepEqual(Object.keys(created.body).sort(), KEY_FIELDS);
  assert.equal(created.body.service_name, "openai");
  assert.equal(created.body.key_name, "main");
  assert.equal(created.body.mask, `sk-…${value.slice(-4)}`, "trimmed, then masked");
  assert.equal(created.body.key_id, "k1");
  assert.equal(created.body.is_active, true);
  assert.equal(created.body.usage_count, 0);
  assert.equal(created.body.last_validated_at, null, "not checked, so not marked valid");

  const list = await api(user, "GET", "/");
  assert.equal(list.status, 200);
  assert.deepEqual(list.body, { items: [created.body], next_cursor: null });
  const one = await api(user, "GET", `/${created.body.id}`);
  assert.deepEqual(one.body, created.body);
  const filtered = await api(user, "GET", "/?service_name=anthropic");
  assert.deepEqual(filtered.body.items, []);

  // supabase-js, the way an app calls it.
  const viaClient = await invoke(user, "api-keys");
  assert.equal(viaClient.status, 200);
  assert.equal(viaClient.body.items[0].id, created.body.id);

  // The stored row holds ciphertext bound to this row, never the value.
  await withAdminDb(async (db) => {
    const [row] = await db.query<{ encrypted_value: string }>`
      select encrypted_value from public.api_keys where id = ${created.body.id}`;
    assert.match(row.encrypted_value, /^v1\.k1\./);
    assert.ok(!row.encrypted_value.includes(value));
    const keyring = await loadKeyring();
    const used = await useApiKey(db, keyring, user.id, "openai");
    assert.equal(used?.value, value);
  });

  const dup = await api(user, "POST", "/", {
    service_name: "openai",
    key_name: "main",
    value: secret("dup"),
  });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.code, "DUPLICATE_KEY_NAME");
  assert.equal(dup.body.details.field, "key_name");
});

Deno.test("api-keys: bad input is a 400 naming the field, and echoes no value", async () => {
  const user = await newUser("byok-bad");
  const value = secret("bad");
  const good = { service_name: "openai", key_name: "k", value };
  const cases: [unknown, string][] = [
    [{ ...good, service_name: "myspace" }, "service_name"],
    [{ ...good, key_name: "  " }, "key_name"],
    [{ ...good, key_name: "a\nb" }, "key_name"],
    [{ ...good, key_name: "x".repeat(101) }, "key_name"],
    [{ ...good, value: "short" }, "value"],
    [{ ...good, value: `${value} ${value}` }, "value"],
    [{ ...good, value: `${value}é` }, "value"],
    [{ ...good, value: "x".repeat(1025) }, "value"],
    [{ ...good, value: 12345678 }, "value"],
    [{ ...good, expires_at: "2020-01-01T00:00:00Z" }, "expires_at"],
    [{ ...good, expires_at: "tomorrow" }, "expires_at"],
    [{ ...good, validate: "yes" }, "validate"],
    [{ ...good, encrypted_value: "v1.k1.x.y" }, "body"],
    [{ service_name: "openai", key_name: "k" }, "value"],
  ];
  for (const [body, field] of cases) {
    const res = await api(user, "POST", "/", body);
    assert.equal(res.status, 400, `${JSON.stringify(body)} -> ${JSON.stringify(res.body)}`);
    assert.equal(res.body.code, "VALIDATION_FAILED");
    assert.ok(
      res.body.details.fields.some((f: { field: string }) => f.field === field),
      `${field}: ${JSON.stringify(res.body)}`,
    );
  }
  const created = await api(user, "POST", "/", good);
  const id = created.body.id;
  const patches: [unknown, string][] = [
    [{}, "body"],
    [{ validate: true }, "body"],
    [{ key_name: "renamed", validate: true }, "validate"],
    [{ is_active: "no" }, "is_active"],
    [{ usage_count: 0 }, "body"],
  ];
  for (const [body, field] of patches) {
    const res = await api(user, "PATCH", `/${id}`, body);
    assert.equal(res.status, 400, `${JSON.stringify(body)} -> ${JSON.stringify(res.body)}`);
    assert.ok(
      res.body.details.fields.some((f: { field: string }) => f.field === field),
      JSON.stringify(res.body),
    );
  }
  for (const path of ["/abc", "/0", "/-1", "/99999999999999999999"]) {
    assert.equal((await api(user, "GET", path)).status, 404, path);
  }
  const wrongMethod = await api(user, "PUT", `/${id}`, {});
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers.get("allow"), "GET, PATCH, DELETE, OPTIONS");
  assert.equal((await api(user, "GET", `/${id}/validate`)).status, 405);
});

Deno.test("api-keys: validation asks the provider and stores only what it accepted", async () => {
  const user = await newUser("byok-validate");
  const good = env("LOCAL_OPENAI_KEY"); // the one key the local OpenAI server accepts
  plaintexts.add(good);
  const bad = secret("rejected");

  const refused = await api(user, "POST", "/", {
    service_name: "openai",
    key_name: "bad",
    value: bad,
    validate: true,
  });
  assert.equal(refused.status, 422);
  assert.equal(refused.body.code, "API_KEY_REJECTED");
  assert.match(refused.body.message, /your openai key was rejected/);
  assert.deepEqual((await api(user, "GET", "/")).body.items, [], "nothing stored");

  const accepted = await api(user, "POST", "/", {
    service_name: "openai",
    key_name: "good",
    value: good,
    validate: true,
  });
  assert.equal(accepted.status, 201);
  assert.ok(accepted.body.last_validated_at, "checked, so stamped");
  const id = accepted.body.id;

  const again = await api(user, "POST", `/${id}/validate`);
  assert.equal(again.status, 200);
  assert.equal(again.body.valid, true);
  assert.ok(again.body.key.last_validated_at >= accepted.body.last_validated_at);
  assert.equal(again.body.key.usage_count, 0, "validation is not a use");

  // A stored value that the provider refuses: 422, and never stamped valid.
  const unchecked = await api(user, "POST", "/", {
    service_name: "openai",
    key_name: "unchecked",
    value: bad,
  });
  const check = await api(user, "POST", `/${unchecked.body.id}/validate`);
  assert.equal(check.status, 422);
  assert.equal((await api(user, "GET", `/${unchecked.body.id}`)).body.last_validated_at, null);

  // Replacing the value with validate: the new value is checked before it is stored.
  const replaced = await api(user, "PATCH", `/${unchecked.body.id}`, {
    value: good,
    validate: true,
  });
  assert.equal(replaced.status, 200);
  assert.ok(replaced.body.last_validated_at);
  const rejectedReplace = await api(user, "PATCH", `/${id}`, { value: bad, validate: true });
  assert.equal(rejectedReplace.status, 422);
  assert.equal((await api(user, "GET", `/${id}`)).body.mask, accepted.body.mask, "old value kept");

  // Provider failures: 5xx -> 502, 429 -> 429 with Retry-After, too slow -> 504.
  try {
    await embeddingsFaults({ status: 503, count: 1 });
    const down = await api(user, "POST", `/${id}/validate`);
    assert.equal(down.status, 502);
    assert.equal(down.body.code, "UPSTREAM_ERROR");

    await embeddingsFaults({ status: 429, retry_after: 7, count: 1 });
    const limited = await api(user, "POST", `/${id}/validate`);
    assert.equal(limited.status, 429);
    assert.equal(limited.body.code, "UPSTREAM_RATE_LIMITED");
    assert.equal(limited.headers.get("retry-after"), "7");

    await embeddingsFaults({ latency_ms: 4000, count: 1 });
    const slow = await api(user, "POST", "/", {
      service_name: "openai",
      key_name: "slow",
      value: good,
      validate: true,
    });
    assert.equal(slow.status, 504);
    assert.equal(slow.body.code, "UPSTREAM_TIMEOUT");
  } finally {
    await embeddingsFaults(null);
  }
  const names = (await api(user, "GET", "/")).body.items.map((k: { key_name: string }) =>
    k.key_name
  );
  assert.deepEqual(names, ["good", "unchecked"], "failed validations stored nothing");
});

Deno.test("api-keys: rename re-encrypts, replace re-masks, settings toggle, delete", async () => {
  const user = await newUser("byok-edit");
  const first = secret("first-value");
  const created =
    (await api(user, "POST", "/", { service_name: "anthropic", key_name: "a", value: first })).body;
  const other = await api(user, "POST", "/", {
    service_name: "anthropic",
    key_name: "b",
    value: secret("b"),
  });
  assert.equal(other.status, 201);

  const renamed = await api(user, "PATCH", `/${created.id}`, { key_name: "primary" });
  assert.equal(renamed.status, 200);
  assert.equal(renamed.body.key_name, "primary");
  assert.equal(renamed.body.mask, created.mask);
  assert.ok(renamed.body.updated_at > created.updated_at);
  const clash = await api(user, "PATCH", `/${created.id}`, { key_name: "b" });
  assert.equal(clash.status, 409);
  assert.equal(clash.body.code, "DUPLICATE_KEY_NAME");

  const keyring = await loadKeyring();
  await withAdminDb(async (db) => {
    // The renamed row still decrypts: its ciphertext was re-bound to the new name.
    await db.query`update public.api_keys set is_active = false where id = ${other.body.id}`;
    assert.equal((await useApiKey(db, keyring, user.id, "anthropic"))?.value, first);
  });

  const second = secret("second-value");
  const replaced = await api(user, "PATCH", `/${created.id}`, { value: second });
  assert.equal(replaced.status, 200);
  assert.equal(replaced.body.mask, `sk-…${second.slice(-4)}`);
  assert.equal(replaced.body.last_validated_at, null);
  assert.equal(replaced.body.key_name, "primary");

  const expires = new Date(Date.now() + 86_400_000).toISOString();
  const settings = await api(user, "PATCH", `/${created.id}`, {
    is_active: false,
    expires_at: expires,
  });
  assert.equal(settings.status, 200);
  assert.equal(settings.body.is_active, false);
  assert.equal(Date.parse(settings.body.expires_at), Date.parse(expires));
  await withAdminDb(async (db) => {
    assert.equal(
      await useApiKey(db, keyring, user.id, "anthropic"),
      null,
      "inactive keys are not used",
    );
  });
  const back = await api(user, "PATCH", `/${created.id}`, { is_active: true, expires_at: null });
  assert.equal(back.body.expires_at, null);
  await withAdminDb(async (db) => {
    assert.equal((await useApiKey(db, keyring, user.id, "anthropic"))?.value, second);
  });

  assert.equal((await api(user, "DELETE", `/${created.id}`)).status, 204);
  assert.equal((await api(user, "GET", `/${created.id}`)).status, 404);
  assert.equal((await api(user, "DELETE", `/${created.id}`)).status, 404);
});

Deno.test("api-keys: another user can neither list, use, validate, update nor delete a key", async () => {
  const owner = await newUser("byok-owner");
  const intruder = await newUser("byok-intruder");
  const value = secret("owned");
  const { id } =
    (await api(owner, "POST", "/", { service_name: "openai", key_name: "main", value })).body;

  assert.deepEqual((await api(intruder, "GET", "/")).body.items, []);
  const attempts: [string, string, unknown][] = [
    ["GET", `/${id}`, undefined],
    ["PATCH", `/${id}`, { is_active: false }],
    ["PATCH", `/${id}`, { key_name: "mine" }],
    ["PATCH", `/${id}`, { value: secret("overwrite") }],
    ["POST", `/${id}/validate`, undefined],
    ["DELETE", `/${id}`, undefined],
  ];
  for (const [method, path, body] of attempts) {
    const res = await api(intruder, method, path, body);
    assert.equal(res.status, 404, `${method} ${path}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.code, "NOT_FOUND");
  }
  assert.equal((await api(null, "GET", "/")).status, 401);
  await withAdminDb(async (db) => {
    assert.equal(await useApiKey(db, await loadKeyring(), intruder.id, "openai"), null);
  });
  const mine = await api(owner, "GET", `/${id}`);
  assert.equal(mine.body.key_name, "main");
  assert.equal(mine.body.is_active, true);
  assert.equal(mine.body.mask, `sk-…${value.slice(-4)}`);
});

Deno.test("api-keys: expired keys are not used, the newest usable one is", async () => {
  const user = await newUser("byok-expiry");
  const older = secret("older");
  const newer = secret("newer");
  const a =
    (await api(user, "POST", "/", { service_name: "duffel", key_name: "older", value: older }))
      .body;
  const b =
    (await api(user, "POST", "/", { service_name: "duffel", key_name: "newer", value: newer }))
      .body;
  const keyring = await loadKeyring();
  await withAdminDb(async (db) => {
    assert.equal((await useApiKey(db, keyring, user.id, "duffel"))?.value, newer);
    await db
      .query`update public.api_keys set expires_at = now() - interval '1 second' where id = ${b.id}`;
    assert.equal((await useApiKey(db, keyring, user.id, "duffel"))?.value, older);
    await db.query`update public.api_keys set expires_at = now() where id = ${a.id}`;
    assert.equal(await useApiKey(db, keyring, user.id, "duffel"), null);
  });
});

Deno.test("api-keys: concurrent uses are each counted exactly once", async () => {
  const user = await newUser("byok-usage");
  const value = secret("usage");
  const { id } =
    (await api(user, "POST", "/", { service_name: "openweathermap", key_name: "w", value })).body;
  const keyring = await loadKeyring();
  const uses = 60;
  await withAdminDb(async (db) => {
    const got = await Promise.all(
      Array.from({ length: uses }, () => useApiKey(db, keyring, user.id, "openweathermap")),
    );
    assert.ok(got.every((k) => k?.value === value));
  });
  const after = (await api(user, "GET", `/${id}`)).body;
  assert.equal(after.usage_count, uses);
  assert.ok(after.last_used_at);
  assert.ok(after.updated_at <= after.last_used_at, "a use is not an edit");
});

Deno.test("api-keys: rotation re-encrypts every row while keys are being read", async () => {
  const keyringK0 = await loadKeyring((n) => n === "BYOK_ACTIVE_KID" ? "k0" : Deno.env.get(n));
  const keyring = await loadKeyring();
  const users = await Promise.all(Array.from({ length: 12 }, (_, i) => newUser(`rot${i}`)));
  const good = env("LOCAL_OPENAI_KEY");
  // Rows written under k0 before the rotation: 25 per user, one an OpenAI key the
  // local provider accepts so that HTTP validation reads it during the rotation.
  const expected = new Map<string, string>();
  const validateIds: { user: TestUser; id: number }[] = [];
  await withAdminDb(async (db) => {
    for (const user of users) {
      for (let i = 0; i < 25; i++) {
        const service = i === 0 ? "openai" : "google_maps";
        const value = i === 0 ? good : secret(`rot-${i}`);
        const keyName = `key-${i}`;
        const sealed = await encryptSecret(keyringK0, value, { userId: user.id, service, keyName });
        const [row] = await db.query<{ id: string }>`
          insert into public.api_keys (user_id, service_name, key_name, encrypted_value, value_mask)
          values (${user.id}, ${service}, ${keyName}, ${sealed}, 'sk-…') returning id::text as id`;
        expected.set(row.id, value);
        if (i === 0) validateIds.push({ user, id: Number(row.id) });
      }
    }
    // Two rows no rotation can read: tampered, and under a key id nobody holds.
    const forged = await encryptSecret(keyringK0, "sk-forged", {
      userId: users[0].id,
      service: "duffel",
      keyName: "x",
    });
    await db.query`
      insert into public.api_keys (user_id, service_name, key_name, encrypted_value)
      values (${users[0].id}, 'duffel', 'tampered', ${forged}),
             (${users[0].id}, 'duffel', 'lost', ${forged.replace(".k0.", ".k9.")})`;
  });
  const before = await admin("GET", "/keyring");
  assert.equal(before.status, 200);
  assert.equal(before.body.active_kid, "k1");
  assert.deepEqual(before.body.configured_kids, ["k0", "k1"]);
  assert.ok(before.body.rows_by_kid.k0 >= 301);

  let rotating = true;
  let reads = 0;
  const readFailures: string[] = [];
  const readers = Promise.all([
    withAdminDb(async (db) => {
      while (rotating) {
        const user = users[reads % users.length];
        reads++;
        try {
          const k = await useApiKey(db, keyring, user.id, "google_maps");
          if (!k || expected.get(k.id) !== k.value) {
            readFailures.push(`helper ${user.id}: ${k?.id}`);
          }
        } catch (e) {
          readFailures.push(`helper: ${e}`);
        }
      }
    }),
    (async () => {
      while (rotating) {
        const { user, id } = validateIds[reads % validateIds.length];
        reads++;
        const res = await api(user, "POST", `/${id}/validate`);
        if (res.status !== 200) readFailures.push(`validate ${id}: ${res.status}`);
      }
    })(),
  ]);

  let after: string | null = "0";
  let rotated = 0;
  const failed = new Map<number, string>();
  try {
    while (after !== null) {
      const res = await admin("POST", "/rotate", { batch_size: 20, max_rows: 40, after_id: after });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      rotated += res.body.rotated;
      for (const f of res.body.failed) failed.set(f.id, f.reason);
      after = res.body.next_after_id;
    }
  } finally {
    rotating = false;
    await readers;
  }
  assert.deepEqual(readFailures, [], "every read during the rotation succeeded");
  assert.ok(reads > 20, `readers ran during the rotation (${reads} reads)`);
  assert.ok(rotated >= 300, `rotated ${rotated}`);
  assert.deepEqual([...failed.values()].map((r) => r.match(/k9|altered/)?.[0]).sort(), [
    "altered",
    "k9",
  ]);

  const status = await admin("GET", "/keyring");
  assert.equal(status.body.rows_by_kid.k0, 1, "only the tampered row is left under k0");
  assert.equal(status.body.rows_by_kid.k9, 1);
  assert.equal(status.body.remaining, 2);

  // Zero lost keys: every row decrypts under k1 to the value it had.
  await withAdminDb(async (db) => {
    const rows = await db.query<
      {
        id: string;
        user_id: string;
        service_name: string;
        key_name: string;
        encrypted_value: string;
      }
    >`select id::text as id, user_id::text as user_id, service_name, key_name, encrypted_value
        from public.api_keys where id = any(${[...expected.keys()]}::bigint[])`;
    assert.equal(rows.length, expected.size);
    for (const r of rows) {
      assert.match(r.encrypted_value, /^v1\.k1\./);
      const value = await decryptSecret(keyring, r.encrypted_value, {
        userId: r.user_id,
        service: r.service_name,
        keyName: r.key_name,
      });
      assert.equal(value, expected.get(r.id));
    }
    await db.query`delete from public.api_keys where user_id = ${
      users[0].id
    } and service_name = 'duffel'`;
  });
  const done = await admin("POST", "/rotate");
  assert.equal(done.status, 200);
  assert.equal(done.body.remaining, 0);
  assert.equal(done.body.rows_by_kid.k0, 0, "k0 can now be retired");
});

Deno.test("api-keys: the admin routes need the secret key", async () => {
  const user = await newUser("byok-not-admin");
  const attempts: [TestUser | null, Record<string, string>][] = [
    [null, {}],
    [user, {}],
    [null, { apikey: env("SUPABASE_PUBLISHABLE_KEY") }],
    [null, { apikey: `${env("SUPABASE_SECRET_KEY")}x` }],
    [user, { apikey: env("SUPABASE_PUBLISHABLE_KEY") }],
  ];
  for (const [who, headers] of attempts) {
    for (const [method, path] of [["GET", "/admin/keyring"], ["POST", "/admin/rotate"]]) {
      const res = await api(who, method, path, undefined, headers);
      assert.equal(res.status, 401, `${method} ${path} ${JSON.stringify(headers)}`);
      assert.equal(res.headers.get("access-control-allow-origin"), "*");
      assert.equal(res.body.rows_by_kid, undefined);
    }
  }
  const bad = await admin("POST", "/rotate", { batch_size: 0 });
  assert.equal(bad.status, 400);
  assert.equal((await admin("DELETE", "/keyring")).status, 405);
});

Deno.test("api-keys: an anonymous session stores no provider key", async () => {
  const user = await newUser("keys-anonymous");
  const token = await tokenWith(user, { claims: { is_anonymous: true } });
  const res = await fetch(`${FUNCTIONS_URL()}/api-keys`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ service_name: "openai", key_name: "anon", value: "sk-anon-0123456789" }),
  });
  assert.equal(res.status, 403);
  assert.equal((await res.json()).code, "ANONYMOUS_NOT_ALLOWED");
  // Reading what they have (nothing) still works.
  const list = await fetch(`${FUNCTIONS_URL()}/api-keys`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  assert.equal(list.status, 200);
  assert.deepEqual((await list.json()).items, []);
});

Deno.test("api-keys: no stored plaintext in any response, log or database dump", async () => {
  assert.ok(plaintexts.size >= 20, `checked ${plaintexts.size} values`);
  const dump = await new Deno.Command("pg_dump", {
    args: ["--data-only", "--no-owner", env("SUPABASE_DB_URL")],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(dump.success, new TextDecoder().decode(dump.stderr));
  const dumpText = new TextDecoder().decode(dump.stdout);
  assert.match(dumpText, /v1\.k1\./, "the dump does contain the ciphertexts");
  const state = env("STACK_STATE");
  const sources: [string, string][] = [
    ["pg_dump", dumpText],
    ["responses", responses.join("\n")],
  ];
  // The cluster's log may live outside the clone (scripts/lib.sh, cluster_home).
  const logs = [`${state}/functions.log`, `${state}/embeddings.log`, env("STACK_PG_LOG")];
  for (const log of logs) sources.push([log, await Deno.readTextFile(log)]);
  for (const [where, text] of sources) {
    for (const value of plaintexts) {
      assert.ok(!text.includes(value), `a stored key appears in ${where}`);
      assert.ok(!text.includes(value.slice(8, 30)), `part of a stored key appears in ${where}`);
    }
  }
});
