// The cache and rate limits against the test stack's own redis-server: no stale read
// after a write, nothing crosses users, garbage or foreign values under valid keys are
// misses, every key has a TTL, no KEYS command is ever sent; with the store paused or
// stopped the answers stay right and fast; rate limits answer 429 and are shared by
// everything that uses the store.
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { cacheKey, openStore } from "../supabase/functions/_shared/cache.ts";
import { takeRequest } from "../supabase/functions/_shared/rate_limit.ts";
import { MODEL } from "../supabase/functions/_shared/openai.ts";
import { EMBEDDING_SPACE } from "../supabase/functions/_shared/cached_embeddings.ts";
import {
  env,
  FUNCTIONS_URL,
  localOpenAi,
  request,
  type TestUser,
  userWithKey,
} from "../harness/stack.ts";
import { boot } from "../harness/boot.ts";

/** A plain connection to the stack's Redis, for the test's own looks. */
async function redis() {
  const c = new Redis(env("CACHE_URL"), { lazyConnect: true, maxRetriesPerRequest: 0 });
  c.on("error", () => {});
  await c.connect();
  return c;
}

async function embeddingCalls(): Promise<number> {
  const r = await localOpenAi("/__stats");
  return (await r.json()).embeddings_requests;
}

const search = (user: TestUser, query: string) =>
  request(user, "POST", "/memories/search", { query, match_count: 5, min_similarity: 0.1 });

const contents = (r: { body: { items: { content: string }[] } }) =>
  r.body.items.map((m) => m.content).sort();

async function keysOf(prefix: string): Promise<string[]> {
  const c = await redis();
  try {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await c.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== "0");
    return keys;
  } finally {
    c.disconnect();
  }
}

/**
 * Waits until the functions use the store (a search of `user` gets cached): a breaker
 * opened by an earlier test's load or fault stays open for CACHE_BREAKER_MS.
 */
async function storeInUse(user: TestUser) {
  const until = Date.now() + 15_000;
  for (let i = 0;; i++) {
    await search(user, `warm-up ${i}`);
    if ((await keysOf(`tripsage:v1:memory-search:${user.id}:`).catch(() => [])).length) return;
    assert.ok(Date.now() < until, "the functions did not use the store");
    await new Promise((r) => setTimeout(r, 500));
  }
}

Deno.test("cache: a read right after a committed write never sees the old answer", async () => {
  const user = await userWithKey("cache-fresh");
  await storeInUse(user);
  await request(user, "POST", "/memories", { content: "Loves ramen in Tokyo" });
  const before = await embeddingCalls();
  const first = await search(user, "ramen");
  assert.deepEqual(contents(first), ["Loves ramen in Tokyo"]);
  const again = await search(user, "ramen");
  assert.deepEqual(again.body, first.body, "the repeated search is served from the cache");
  assert.equal(await embeddingCalls(), before + 1, "one embeddings call for both searches");

  // Each kind of write, then the same search at once.
  const added = await request(user, "POST", "/memories", { content: "Hates ramen queues" });
  assert.deepEqual(contents(await search(user, "ramen")), [
    "Hates ramen queues",
    "Loves ramen in Tokyo",
  ]);
  await request(user, "PATCH", `/memories/${added.body.ids[0]}`, { content: "Tolerates queues" });
  assert.deepEqual(contents(await search(user, "ramen")), ["Loves ramen in Tokyo"]);
  await request(user, "DELETE", `/memories/${first.body.items[0].id}`);
  assert.deepEqual(contents(await search(user, "ramen")), []);
  await request(user, "POST", `/memories/${first.body.items[0].id}/restore`);
  assert.deepEqual(contents(await search(user, "ramen")), ["Loves ramen in Tokyo"]);
  assert.equal(
    await embeddingCalls(),
    before + 3,
    "the query once; then only the new texts (the POST's and the PATCH's)",
  );

  // Lists too.
  const list1 = await request(user, "GET", "/memories");
  await request(user, "POST", "/memories", { content: "Collects train tickets" });
  const list2 = await request(user, "GET", "/memories");
  assert.equal(list2.body.items.length, list1.body.items.length + 1);
  await request(user, "DELETE", "/memories");
  assert.deepEqual((await request(user, "GET", "/memories")).body.items, []);
});

