// Ingest: memories per second through POST /memories at several batch sizes
// (embedding by the local server, dedupe check, insert). Each concurrent client is
// its own user, as in an app, and stays below match_memories' exact-search limit
// (10,000 rows), so no row enters the HNSW index: that cost belongs to users above
// the limit and is measured by the per-user vector bench (the index sync).
// Each batch size runs twice in the same run: with the memory_history trigger (as
// deployed) and with it disabled (as before migration 121000), to show its cost.

import { progress, summarize, table } from "../harness/measure.ts";
import { adminPool, benchUser, env } from "../harness/stack.ts";

export async function ingestBench(
  opts: { memories: number; batchSizes: number[]; connections: number },
) {
  const url = env("SUPABASE_FUNCTIONS_URL");
  const run = Date.now();
  const users = await Promise.all(
    Array.from({ length: opts.connections }, (_, c) => benchUser(`ingest-${run}-${c}@bench.local`)),
  );
  const words = [
    "ramen",
    "museum",
    "beach",
    "train",
    "hotel",
    "hike",
    "market",
    "temple",
    "cafe",
    "ferry",
  ];
  let serial = 0;
  const text = () => {
    serial++;
    return `note ${serial}: ${words[serial % 10]} near ${words[(serial * 7) % 10]} on day ${
      serial % 30
    }`;
  };
  const rows = [];
  const admin = adminPool(1);
  const history = (on: boolean) =>
    admin.query(
      `alter table public.memory_embeddings ${
        on ? "enable" : "disable"
      } trigger memory_embeddings_history`,
    );
  try {
    for (const batch of opts.batchSizes) {
      for (const trigger of [true, false]) {
        await history(trigger);
        rows.push({ history: trigger ? "on" : "off (before)", ...await ingestRun(batch) });
      }
    }
  } finally {
    await history(true);
    await admin.end();
  }
  async function ingestRun(batch: number) {
    const requests = Math.max(opts.connections, Math.ceil(opts.memories / batch));
    const bar = progress(`ingest: batches of ${batch}`, requests);
    const latencies: number[] = [];
    let sent = 0;
    let errors = 0;
    const started = performance.now();
    await Promise.all(users.map(async ({ headers }) => {
      while (sent < requests) {
        sent++;
        const body = JSON.stringify({
          memories: Array.from({ length: batch }, () => ({ content: text() })),
        });
        const t = performance.now();
        const res = await fetch(`${url}/memories`, { method: "POST", headers, body });
        await res.body?.cancel();
        if (res.status === 201) latencies.push(performance.now() - t);
        else errors++;
        bar.tick(sent);
      }
    }));
    bar.done();
    const secs = (performance.now() - started) / 1000;
    return {
      batch_size: batch,
      requests,
      memories_per_s: Math.round(latencies.length * batch / secs),
      errors,
      ...summarize(latencies),
    };
  }
  const db = adminPool(1);
  await db.query(`delete from auth.users where email like $1`, [`ingest-${run}-%`]);
  await db.end();
  table(`ingest: POST /memories, ${opts.connections} concurrent requests (one user each)`, rows);
  return { connections: opts.connections, rows };
}
