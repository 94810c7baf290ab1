import assert from "node:assert/strict";
import { FunctionsHttpError } from "@supabase/supabase-js";
import { env, FUNCTIONS_URL, newUser, tokenWith } from "../harness/stack.ts";
import { call, client } from "./support.ts";

Deno.test("health: a signed-in user gets 200 with their id, role and pgvector", async () => {
  const user = await newUser("health");
  const { data, error } = await client(user).functions.invoke("health", { method: "GET" });
  assert.equal(error, null);
  assert.equal(data.user_id, user.id);
  assert.equal(data.role, "authenticated");
  assert.equal(data.db, "ok");
  const [major, minor] = String(data.pgvector).split(".").map(Number);
  assert.ok(major > 0 || minor >= 8, `pgvector ${data.pgvector} should be >= 0.8`);
});

Deno.test("health: no token is 401 in the error shape, with CORS headers", async () => {
  const res = await call("/health");
  assert.equal(res.status, 401);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  const body = res.body as { code: string; message: string };
  assert.equal(body.code, "MISSING_CREDENTIALS");
  assert.equal(typeof body.message, "string");
});

Deno.test("health: supabase-js without a session gets a 401 FunctionsHttpError", async () => {
  const { data, error } = await client().functions.invoke("health", { method: "GET" });
  assert.equal(data, null);
  assert.ok(error instanceof FunctionsHttpError);
  assert.equal(error.context.status, 401);
  const body = await error.context.json();
  assert.equal(body.code, "UNUSABLE_CREDENTIAL"); // the publishable key is not a user token
});

