// The shared outer layer, driven directly: an unexpected error is a 500 that still
// carries CORS and a request id and says nothing about its cause.
import assert from "node:assert/strict";
import { defineFunction } from "../supabase/functions/_shared/function.ts";
import { bodyReadError, RequestLog, serveFunction } from "../supabase/functions/_shared/serve.ts";
import { parseBody } from "../supabase/functions/_shared/validation.ts";
import { z } from "zod";
import { env } from "../harness/stack.ts";

function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const original = console.error;
  const originalLog = console.log;
  console.error = () => {};
  console.log = () => {};
  return fn().finally(() => {
    console.error = original;
    console.log = originalLog;
  });
}

Deno.test("serve: a thrown error is a 500 with CORS, a request id and no leak", async () => {
  const handler = serveFunction("boom", () => {
    throw new Error('relation "secret_table" does not exist at select * from secret_table');
  });
  const res = await quietly(() => handler(new Request("http://x/boom", { method: "GET" })));
  assert.equal(res.status, 500);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.match(res.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
  const text = await res.text();
  assert.doesNotMatch(text, /secret_table|select/);
  assert.equal(JSON.parse(text).code, "INTERNAL_ERROR");
});

Deno.test("serve: an error inside a route of a built function is a 500 through the same path", async () => {
  // A real function from the builder (operator routes: the secret key, no user).
  const fn = defineFunction("fn");
  fn.routes("secret").get("/", () => {
    throw new TypeError("cannot read properties of undefined (reading 'rows')");
  });
  const req = new Request("http://x/fn", { headers: { apikey: env("SUPABASE_SECRET_KEY") } });
  const res = await quietly(() => fn.fetch(req));
  assert.equal(res.status, 500);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.doesNotMatch(await res.text(), /rows|undefined/);
});

Deno.test("serve: route groups of one function keep their own auth", async () => {
  const fn = defineFunction("fn2");
  fn.routes("user").get("/", (c) => c.json({ user: c.var.userId }));
  fn.routes("secret", "/admin").get("/", () => new Response("operator"));
  const secret = { apikey: env("SUPABASE_SECRET_KEY") };
  // The operator group answers the secret key; the user group refuses it.
  const ops = await quietly(() => fn.fetch(new Request("http://x/fn2/admin", { headers: secret })));
  assert.equal(ops.status, 200);
  assert.equal(await ops.text(), "operator");
  const users = await quietly(() => fn.fetch(new Request("http://x/fn2", { headers: secret })));
  assert.equal(users.status, 401);
  await users.body?.cancel();
  // A path that only starts like the operator prefix is the user group's.
  const near = await quietly(() => fn.fetch(new Request("http://x/fn2/administer")));
  assert.equal(near.status, 401);
  await near.body?.cancel();
});

Deno.test("serve: a pool error (db.ts) is 503 with Retry-After", async () => {
  const handler = serveFunction("busy", () => {
    throw Object.assign(new Error("all 4 connections stayed busy for 5000ms"), {
      status: 503,
      code: "POSTGRES_POOL_BUSY",
    });
  });
  const res = await quietly(() => handler(new Request("http://x/busy")));
  assert.equal(res.status, 503);
  assert.ok(Number(res.headers.get("retry-after")) > 0);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.doesNotMatch(await res.text(), /connections/);
});

Deno.test("serve: a chunked body over the cap is refused without reading it all", async () => {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(new Uint8Array(16 * 1024));
      if (pulled > 100) controller.close();
    },
  });
  // The handler reads the body (as parseBody does): the cap stops the read.
  const handler = serveFunction("cap", async (req) => {
    try {
      await req.text();
    } catch (e) {
      throw bodyReadError(e);
    }
    return new Response("never");
  });
  const res = await quietly(() =>
    handler(new Request("http://x/cap", { method: "POST", body, duplex: "half" } as RequestInit))
  );
  assert.equal(res.status, 413);
  assert.ok(pulled < 10, `read ${pulled} chunks before refusing`);
});

Deno.test("serve: authentication comes before the body is read", async () => {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(new TextEncoder().encode(`{"pad":"${"x".repeat(16 * 1024)}`));
      if (pulled > 100) controller.close();
    },
  });
  const fn = defineFunction("fn3");
  fn.routes("user").post("/", async (c) => c.json(await parseBody(c, z.unknown())));
  const res = await quietly(() =>
    fn.fetch(
      new Request("http://x/fn3", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        duplex: "half",
      } as RequestInit),
    )
  );
  assert.equal(res.status, 401, "no token: refused");
  await res.body?.cancel();
  assert.ok(pulled <= 2, `pulled ${pulled} chunks of an unauthenticated body`);
});

Deno.test("serve: request lines are sampled, errors and slow requests always written", () => {
  let coin = 0.5;
  const log = new RequestLog(0.1, 1000, 3, () => coin);
  assert.equal(log.keep(200, 5), false, "a coin above the rate: not sampled");
  assert.equal(log.keep(500, 5), true, "server errors always");
  assert.equal(log.keep(200, 1000), true, "slow requests always");
  coin = 0.05;
  const t = 1_000_000;
  assert.deepEqual([1, 2, 3, 4].map(() => log.keep(404, 5, t)), [true, true, true, false]);
  assert.equal(log.keep(503, 5, t), true, "the sample budget never silences errors");
  assert.equal(log.keep(200, 5, t + 10_000), true, "a new 10 s window");
  assert.equal(new RequestLog(0, 1000, 50).keep(200, 5), false, "rate 0: only errors and slow");
});
