// Soak: a mix of every user route, first flat out to find the maximum, then for
// `minutes` at `load` x that maximum on a fixed schedule, with figures per minute.
// Expected: zero errors, the rate held, and a flat resident memory of the
// functions server (sampled every 5 s).
//
// The load is ours (reliability/load.ts), not autocannon: with a sequence of
// requests autocannon's latencies broke Little's law here (p50 744 ms at 666 req/s
// over 32 connections, where the mean must be ~48 ms) and its rate mode fell a
// third short of the asked rate. Our loops measure each request from send to body.

import { summarize } from "../harness/measure.ts";
import { type BenchUser, benchUser, env } from "../harness/stack.ts";
import { type Outcome, paced, type Sent, stackServerPid, statuses } from "./load.ts";

const USERS = 16;
/** Makes this run's memory texts new (a repeated text is deduplicated, not embedded). */
const RUN = Date.now().toString(36);
const WORKERS = 32;
const url = () => env("SUPABASE_FUNCTIONS_URL");

interface Fixture {
  users: BenchUser[];
  trips: string[];
}

async function fixture(): Promise<Fixture> {
  const stamp = Date.now();
  const users: BenchUser[] = [];
  const trips: string[] = [];
  for (let u = 0; u < USERS; u++) {
    const user = await benchUser(`soak-${stamp}-${u}@reliability.local`);
    users.push(user);
    const post = (path: string, body: unknown) =>
      fetch(`${url()}${path}`, {
        method: "POST",
        headers: user.headers,
        body: JSON.stringify(body),
      })
        .then((r) => r.json());
    const trip = await post("/trips", tripBody(`soak ${u}`));
    trips.push(String(trip.id));
    await post("/memories", {
      memories: Array.from({ length: 50 }, (_, i) => ({ content: `soak ${u} memory ${i}` })),
    });
  }
  return { users, trips };
}

const tripBody = (name: string) => ({
  name,
  destination: "Madeira",
  start_date: "2027-09-01",
  end_date: "2027-09-09",
  budget: 2000,
});

/** The mix: reads dominate, as in an app; every function and write path is in it. */
const MIX: ((trip: string, n: number) => Omit<Sent, "token">)[] = [
  () => ({ method: "GET", path: "/trips?limit=20" }),
  (trip) => ({ method: "GET", path: `/trips/${trip}` }),
  (trip) => ({ method: "GET", path: `/trips/${trip}` }),
  (_, n) => ({ method: "POST", path: "/trips", body: tripBody(`soak trip ${n}`) }),
  (trip, n) => ({ method: "PATCH", path: `/trips/${trip}`, body: { travelers: 1 + (n % 4) } }),
  (_, n) => ({ method: "POST", path: "/memories/search", body: { query: `memory ${n % 50}` } }),
  () => ({ method: "GET", path: "/memories?limit=10" }),
  (_, n) => ({
    method: "POST",
    path: "/memories",
    body: { content: `soak note ${RUN} ${n}` },
  }),
  () => ({ method: "GET", path: "/api-keys" }),
  () => ({ method: "GET", path: "/health" }),
];

function next(f: Fixture) {
  let n = 0;
  // Each request goes to the next user, so no one user's data grows without bound.
  return (w: number, i: number): Sent => {
    const u = n++ % USERS;
    return { ...MIX[(w + i) % MIX.length](f.trips[u], n), token: f.users[u].token };
  };
}

function figures(outcomes: Outcome[], seconds: number) {
  const lat = summarize(outcomes.map((o) => o.ms));
  const failed = outcomes.filter((o) => o.status < 200 || o.status >= 300);
  return {
    req_per_s: Math.round(outcomes.length / seconds),
    p50_ms: lat.p50_ms,
    p95_ms: lat.p95_ms,
    p99_ms: lat.p99_ms,
    requests: outcomes.length,
    errors: failed.length,
    error_statuses: statuses(failed),
  };
}

/** Resident set size, MiB, of this stack's functions server. */
async function functionsRssMiB(): Promise<number> {
  const pid = await stackServerPid("functions-server.ts");
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Math.round(Number(status.match(/VmRSS:\s*(\d+)/)?.[1] ?? 0) / 1024);
}

export async function soak(opts: { minutes: number; load: number }) {
  const f = await fixture();
  console.error("soak: measuring the maximum of the mix (20 s, 32 loops flat out)");
  const max = figures(await paced(url(), WORKERS, 0, 20, next(f)), 20);
  const rate = Math.max(1, Math.round(max.req_per_s * opts.load));
  console.error(`soak: maximum ${max.req_per_s} req/s; ${opts.minutes} min at ${rate} req/s`);
  const samples: { s: number; rss_mib: number }[] = [];
  const t0 = performance.now();
  const sample = async () =>
    samples.push({
      s: Math.round((performance.now() - t0) / 1000),
      rss_mib: await functionsRssMiB(),
    });
  await sample();
  const timer = setInterval(sample, 5000);
  const minutes = [];
  const load = next(f);
  try {
    for (let m = 1; m <= opts.minutes; m++) {
      const row = { minute: m, ...figures(await paced(url(), WORKERS, rate, 60, load), 60) };
      minutes.push({ ...row, rss_mib: await functionsRssMiB() });
      console.error(`soak: minute ${m}: ${JSON.stringify(minutes[m - 1])}`);
    }
  } finally {
    clearInterval(timer);
  }
  const violations: string[] = [];
  if (max.errors) violations.push(`measuring the maximum: ${max.errors} errors`);
  for (const m of minutes) {
    if (m.errors) violations.push(`minute ${m.minute}: ${JSON.stringify(m.error_statuses)}`);
    if (m.req_per_s < rate * 0.95) violations.push(`minute ${m.minute}: fell behind the rate`);
  }
  // Flat: the last minute's memory is within 10% (or 16 MiB) of the first minute's.
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const first = mean(samples.filter((x) => x.s > 0 && x.s <= 60).map((x) => x.rss_mib));
  const last = mean(samples.filter((x) => x.s > (opts.minutes - 1) * 60).map((x) => x.rss_mib));
  const growth = Math.round(last - first);
  if (growth > Math.max(16, first * 0.1)) {
    violations.push(`functions server memory grew by ${growth} MiB (${first} -> ${last})`);
  }
  return {
    workers: WORKERS,
    maximum: max,
    rate,
    minutes,
    rss_first_minute_mib: Math.round(first),
    rss_last_minute_mib: Math.round(last),
    rss_growth_mib: growth,
    rss_samples: samples,
    violations,
  };
}
