// Soak: a mix of every user route, first at full speed to find the maximum, then
// for `minutes` at `load` x that maximum, one autocannon run per minute so each
// minute has its own figures. Expected: zero errors and non-2xx, and a flat
// resident memory of the functions server (sampled every 5 s).

import autocannon from "autocannon";
import { type BenchUser, benchUser, need } from "../bench/lib.ts";

const USERS = 16;
const base = () => new URL(need("SUPABASE_FUNCTIONS_URL"));

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
      fetch(`${base()}${path}`, {
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
function requests(f: Fixture): autocannon.Request[] {
  const prefix = base().pathname;
  let n = 0;
  // Each request picks the next user, so no single user's data grows without bound.
  const as = (method: string, path: (u: number) => string, body?: (i: number) => unknown) => ({
    method,
    setupRequest: (req: autocannon.Request) => {
      const u = n++ % USERS;
      return {
        ...req,
        path: prefix + path(u),
        headers: f.users[u].headers,
        body: body ? JSON.stringify(body(n)) : undefined,
      };
    },
  } as autocannon.Request);
  return [
    as("GET", () => "/trips?limit=20"),
    as("GET", (u) => `/trips/${f.trips[u]}`),
    as("GET", (u) => `/trips/${f.trips[u]}`),
    as("POST", () => "/trips", (i) => tripBody(`soak trip ${i}`)),
    as("PATCH", (u) => `/trips/${f.trips[u]}`, (i) => ({ travelers: 1 + (i % 4) })),
    as("POST", () => "/memories/search", (i) => ({ query: `memory ${i % 50}`, match_count: 5 })),
    as("GET", () => "/memories?limit=10"),
    as("POST", () => "/memories", (i) => ({ content: `soak note ${i} ${crypto.randomUUID()}` })),
    as("GET", () => "/api-keys"),
    as("GET", () => "/health"),
  ];
}

async function run(f: Fixture, seconds: number, connections: number, rate?: number) {
  const r = await autocannon({
    url: base().origin,
    connections,
    duration: seconds,
    requests: requests(f),
    ...(rate ? { overallRate: rate } : {}),
  });
  return {
    req_per_s: Math.round(r.requests.average),
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    max_ms: r.latency.max,
    requests: r.requests.total,
    non_2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

/** Resident set size, MiB, of this stack's functions server. */
async function functionsRssMiB(): Promise<number> {
  const out = await new Deno.Command("pgrep", {
    args: ["-f", `${need("STACK_STATE")}/stack.env .*functions-server.ts`],
    stdout: "piped",
  }).output();
  const pid = new TextDecoder().decode(out.stdout).trim().split("\n")[0];
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Math.round(Number(status.match(/VmRSS:\s*(\d+)/)?.[1] ?? 0) / 1024);
}

export async function soak(opts: { minutes: number; load: number }) {
  const f = await fixture();
  const connections = 32;
  console.error("soak: measuring the maximum of the mix (20 s)");
  const max = await run(f, 20, connections);
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
  try {
    for (let m = 1; m <= opts.minutes; m++) {
      minutes.push({ minute: m, rss_mib: 0, ...await run(f, 60, connections, rate) });
      minutes[m - 1].rss_mib = await functionsRssMiB();
      console.error(`soak: minute ${m}: ${JSON.stringify(minutes[m - 1])}`);
    }
  } finally {
    clearInterval(timer);
  }
  const violations: string[] = [];
  for (const m of minutes) {
    if (m.non_2xx || m.errors || m.timeouts) {
      violations.push(`minute ${m.minute}: ${m.non_2xx} non-2xx, ${m.errors} errors`);
    }
    if (m.req_per_s < rate * 0.9) violations.push(`minute ${m.minute}: fell behind the rate`);
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
    connections,
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