Deno.test("cache: two users with the same query each get their own answer", async () => {
  const a = await userWithKey("cache-a");
  const b = await userWithKey("cache-b");
  await request(a, "POST", "/memories", { content: "Prefers aisle seats" });
  assert.deepEqual(contents(await search(a, "aisle seats")), ["Prefers aisle seats"]);
  assert.deepEqual(contents(await search(b, "aisle seats")), [], "b never gets a's cached answer");
  await request(b, "POST", "/memories", { content: "Prefers window seats, never aisle seats" });
  assert.deepEqual(contents(await search(b, "aisle seats")), [
    "Prefers window seats, never aisle seats",
  ]);
  assert.deepEqual(contents(await search(a, "aisle seats")), ["Prefers aisle seats"]);
  // Every key names its user, and only the user's own requests wrote under that name.
  for (const key of await keysOf("tripsage:v1:")) {
    const [, , , owner] = key.split(":");
    assert.match(owner, /^[0-9a-f-]{36}$/, key);
  }
});

Deno.test("cache: garbage and foreign values under valid keys are misses, never served", async () => {
  const user = await userWithKey("cache-garbage");
  const other = await userWithKey("cache-other");
  await storeInUse(user);
  await request(user, "POST", "/memories", { content: "Allergic to peanuts" });
  const right = await search(user, "peanut allergy");
  assert.deepEqual(contents(right), ["Allergic to peanuts"]);
  const searchKey = await cacheKey("memory-search", user.id, MODEL, {
    query: "peanut allergy",
    mode: "hybrid",
    match_count: 5,
    min_similarity: 0.1,
  });
  assert.ok((await keysOf(searchKey)).length, "the search was cached");
  const embeddingKey = await cacheKey("embedding", user.id, EMBEDDING_SPACE, "peanut allergy");
  const c = await redis();
  try {
    const forged = JSON.stringify({
      u: other.id,
      v: "1",
      d: [{ id: "00000000-0000-4000-8000-000000000000", content: "Forged", similarity: 1 }],
    });
    // The user's own vector, but of the old size (1536 floats): never sent to the database.
    const oldSize = JSON.stringify({
      u: user.id,
      v: EMBEDDING_SPACE,
      d: btoa(String.fromCharCode(...new Uint8Array(new Float32Array(1536).fill(0.025).buffer))),
    });
    for (const value of ["not json", "{}", "[1,2]", "null", forged, oldSize]) {
      await c.call("SET", searchKey, value, "EX", "60");
      await c.call("SET", embeddingKey, value, "EX", "60");
      const r = await search(user, "peanut allergy");
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(contents(r), ["Allergic to peanuts"], `under ${value}`);
    }
    // A value in the user's own name but for an old version is not served either.
    const stale = JSON.stringify({ u: user.id, v: "0", d: [{ content: "Stale" }] });
    await c.call("SET", searchKey, stale, "EX", "60");
    assert.deepEqual(contents(await search(user, "peanut allergy")), ["Allergic to peanuts"]);
  } finally {
    c.disconnect();
  }
});

