// HTTP throughput of the functions with autocannon (fixed connections, fixed time),
// and the same RPCs called directly over SQL, in the five-statement transaction
// @supabase/server's Postgres client used, for the function-overhead ratio.

import pg from "pg";
import { worktree } from "./worktree.ts";
import { closedLoop, summarize, table } from "../harness/measure.ts";
import { adminPool, benchUser, env } from "../harness/stack.ts";
import { boot } from "../harness/boot.ts";
import { DIMENSIONS } from "../supabase/functions/_shared/openai.ts";

export interface HttpOptions {
  seconds: number;
  connections: number;
  /** A git ref: its functions run beside today's, both uncached, for old-vs-new rows. */
  baseline?: string;
}

interface Target {
  name: string;
  method: "GET" | "POST";
  path: string;
  body?: unknown;
  /** The RPC the route runs, for the direct-SQL comparison. */
  sql?: [string, unknown[]];
}

async function autocannon(url: string, t: Target, token: string, opts: HttpOptions) {
  const root = new URL("../", import.meta.url).pathname;
  const args = [
    "-j",
    "-c",
    String(opts.connections),
    "-d",
    String(opts.seconds),
    "-m",
    t.method,
    "-H",
    `Authorization=Bearer ${token}`,
    "-H",
    "content-type=application/json",
  ];
  if (t.body !== undefined) args.push("-b", JSON.stringify(t.body));
  args.push(url + t.path);
  const out = await new Deno.Command(`${root}node_modules/.bin/autocannon`, {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  const r = JSON.parse(new TextDecoder().decode(out.stdout));
  return {
    req_per_s: Math.round(r.requests.average),
    p50_ms: r.latency.p50,
    p95_ms: r.latency.p97_5 ?? r.latency.p99, // autocannon reports 97.5, not 95
    p99_ms: r.latency.p99,
    non_2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    requests: r.requests.total,
  };
}

/** The RPC over SQL inside the same 4-statement transaction the function uses. */
async function direct(t: Target, claims: string, opts: HttpOptions) {
  const pool = new pg.Pool({ connectionString: env("SUPABASE_DB_URL"), max: opts.connections });
  try {
    const [text, params] = t.sql!;
    const r = await closedLoop(opts.connections, opts.seconds, async () => {
      const c = await pool.connect();
      try {
        await c.query("begin");
        await c.query(`select set_config('request.jwt.claims', $1, true)`, [claims]);
        await c.query("set local role authenticated");
        await c.query(text, params);
        await c.query("commit");
      } finally {
        c.release();
      }
    });
    const s = summarize(r.latencies);
    return {
      req_per_s: Math.round(r.qps),
      p50_ms: s.p50_ms,
      p95_ms: s.p95_ms,
      p99_ms: s.p99_ms,
      non_2xx: "-",
      errors: r.errors,
      requests: r.latencies.length,
    };
  } finally {
    await pool.end();
  }
}

/**
 * A baseline older than release 0.2.0 (512-d memory_vectors) asks for 1,536-dimension embeddings,
 * which `match_memories` now refuses (400): its searches would time a refusal. Its
 * checkout is given today's size, the one line that differs; everything else it runs
 * as it was. Returns whether the line was changed (reported with the rows).
 */
async function adaptDimensions(checkout: URL): Promise<boolean> {
  const file = new URL("supabase/functions/_shared/openai.ts", checkout);
  const text = await Deno.readTextFile(file);
  const line = /^export const DIMENSIONS = (\d+);$/m;
  const size = Number(text.match(line)?.[1]);
  if (!size || size === DIMENSIONS) return false;
  await Deno.writeTextFile(file, text.replace(line, `export const DIMENSIONS = ${DIMENSIONS};`));
  return true;
}

/**
 * Today's functions and the baseline's, each booted alone with no cache (CACHE_URL
 * empty), so that the rows compare code, not caching; same database, same user.
 */
async function oldAndNew(ref: string) {
  const boots: Awaited<ReturnType<typeof boot>>[] = [];
  const bases: Record<string, Record<string, string>> = { current: {}, [ref]: {} };
  const old = await worktree(ref);
  if (await adaptDimensions(old)) {
    console.error(`http: ${ref} asks for ${DIMENSIONS}-dimension embeddings (today's size)`);
  }
  for (const [version, checkout] of [["current", undefined], [ref, old]] as const) {
    for (const name of ["trips", "memories"]) {
      const fn = await boot(Deno.execPath(), name, { CACHE_URL: "" }, checkout);
      boots.push(fn);
      bases[version][name] = fn.base;
    }
  }
  return { bases, stop: () => Promise.all(boots.map((b) => b.stop())) };
}

export async function httpBench(opts: HttpOptions) {
  const url = env("SUPABASE_FUNCTIONS_URL");
  // Alice of the seed owns trip 1001 (3 collaborators, 8 child rows).
  const { id: alice, token, headers } = await benchUser("alice@example.com");
  const claims = JSON.stringify({ sub: alice, role: "authenticated", aud: "authenticated" });
  await prepareMemories(url, headers);
  const trip = {
    name: "Bench trip",
    destination: "Kyoto",
    start_date: "2027-04-01",
    end_date: "2027-04-05",
    budget: 1000,
  };
  const targets: Target[] = [
    { name: "GET /trips", method: "GET", path: "/trips", sql: [`select public.list_trips()`, []] },
    {
      name: "GET /trips/:id",
      method: "GET",
      path: "/trips/1001",
      sql: [`select public.get_trip(1001)`, []],
    },
    {
      name: "POST /trips",
      method: "POST",
      path: "/trips",
      body: trip,
      sql: [`select public.create_trip($1::jsonb)`, [JSON.stringify(trip)]],
    },
    {
      name: "POST /memories/search",
      method: "POST",
      path: "/memories/search",
      body: { query: "ramen in Tokyo" },
    },
  ];
  const rows = [];
  if (opts.baseline) {
    const { bases, stop } = await oldAndNew(opts.baseline);
    try {
      for (const t of targets) {
        // Each version twice, in the order A B B A: whatever drifts during a route's runs
        // (a warming cache, a neighbour on the host) falls on both alike.
        const versions = Object.entries(bases);
        const runs = new Map<string, Awaited<ReturnType<typeof autocannon>>[]>();
        for (const [version, base] of [...versions, ...[...versions].reverse()]) {
          console.error(`http: ${t.name} (${version}, uncached) for ${opts.seconds} s`);
          const h = await autocannon(base[t.path.split("/")[1]], t, token, opts);
          runs.set(version, [...(runs.get(version) ?? []), h]);
        }
        for (const [version, hs] of runs) {
          const mean = (f: (h: (typeof hs)[number]) => number) =>
            Math.round(hs.reduce((a, h) => a + f(h), 0) / hs.length * 10) / 10;
          rows.push({
            route: t.name,
            code: version,
            req_per_s: Math.round(mean((h) => h.req_per_s)),
            each_run: hs.map((h) => h.req_per_s).join(" / "),
            p50_ms: mean((h) => h.p50_ms),
            p95_ms: mean((h) => h.p95_ms),
            p99_ms: mean((h) => h.p99_ms),
            non_2xx: hs.reduce((a, h) => a + h.non_2xx, 0),
            errors: hs.reduce((a, h) => a + h.errors, 0),
          });
        }
        if (t.sql) {
          const d = await direct(t, claims, opts);
          rows.push({
            route: t.name,
            code: "direct SQL",
            req_per_s: d.req_per_s,
            each_run: String(d.req_per_s),
            p50_ms: d.p50_ms,
            p95_ms: d.p95_ms,
            p99_ms: d.p99_ms,
            non_2xx: d.non_2xx,
            errors: d.errors,
          });
        }
      }
    } finally {
      await stop();
    }
    await cleanup(alice);
    table(`http: old and new code, ${opts.connections} connections, uncached`, rows);
    return { connections: opts.connections, seconds: opts.seconds, baseline: opts.baseline, rows };
  }
  for (const t of targets) {
    console.error(`http: ${t.name} for ${opts.seconds} s at ${opts.connections} connections`);
    const h = await autocannon(url, t, token, opts);
    const d = t.sql ? await direct(t, claims, opts) : null;
    rows.push({
      route: t.name,
      req_per_s: h.req_per_s,
      p50_ms: h.p50_ms,
      "p97.5_ms": h.p95_ms,
      p99_ms: h.p99_ms,
      non_2xx: h.non_2xx,
      errors: h.errors,
      sql_req_per_s: d?.req_per_s ?? "-",
      sql_p95_ms: d?.p95_ms ?? "-",
      sql_over_http: d ? Math.round(d.req_per_s / h.req_per_s * 100) / 100 : "-",
    });
  }
  await cleanup(alice);
  table(`http: ${opts.connections} connections, ${opts.seconds} s per route (autocannon)`, rows);
  return { connections: opts.connections, seconds: opts.seconds, rows };
}

/** Alice gets a few memories, so search has work to do. */
async function prepareMemories(url: string, headers: Record<string, string>) {
  const memories = Array.from({ length: 200 }, (_, i) => ({
    content: `memory ${i}: ${["ramen", "sushi", "temples", "onsen", "hiking"][i % 5]} in ${
      ["Tokyo", "Kyoto", "Osaka", "Sapporo"][i % 4]
    } with friends`,
  }));
  const res = await fetch(`${url}/memories`, {
    method: "POST",
    headers,
    body: JSON.stringify({ memories }),
  });
  if (!res.ok) throw new Error(`could not store bench memories: ${res.status} ${await res.text()}`);
}

/** The bench's own trips would slow GET /trips down run after run. */
async function cleanup(alice: string) {
  const db = adminPool(1);
  await db.query(`delete from public.trips where user_id = $1 and name = 'Bench trip'`, [alice]);
  await db.end();
}