Deno.test("health: OPTIONS preflight is 204 without auth, with CORS", async () => {
  const res = await call("/health", {
    method: "OPTIONS",
    headers: { origin: "https://app.example", "access-control-request-method": "GET" },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.match(res.headers.get("access-control-allow-headers") ?? "", /authorization/);
  assert.match(res.headers.get("access-control-allow-methods") ?? "", /PATCH/);
});

Deno.test("health: expired, wrong-audience and wrong-issuer tokens are 401", async () => {
  const user = await newUser("health-bad");
  const forged = [
    await tokenWith(user, { expiresIn: -60 }),
    await tokenWith(user, { claims: { aud: "someone-else" } }),
    await tokenWith(user, { claims: { iss: "https://evil.example/auth/v1" } }),
  ];
  for (const token of forged) {
    const res = await call("/health", { token });
    assert.equal(res.status, 401, JSON.stringify(res.body));
    assert.equal((res.body as { code: string }).code, "INVALID_JWT");
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
  }
});

Deno.test("health: every response carries an x-request-id; a sane supplied one is kept", async () => {
  const user = await newUser("health-id");
  const generated = await call("/health", { token: user.token });
  assert.match(generated.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
  const supplied = await call("/health", {
    token: user.token,
    headers: { "x-request-id": "client-req-12345" },
  });
  assert.equal(supplied.headers.get("x-request-id"), "client-req-12345");
  const junk = await call("/health", { token: user.token, headers: { "x-request-id": "a b" } });
  assert.notEqual(junk.headers.get("x-request-id"), "a b");
});

Deno.test("health: unknown route and unknown function are 404 in the error shape", async () => {
  const user = await newUser("health-404");
  const route = await call("/health/nope", { token: user.token });
  assert.equal(route.status, 404);
  assert.equal((route.body as { code: string }).code, "ROUTE_NOT_FOUND");
  assert.equal(route.headers.get("access-control-allow-origin"), "*");
  const fn = await call("/no-such-function", { token: user.token });
  assert.equal(fn.status, 404);
  assert.equal((fn.body as { code: string }).code, "FUNCTION_NOT_FOUND");
  // It says which functions there are.
  assert.deepEqual((fn.body as { details: { functions: string[] } }).details.functions, [
    "api-keys",
    "chat",
    "health",
    "memories",
    "trips",
  ]);
  assert.match((fn.body as { hint: string }).hint, /api-keys, chat, health, memories, trips/);
  // The server's own answers carry what every function's do.
  for (const r of [route, fn]) {
    assert.equal(r.headers.get("access-control-allow-origin"), "*");
    assert.match(r.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(typeof (r.body as { message: unknown }).message, "string");
  }
});

Deno.test("local stack: the services it does not run answer 501 saying what to use instead", async () => {
  const base = FUNCTIONS_URL().replace(/\/functions\/v1\/?$/, "");
  for (
    const path of [
      "/auth/v1/signup",
      "/rest/v1/trips?select=*",
      "/realtime/v1/websocket",
      "/storage/v1/object/list/avatars",
      "/graphql/v1",
    ]
  ) {
    const res = await fetch(`${base}${path}`, { method: "POST", body: "{}" });
    const body = await res.json();
    assert.equal(res.status, 501, path);
    assert.equal(body.code, "NOT_SERVED_LOCALLY", path);
    assert.match(body.message, /not part of this Docker-less local stack/, path);
    assert.match(body.hint, /supabase start|npm run -s token|hosted/, path);
    assert.equal(body.request_id, res.headers.get("x-request-id"), path);
    assert.equal(res.headers.get("access-control-allow-origin"), "*", path);
  }
});

Deno.test("health: a body over 64 KiB is 413 before anything else runs", async () => {
  const user = await newUser("health-big");
  const res = await call("/health", {
    method: "POST",
    token: user.token,
    body: JSON.stringify({ pad: "x".repeat(70 * 1024) }),
  });
  assert.equal(res.status, 413);
  assert.equal((res.body as { code: string }).code, "PAYLOAD_TOO_LARGE");
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
});

Deno.test("health: every answer is no-store and nosniff; auth errors describe no configuration", async () => {
  const user = await newUser("health-hygiene");
  const secretRoute = `${FUNCTIONS_URL()}/api-keys/admin/keyring`;
  const answers = [
    await fetch(`${FUNCTIONS_URL()}/health`, {
      headers: { Authorization: `Bearer ${user.token}` },
    }),
    await fetch(`${FUNCTIONS_URL()}/health`),
    await fetch(`${FUNCTIONS_URL()}/health`, { headers: { Authorization: "Bearer abc.def.ghi" } }),
    await fetch(secretRoute, { headers: { apikey: "sb_secret_not-the-key" } }),
    await fetch(secretRoute, { headers: { apikey: env("SUPABASE_PUBLISHABLE_KEY") } }),
    await fetch(`${FUNCTIONS_URL()}/no-such-function`),
    await fetch(`${FUNCTIONS_URL()}/health`, { method: "OPTIONS" }),
  ];
  for (const res of answers) {
    const text = await res.text();
    assert.equal(res.headers.get("cache-control"), "no-store", text);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.ok(res.headers.get("x-request-id"));
    if (res.status >= 400) {
      const body = JSON.parse(text);
      assert.equal(typeof body.code, "string");
      // Nothing about key names, variables or accepted modes. (An unknown function's 404
      // lists the functions, which are the public API, in its hint.)
      const forbidden = res.status === 404
        ? /default|SUPABASE_|configured|acceptedAuthModes|docs/
        : /default|SUPABASE_|configured|acceptedAuthModes|hint|docs/;
      assert.doesNotMatch(text, forbidden, text);
    }
  }
  assert.deepEqual(answers.map((r) => r.status), [200, 401, 401, 401, 401, 404, 204]);
});

Deno.test("health: TRACE and other methods no Request can carry get the envelope", async () => {
  // fetch() refuses to send TRACE; a raw HTTP/1.1 request does.
  const url = new URL(`${FUNCTIONS_URL()}/health`);
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  await conn.write(
    new TextEncoder().encode(
      `TRACE ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`,
    ),
  );
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
  }
  conn.close();
  const text = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  assert.match(text, /^HTTP\/1\.1 405/);
  assert.match(text, /access-control-allow-origin: \*/i);
  assert.match(text, /"code":"METHOD_NOT_ALLOWED"/);
});