Deno.test("cache: every key has a TTL, and no KEYS command was ever sent", async () => {
  const user = await userWithKey("cache-ttl");
  await request(user, "POST", "/memories", { content: "Sleeps on night trains" });
  await search(user, "night trains");
  await request(user, "GET", "/memories");
  const c = await redis();
  try {
    const keys = await keysOf("");
    assert.ok(keys.length > 0);
    for (const key of keys) {
      const ttl = Number(await c.call("TTL", key));
      assert.ok(ttl > 0, `${key} has no TTL (${ttl})`);
    }
    const stats = String(await c.call("INFO", "commandstats"));
    assert.doesNotMatch(stats, /cmdstat_keys:/, "KEYS was sent");
    for (const line of stats.split("\n").filter((l) => l.startsWith("cmdstat_"))) {
      const command = line.slice(8, line.indexOf(":"));
      // The functions' commands, and the test's own looks (scan, ttl, info, set, client...).
      assert.ok(
        [
          "get",
          "set",
          // the rate limiter's script (rate_limit.ts) and what it runs
          "evalsha",
          "eval",
          "time",
          "hmget",
          "hset",
          "pexpire",
          "scan",
          "ttl",
          "info",
          "client",
          "hello",
          "select",
          "ping",
          "shutdown",
        ]
          .includes(command),
        `unexpected command ${command}`,
      );
    }
  } finally {
    c.disconnect();
  }
});

Deno.test("cache: with the store paused, answers stay right and fast", async () => {
  const user = await userWithKey("cache-paused");
  await request(user, "POST", "/memories", { content: "Rides ferries at dawn" });
  const c = await redis();
  try {
    await c.call("CLIENT", "PAUSE", "4000", "ALL");
    const started = performance.now();
    for (const query of ["ferries", "dawn ferries", "ferries"]) {
      const r = await search(user, query);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(contents(r), ["Rides ferries at dawn"]);
    }
    const ms = performance.now() - started;
    assert.ok(ms < 3000, `three searches took ${Math.round(ms)} ms with the store paused 4 s`);
  } finally {
    await c.call("CLIENT", "UNPAUSE").catch(() => {});
    c.disconnect();
  }
});

Deno.test({
  name: "cache: with the store stopped, answers stay right; it is used again once back",
  sanitizeResources: false, // the restarted redis-server outlives the test
  async fn() {
    const user = await userWithKey("cache-stopped");
    await request(user, "POST", "/memories", { content: "Hikes the Kumano Kodo" });
    const c = await redis();
    await c.call("SHUTDOWN", "NOSAVE").catch(() => {}); // the connection ends
    c.disconnect();
    try {
      for (const query of ["Kumano", "Kodo hike", "Kumano"]) {
        const started = performance.now();
        const r = await search(user, query);
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(contents(r), ["Hikes the Kumano Kodo"]);
        assert.ok(performance.now() - started < 2000);
      }
      // Rate limits hold per instance: the insurance limiter counts while the store is gone.
      const s = await request(user, "POST", "/chat/sessions", { remember: false });
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) {
        statuses.push(
          (await request(user, "POST", `/chat/sessions/${s.body.id}/messages`, {}))
            .status,
        );
      }
      assert.deepEqual(statuses, [...Array(8).fill(400), 429, 429], "8/60, counted in memory");
    } finally {
      const conf = `${env("STACK_STATE")}/redis.conf`;
      const out = await new Deno.Command("redis-server", { args: [conf] }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
    }
    // Back: after the breaker's pause (CACHE_BREAKER_MS, 5 s) searches are cached again.
    await storeInUse(user);
  },
});

