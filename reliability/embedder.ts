// The embeddings upstream misbehaves under load: slow, hung, failing, rate
// limiting, then healthy again. Expected: each request gets the mapped answer in
// bounded time (504 / 502 / 429 with Retry-After, never a 500), and a memory batch
// is stored whole or not at all: nothing of a failed request is in the database.

import pg from "pg";
import { summarize } from "../harness/measure.ts";
import { benchUser, env } from "../harness/stack.ts";
import { type Outcome, type Sent, sleep, stackServerPid, statuses, timeline } from "./load.ts";

interface Scenario {
  name: string;
  /** What the local embeddings server is told (POST /__faults), or how it is stopped. */
  fault: { latency_ms?: number; status?: number; retry_after?: number } | "sigstop" | null;
  expect: { status: number; code: string; retryAfter?: string };
}

const SCENARIOS: Scenario[] = [
  {
    name: "slow (3 s per call, timeout 1.5 s)",
    fault: { latency_ms: 3000 },
    expect: { status: 504, code: "UPSTREAM_TIMEOUT" },
  },
  {
    name: "hung (process stopped)",
    fault: "sigstop",
    expect: { status: 504, code: "UPSTREAM_TIMEOUT" },
  },
  {
    name: "failing (HTTP 500)",
    fault: { status: 500 },
    expect: { status: 502, code: "UPSTREAM_ERROR" },
  },
  {
    name: "overloaded (HTTP 503)",
    fault: { status: 503 },
    expect: { status: 502, code: "UPSTREAM_ERROR" },
  },
  {
    name: "rate limited (429, retry-after 7)",
    fault: { status: 429, retry_after: 7 },
    expect: { status: 429, code: "UPSTREAM_RATE_LIMITED", retryAfter: "7" },
  },
  { name: "healthy again", fault: null, expect: { status: 201, code: "" } },
];

export interface ScenarioReport {
  scenario: string;
  requests: number;
  statuses: Record<string, number>;
  p50_ms: number;
  max_ms: number;
  rows_of_failed_requests: number;
  rows_of_successful_requests: number;
  expected_rows: number;
}

async function embedderControl(method: "POST" | "DELETE", body?: unknown) {
  const base = env("OPENAI_BASE_URL").replace(/\/v1$/, "");
  const res = await fetch(`${base}/__faults`, {
    method,
    headers: { Authorization: `Bearer ${env("LOCAL_OPENAI_KEY")}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`embedder faults: ${res.status} ${await res.text()}`);
  await res.body?.cancel();
}

export async function embedderFaults(seconds = 4) {
  const url = env("SUPABASE_FUNCTIONS_URL");
  const user = await benchUser(`embedder-${Date.now()}@reliability.local`);
  const run = crypto.randomUUID().slice(0, 8);
  const db = new pg.Pool({ connectionString: env("SUPABASE_DB_URL"), max: 1 });
  const reports: ScenarioReport[] = [];
  const violations: string[] = [];
  try {
    for (const [n, s] of SCENARIOS.entries()) {
      const pid = s.fault === "sigstop" ? await stackServerPid("embeddings-server.ts") : 0;
      if (s.fault === "sigstop") Deno.kill(pid, "SIGSTOP");
      else if (s.fault) await embedderControl("POST", { ...s.fault, count: 1_000_000 });
      else await embedderControl("DELETE");
      // Batches of three new memories (one upstream call each) and searches.
      const next = (w: number, i: number): Sent => {
        const tag = `emb-${run}-${n}-${w}-${i}`;
        return w % 3 === 2
          ? { method: "POST", path: "/memories/search", body: { query: `where ${tag}` } }
          : {
            method: "POST",
            path: "/memories",
            tag,
            body: { memories: [0, 1, 2].map((k) => ({ content: `${tag}-${k} likes trams` })) },
          };
      };
      let all: Outcome[];
      try {
        all = await timeline(url, user.token, 6, next, sleep(seconds * 1000));
      } finally {
        if (s.fault === "sigstop") Deno.kill(pid, "SIGCONT");
      }
      const failedTags = all.filter((o) => o.tag && o.status !== 201).map((o) => `${o.tag}-%`);
      const okTags = all.filter((o) => o.tag && o.status === 201).map((o) => `${o.tag}-%`);
      const { rows } = await db.query(
        `select count(*) filter (where content_text like any($2))::int as failed,
                count(*) filter (where content_text like any($3))::int as ok
           from public.memory_embeddings where user_id = $1 and content_text like $4`,
        [user.id, failedTags, okTags, `emb-${run}-${n}-%`],
      );
      const lat = summarize(all.map((o) => o.ms));
      const r: ScenarioReport = {
        scenario: s.name,
        requests: all.length,
        statuses: statuses(all),
        p50_ms: lat.p50_ms,
        max_ms: Math.round(Math.max(...all.map((o) => o.ms))),
        rows_of_failed_requests: rows[0].failed,
        rows_of_successful_requests: rows[0].ok,
        expected_rows: okTags.length * 3,
      };
      reports.push(r);
      for (const o of all) {
        const want = o.path === "/memories/search" && s.expect.status === 201
          ? 200
          : s.expect.status;
        const okCode = s.expect.code === "" || o.code === s.expect.code;
        const okRetry = !s.expect.retryAfter || o.retryAfter === s.expect.retryAfter;
        if (o.status !== want || !okCode || !okRetry || !o.cors) {
          violations.push(
            `${s.name}: ${o.method} ${o.path} got ${o.status} ${o.code ?? ""} ` +
              `(retry-after ${o.retryAfter ?? "none"}), expected ${want} ${s.expect.code}`,
          );
        }
      }
      if (r.rows_of_failed_requests) violations.push(`${s.name}: failed requests left rows`);
      if (r.rows_of_successful_requests !== r.expected_rows) {
        violations.push(`${s.name}: a successful batch is not stored whole`);
      }
      // Bounded: a timeout is the upstream timeout plus the request's own work.
      if (r.max_ms > 5000) violations.push(`${s.name}: a request took ${r.max_ms} ms`);
    }
  } finally {
    await embedderControl("DELETE").catch(() => {});
    await db.end();
  }
  return { scenarios: reports, violations: violations.slice(0, 20) };
}
