import assert from "node:assert/strict";
import { FunctionsHttpError } from "@supabase/supabase-js";
import { call, client, newUser, tokenWith } from "./support.ts";

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
  // The server's own answers carry what every function's do.
  for (const r of [route, fn]) {
    assert.equal(r.headers.get("access-control-allow-origin"), "*");
    assert.match(r.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(typeof (r.body as { message: unknown }).message, "string");
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