Deno.test({
  name: "rate limits: 429 with Retry-After past the limit, shared through the store",
  // The store this test opens keeps its connection for the process, like a function's.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // The test stack allows 8 chat messages a minute (a sliding window: no edge to avoid).
    const user = await userWithKey("rate-chat");
    const s = await request(user, "POST", "/chat/sessions", { remember: false });
    const sent: number[] = [];
    for (let i = 0; i < 9; i++) {
      const r = await fetch(`${FUNCTIONS_URL()}/chat/sessions/${s.body.id}/messages`, {
        method: "POST",
        headers: { Authorization: `Bearer ${user.token}`, "content-type": "application/json" },
        body: JSON.stringify({ content: `message ${i}` }),
      });
      sent.push(r.status);
      if (r.status === 429) {
        const body = await r.json();
        assert.equal(body.code, "RATE_LIMITED");
        const retry = Number(r.headers.get("retry-after"));
        // A sliding window: the wait can pass the window's end (the previous one still weighs).
        assert.ok(retry >= 1 && retry <= 120, `Retry-After ${retry}`);
        assert.equal(r.headers.get("access-control-allow-origin"), "*");
      } else await r.text(); // the whole turn, so the next one does not find it streaming
    }
    assert.deepEqual(sent, [200, 200, 200, 200, 200, 200, 200, 200, 429]);
    // Other classes and other users are not affected.
    assert.equal((await request(user, "GET", `/chat/sessions/${s.body.id}`)).status, 200);

    // Another instance (here: this process, through the same store) shares the count.
    const other = await userWithKey("rate-shared");
    const store = await openStore(env("CACHE_URL"));
    for (let i = 0; i < 8; i++) await takeRequest(store, "chat", "chat", other.id);
    await store?.close();
    const o = await request(other, "POST", "/chat/sessions", { remember: false });
    const r = await request(other, "POST", `/chat/sessions/${o.body.id}/messages`, {
      content: "hi",
    });
    assert.equal(r.status, 429, r.text);
    // A repeated search is served from the cache and still counts: limits are per request.
    assert.equal((await search(other, "anything")).status, 200);
  },
});

