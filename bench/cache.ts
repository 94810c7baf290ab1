// The cache, measured through HTTP on the bench stack, old and new side by side in one
// run: the memories function with the store (the stack's) and the same function booted
// without it (CACHE_URL empty), on the same user and rows.
//
//   repeated  one query over and over: with the store, a cached answer
//   fresh     a new query every request: with the store, every lookup misses (the
//             overhead of a miss: version read, two GETs, two SETs)
//
// Embeddings calls are counted at the local OpenAI-compatible server. Then the rate
// limiter alone: decisions per second against the store.

import { boot } from "../harness/boot.ts";
import { openStore } from "../supabase/functions/_shared/cache.ts";
import { takeRequest } from "../supabase/functions/_shared/rate_limit.ts";
import { closedLoop, summarize, table } from "../harness/measure.ts";
import { adminPool, benchUser, env } from "../harness/stack.ts";

async function embeddingCalls(): Promise<number> {
  const base = env("OPENAI_BASE_URL").replace(/\/v1$/, "");
  const r = await fetch(`${base}/__stats`, {
    headers: { Authorization: `Bearer ${env("LOCAL_OPENAI_KEY")}` },
  });
  return (await r.json()).embeddings_requests;
}

export async function cacheBench(opts: { seconds: number; connections: number }) {
  const run = Date.now();
  const user = await benchUser(`cache-${run}@bench.local`);
  const withStore = env("SUPABASE_FUNCTIONS_URL");
  const memories = Array.from({ length: 200 }, (_, i) => ({
    content: `memory ${i}: ${
      ["ramen", "temples", "trains", "onsen", "markets"][i % 5]
    } in town ${i}`,
  }));
  const stored = await fetch(`${withStore}/memories`, {
    method: "POST",
    headers: user.headers,
    body: JSON.stringify({ memories }),
  });
  if (stored.status !== 201) throw new Error(`loading memories: ${stored.status}`);
  await stored.body?.cancel();

  const plain = await boot(Deno.execPath(), "memories", { CACHE_URL: "" });
  const rows = [];
  try {
    for (const [store, base] of [["none", plain.base], ["redis", withStore]] as const) {
      for (const mode of ["repeated", "fresh"] as const) {
        const calls = await embeddingCalls();
        let serial = 0;
        const r = await closedLoop(opts.connections, opts.seconds, async () => {
          const query = mode === "repeated" ? "ramen near the temples" : `query ${run} ${serial++}`;
          const res = await fetch(`${base}/memories/search`, {
            method: "POST",
            headers: user.headers,
            body: JSON.stringify({ query, match_count: 10 }),
          });
          await res.body?.cancel();
          if (res.status !== 200) throw new Error(String(res.status));
        });
        const requests = r.latencies.length;
        rows.push({
          cache: store,
          queries: mode,
          req_per_s: Math.round(r.qps),
          errors: r.errors,
          embeddings_per_request: Math.round((await embeddingCalls() - calls) / requests * 100) /
            100,
          ...summarize(r.latencies),
        });
      }
    }
  } finally {
    await plain.stop();
  }
  table(`cache: POST /memories/search, ${opts.connections} connections, 200 memories`, rows);

  // The limiter alone: one decision = INCR + EXPIRE NX, pipelined.
  const store = await openStore(env("CACHE_URL"));
  const limiter = await closedLoop(opts.connections, Math.min(opts.seconds, 5), async (w) => {
    await takeRequest(store, "bench", "default", `${user.id}-${w}`);
  });
  const limiterRow = {
    decisions_per_s: Math.round(limiter.qps),
    errors: limiter.errors,
    ...summarize(limiter.latencies),
  };
  await store?.close();
  table(`rate limits: decisions against the store, ${opts.connections} in flight`, [limiterRow]);

  const admin = adminPool(1);
  await admin.query(`delete from auth.users where email like $1`, [`cache-${run}%`]);
  await admin.end();
  return { search: rows, limiter: limiterRow };
}
