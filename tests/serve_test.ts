// The shared outer layer, driven directly: an unexpected error is a 500 that still
// carries CORS and a request id and says nothing about its cause.
import assert from "node:assert/strict";
import { createApp } from "../supabase/functions/_shared/app.ts";
import { serveFunction } from "../supabase/functions/_shared/serve.ts";

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

Deno.test("serve: an error inside a Hono route is a 500 through the same path", async () => {
  const app = createApp<{ Bindings: Record<string, never> }>("fn");
  app.get("/", () => {
    throw new TypeError("cannot read properties of undefined (reading 'rows')");
  });
  const handler = serveFunction("fn", (req) => Promise.resolve(app.fetch(req, {})));
  const res = await quietly(() => handler(new Request("http://x/fn")));
  assert.equal(res.status, 500);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.doesNotMatch(await res.text(), /rows|undefined/);
});

Deno.test("serve: a pool error from @supabase/server is 503 with Retry-After", async () => {
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
  const handler = serveFunction("cap", () => Promise.resolve(new Response("never")));
  const res = await quietly(() =>
    handler(new Request("http://x/cap", { method: "POST", body, duplex: "half" } as RequestInit))
  );
  assert.equal(res.status, 413);
  assert.ok(pulled < 10, `read ${pulled} chunks before refusing`);
});
