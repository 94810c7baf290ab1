// Every pooled connection stuck at once: a transaction holds an exclusive lock on
// public.trips while 4x the pool size of requests arrive. Expected: no request
// hangs — the ones holding a connection end at the statement timeout, the ones
// waiting for a connection at the checkout timeout, all with 503 + Retry-After —
// and once the lock is gone the same routes answer 200 again.

import pg from "pg";
import { summarize } from "../harness/measure.ts";
import { benchUser, env } from "../harness/stack.ts";
import { send, sleep, statuses } from "./load.ts";

export async function poolExhaustion() {
  const url = env("SUPABASE_FUNCTIONS_URL");
  const poolMax = Number(env("DB_POOL_MAX"));
  const statementMs = Number(Deno.env.get("DB_STATEMENT_TIMEOUT_MS") ?? 8000);
  const checkoutMs = Number(Deno.env.get("DB_CHECKOUT_TIMEOUT_MS") ?? 5000);
  const user = await benchUser(`pool-${Date.now()}@reliability.local`);
  const trip = await fetch(`${url}/trips`, {
    method: "POST",
    headers: user.headers,
    body: JSON.stringify({
      name: "pool",
      destination: "Faro",
      start_date: "2027-07-01",
      end_date: "2027-07-02",
      budget: 100,
    }),
  }).then((r) => r.json());

  const locker = new pg.Client({ connectionString: env("SUPABASE_DB_URL") });
  await locker.connect();
  const violations: string[] = [];
  const started = performance.now();
  const holdMs = statementMs + 2000;
  try {
    await locker.query("begin");
    await locker.query("lock table public.trips in access exclusive mode");
    const requests = Array.from(
      { length: poolMax * 4 },
      (_, i) =>
        sleep(i * 20).then(() =>
          send(url, user.token, { method: "GET", path: `/trips/${trip.id}` }, started)
        ),
    );
    // Routes that do not touch trips share the same pool: they wait too.
    requests.push(
      sleep(1000).then(() => send(url, user.token, { method: "GET", path: "/health" }, started)),
    );
    const stuck = await Promise.race([
      Promise.all(requests),
      sleep(holdMs).then(() => null),
    ]);
    await locker.query("rollback");
    const outcomes = stuck ?? await Promise.all(requests);
    if (!stuck) violations.push(`requests were still open after ${holdMs} ms: a hang`);

    for (const o of outcomes) {
      if (o.status !== 503 || !o.retryAfter || !o.cors || o.code !== "SERVICE_UNAVAILABLE") {
        violations.push(`${o.path}: ${o.status} ${o.code ?? ""} (retry-after ${o.retryAfter})`);
      }
    }
    // After the lock: the same routes work again, with no restart.
    await sleep(200);
    const after = await Promise.all(
      Array.from(
        { length: poolMax * 2 },
        () => send(url, user.token, { method: "GET", path: `/trips/${trip.id}` }, started),
      ),
    );
    if (after.some((o) => o.status !== 200)) {
      violations.push(`after the lock was released: ${JSON.stringify(statuses(after))}`);
    }
    const byMessage: Record<string, number> = {};
    for (const o of outcomes) {
      const key = `${o.status} ${o.body?.message ?? ""}`;
      byMessage[key] = (byMessage[key] ?? 0) + 1;
    }
    const lat = summarize(outcomes.map((o) => o.ms));
    return {
      pool_max: poolMax,
      statement_timeout_ms: statementMs,
      checkout_timeout_ms: checkoutMs,
      requests: outcomes.length,
      answers: byMessage,
      p50_ms: lat.p50_ms,
      max_ms: Math.round(Math.max(...outcomes.map((o) => o.ms))),
      after_release: statuses(after),
      violations: violations.slice(0, 20),
    };
  } finally {
    await locker.end();
  }
}
