// The offline embeddings server: deterministic lexical vectors, OpenAI's wire format.
import assert from "node:assert/strict";
import { createHandler, DIMENSIONS, embed } from "../scripts/embeddings-server.ts";

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

Deno.test("embeddings: unit length, deterministic, 1536 dims", () => {
  const a = embed("Tokyo ramen tour in spring");
  assert.equal(a.length, DIMENSIONS);
  assert.ok(Math.abs(cosine(a, a) - 1) < 1e-5);
  assert.deepEqual(a, embed("Tokyo ramen tour in spring"));
  assert.ok(
    Math.abs(cosine(embed(""), embed("")) - 1) < 1e-6,
    "no words still gives a unit vector",
  );
});

Deno.test("embeddings: texts sharing words are closer than unrelated texts", () => {
  const q = embed("ramen in Tokyo");
  const near = embed("best ramen shops in Tokyo");
  const far = embed("ski chalet booking for the Alps");
  assert.ok(cosine(q, near) > cosine(q, far) + 0.3);
});

Deno.test("embeddings: shared stems and close spellings relate texts with no word in common", () => {
  // "seat"/"seats" and "preference"/"prefers" are different words: scored 0 before.
  const sim = cosine(embed("seat preference"), embed("Prefers aisle seats"));
  assert.ok(sim > 0.2, `similarity ${sim}`);
  assert.ok(cosine(embed("flights"), embed("flight")) > 0.35);
  // Still no relation where nothing is shared.
  assert.ok(Math.abs(cosine(embed("hotel in Paris"), embed("ski chalet booking"))) < 0.1);
});

Deno.test("embeddings: the HTTP API speaks OpenAI's format and refuses other keys", async () => {
  const handler = createHandler("sk-right");
  const ok = await handler(
    new Request("http://x/v1/embeddings", {
      method: "POST",
      headers: { authorization: "Bearer sk-right" },
      body: JSON.stringify({ input: ["a b", "c"], model: "text-embedding-3-small" }),
    }),
  );
  assert.equal(ok.status, 200);
  const body = await ok.json();
  assert.equal(body.object, "list");
  assert.equal(body.data.length, 2);
  assert.equal(body.data[1].index, 1);
  assert.equal(body.data[0].embedding.length, DIMENSIONS);

  const denied = await handler(
    new Request("http://x/v1/models", { headers: { authorization: "Bearer sk-wrong" } }),
  );
  assert.equal(denied.status, 401);
  assert.equal((await denied.json()).error.code, "invalid_api_key");
});

Deno.test("embeddings: `dimensions` gives vectors of that size and refuses others", async () => {
  const handler = createHandler("sk-right");
  const post = (body: unknown) =>
    handler(
      new Request("http://x/v1/embeddings", {
        method: "POST",
        headers: { authorization: "Bearer sk-right" },
        body: JSON.stringify(body),
      }),
    );
  const ok = await post({
    input: ["ramen in Tokyo"],
    model: "text-embedding-3-small",
    dimensions: 512,
  });
  assert.equal(ok.status, 200);
  const [{ embedding }] = (await ok.json()).data;
  assert.equal(embedding.length, 512);
  assert.deepEqual(embedding, Array.from(embed("ramen in Tokyo", 512)));
  assert.ok(
    Math.abs(cosine(Float32Array.from(embedding), Float32Array.from(embedding)) - 1) < 1e-5,
  );
  // Related texts stay related at 512 dimensions.
  const q = embed("ramen in Tokyo", 512);
  assert.ok(
    cosine(q, embed("best ramen shops in Tokyo", 512)) >
      cosine(q, embed("ski chalet booking for the Alps", 512)) + 0.3,
  );
  for (const dimensions of [0, -1, 1537, 1.5, "512"]) {
    const bad = await post({ input: ["x"], model: "text-embedding-3-small", dimensions });
    assert.equal(bad.status, 400, `dimensions ${JSON.stringify(dimensions)}`);
    assert.equal((await bad.json()).error.type, "invalid_request_error");
  }
});

Deno.test("embeddings: /__faults injects 429, 5xx and latency for a number of requests", async () => {
  const handler = createHandler("sk-right");
  const send = (path: string, method = "GET", body?: unknown) =>
    handler(
      new Request(`http://x${path}`, {
        method,
        headers: { authorization: "Bearer sk-right" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
  const bad = await send("/__faults", "POST", { status: 404 });
  assert.equal(bad.status, 400);
  assert.equal(
    (await send("/__faults", "POST", { status: 429, retry_after: 9, count: 1 })).status,
    200,
  );
  const limited = await send("/v1/models");
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get("retry-after"), "9");
  assert.equal((await limited.json()).error.code, "rate_limit_exceeded");
  assert.equal((await send("/v1/models")).status, 200, "count: 1 means one request");

  await send("/__faults", "POST", { status: 503 });
  assert.equal((await send("/v1/embeddings", "POST", { input: "a" })).status, 503);
  assert.equal((await send("/v1/embeddings", "POST", { input: "a" })).status, 503, "until cleared");
  await send("/__faults", "DELETE");

  await send("/__faults", "POST", { latency_ms: 200, count: 1 });
  const started = performance.now();
  assert.equal((await send("/v1/models")).status, 200);
  assert.ok(performance.now() - started >= 190);

  const before = await (await send("/__stats")).json();
  await send("/v1/embeddings", "POST", { input: ["a", "b", "c"] });
  const after = await (await send("/__stats")).json();
  assert.equal(after.embeddings_requests - before.embeddings_requests, 1);
  assert.equal(after.embedded_inputs - before.embedded_inputs, 3);
  assert.equal((await handler(new Request("http://x/__faults", { method: "DELETE" }))).status, 401);
});
