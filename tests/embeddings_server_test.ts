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