Deno.test({
  name: "cache: without CACHE_URL a function works uncached, its limits counted per instance",
  sanitizeResources: false, // the booted process's pipes
  async fn() {
    const fn = await boot(Deno.execPath(), "memories", {
      CACHE_URL: "",
      RATE_LIMIT_EMBEDDING: "1/60",
    });
    try {
      const user = await userWithKey("cache-none");
      const call = async (path: string, body: unknown) => {
        const r = await fetch(`${fn.base}${path}`, {
          method: "POST",
          headers: { Authorization: `Bearer ${user.token}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        return { status: r.status, body: await r.json() };
      };
      assert.equal((await call("/memories", { content: "Walks the Camino" })).status, 201);
      const before = await embeddingCalls();
      const r = await call("/memories/search", { query: "Camino", min_similarity: 0.1 });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.items.map((m: { content: string }) => m.content), [
        "Walks the Camino",
      ]);
      const again = await call("/memories/search", { query: "Camino", min_similarity: 0.1 });
      assert.deepEqual([again.status, again.body.code], [429, "RATE_LIMITED"], "1/60, in memory");
      assert.equal(await embeddingCalls(), before + 1, "the refused search embedded nothing");
      assert.deepEqual(await keysOf(`tripsage:v1:memory-search:${user.id}:`), []);
    } finally {
      await fn.stop();
    }
  },
});

/** `total` GET /trips of `user` against `base`, `concurrency` at a time: the statuses. */
async function burst(base: string, user: TestUser, total: number, concurrency: number) {
  const statuses: number[] = [];
  let retryAfterOk = true;
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) {
      next++;
      const r = await fetch(`${base}/trips`, {
        headers: { Authorization: `Bearer ${user.token}` },
      });
      await r.body?.cancel();
      statuses.push(r.status);
      if (r.status === 429) {
        const retry = Number(r.headers.get("retry-after"));
        retryAfterOk &&= retry >= 1 && retry <= 120; // sliding: may pass the window's end
      }
    }
  }));
  return {
    ok: statuses.filter((s) => s === 200).length,
    refused: statuses.filter((s) => s === 429).length,
    retryAfterOk,
  };
}

for (const store of ["up", "down"] as const) {
  Deno.test({
    name:
      `rate limits: 300 requests at 60 at a time let exactly the limit through (store ${store})`,
    sanitizeResources: false, // the booted process's pipes
    async fn() {
      // Store down: a port nothing listens on, so every count falls to the insurance limiter.
      const fn = await boot(Deno.execPath(), "trips", {
        RATE_LIMIT_DEFAULT: "50/60",
        // The count itself is under test, not the store's timeout: on a loaded machine a
        // slow answer would be counted by the instance instead, as designed.
        RATE_LIMIT_TIMEOUT_MS: "10000",
        ...(store === "down" ? { CACHE_URL: "redis://127.0.0.1:9/0" } : {}),
      });
      try {
        const [noisy, quiet] = [await userWithKey("burst"), await userWithKey("bystander")];
        const [result, bystander] = await Promise.all([
          burst(fn.base, noisy, 300, 60),
          (async () => {
            const seen: number[] = [];
            for (let i = 0; i < 10; i++) {
              const r = await fetch(`${fn.base}/trips`, {
                headers: { Authorization: `Bearer ${quiet.token}` },
              });
              await r.body?.cancel();
              seen.push(r.status);
            }
            return seen;
          })(),
        ]);
        assert.deepEqual([result.ok, result.refused], [50, 250], JSON.stringify(result));
        assert.ok(result.retryAfterOk, "every 429 says when to retry");
        assert.deepEqual(bystander, Array(10).fill(200), "another user is not affected");
      } finally {
        await fn.stop();
      }
    },
  });
}

Deno.test({
  name: "rate limits: no double burst at a window edge (sliding window in the store)",
  sanitizeResources: false, // the store keeps its connection for the process
  sanitizeOps: false,
  async fn() {
    Deno.env.set("RATE_LIMIT_DEFAULT", "5/6");
    const store = await openStore(env("CACHE_URL"));
    const user = crypto.randomUUID();
    const take = async () => {
      try {
        await takeRequest(store, "edge-test", "default", user);
        return 200;
      } catch (e) {
        return (e as { status?: number }).status ?? 500;
      }
    };
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    try {
      // The last second of a 6 s window (windows are whole multiples of 6 s of the store's
      // clock, which is this machine's), then the start of the next: with the previous
      // window still weighing nearly all of its 5, at most one more fits (a fixed window
      // would let 5 more through). Margins of a second or more hold on a loaded machine.
      await sleep(6000 - (Date.now() % 6000) + 5000);
      const before = await Promise.all(Array.from({ length: 5 }, take));
      await sleep(6000 - (Date.now() % 6000) + 100);
      const after = await Promise.all(Array.from({ length: 5 }, take));
      assert.deepEqual(before, Array(5).fill(200));
      assert.ok(after.filter((s) => s === 200).length <= 1, `across the edge: ${after}`);
      assert.ok(after.every((s) => s === 200 || s === 429), `${after}`);
    } finally {
      Deno.env.delete("RATE_LIMIT_DEFAULT");
      await store?.close();
    }
  },
});

Deno.test("cache: a cached embedding needs no key: the stored key is read only on a miss", async () => {
  const user = await userWithKey("cache-keyless");
  await storeInUse(user);
  const added = await request(user, "POST", "/memories", {
    content: "Keeps a paper boarding pass",
  });
  assert.equal(added.status, 201, added.text);
  assert.equal((await search(user, "boarding pass")).status, 200);
  // The key goes; a delete moves the memory version, so the search answer is not cached.
  const keys = await request(user, "GET", "/api-keys");
  for (const k of keys.body.items as { id: string }[]) {
    assert.equal((await request(user, "DELETE", `/api-keys/${k.id}`)).status, 204);
  }
  const memories = await request(user, "GET", "/memories");
  for (const m of memories.body.items as { id: string }[]) {
    assert.equal((await request(user, "DELETE", `/memories/${m.id}`)).status, 204);
  }
  const calls = await embeddingCalls();
  const again = await search(user, "boarding pass");
  assert.equal(again.status, 200, again.text);
  assert.equal(await embeddingCalls(), calls, "the query's vector came from the cache");
  const fresh = await search(user, "a question never asked before");
  assert.equal(fresh.status, 424, fresh.text);
  assert.equal(fresh.body.code, "OPENAI_KEY_REQUIRED");
});
