// Closed-loop load that keeps every request's outcome on a timeline: the fault
// scripts need to know which requests failed when, how fast, with which answer,
// and which writes were acknowledged. (Throughput runs use autocannon instead.)

export interface Sent {
  method: string;
  path: string;
  body?: unknown;
  /** What identifies this request's write, to look it up in the database later. */
  tag?: string;
  /** Another user's token for this request. */
  token?: string;
}

export interface Outcome extends Sent {
  /** Start, milliseconds since the load began. */
  at: number;
  ms: number;
  /** 0 when no HTTP answer came at all. */
  status: number;
  code?: string;
  retryAfter: string | null;
  cors: boolean;
  // deno-lint-ignore no-explicit-any -- the JSON answer, as sent
  body?: any;
}

/** One request with a bearer token, timed, its JSON answer parsed. */
export async function send(url: string, token: string, s: Sent, started: number): Promise<Outcome> {
  const at = performance.now() - started;
  const t = performance.now();
  try {
    const res = await fetch(`${url}${s.path}`, {
      method: s.method,
      headers: { Authorization: `Bearer ${s.token ?? token}`, "content-type": "application/json" },
      body: s.body === undefined ? undefined : JSON.stringify(s.body),
    });
    const text = await res.text();
    let parsed: { code?: string } | null = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: the judge reports it
    }
    return {
      ...s,
      at,
      ms: performance.now() - t,
      status: res.status,
      code: parsed?.code,
      retryAfter: res.headers.get("retry-after"),
      cors: res.headers.get("access-control-allow-origin") === "*",
      body: parsed,
    };
  } catch {
    return { ...s, at, ms: performance.now() - t, status: 0, retryAfter: null, cors: false };
  }
}

/**
 * Sends `rate` requests per second for `seconds` from `workers` loops, each on its
 * own fixed schedule (a late worker sends at once, it never bursts to catch up);
 * with `rate` 0 the loops run flat out. Returns the outcomes without bodies.
 */
export async function paced(
  url: string,
  workers: number,
  rate: number,
  seconds: number,
  next: (worker: number, i: number) => Sent,
): Promise<Outcome[]> {
  const started = performance.now();
  const end = started + seconds * 1000;
  const interval = rate > 0 ? (workers * 1000) / rate : 0;
  const out: Outcome[] = [];
  await Promise.all(Array.from({ length: workers }, async (_, w) => {
    for (let i = 0;; i++) {
      const due = started + (i + w / workers) * interval;
      if (due >= end || performance.now() >= end) break;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const o = await send(url, "", next(w, i), started);
      delete o.body;
      out.push(o);
    }
  }));
  return out;
}

/**
 * Runs `workers` loops, each sending `next(worker, i)` until `stop()` resolves;
 * returns every outcome in order of start.
 */
export async function timeline(
  url: string,
  token: string,
  workers: number,
  next: (worker: number, i: number) => Sent,
  stop: Promise<unknown>,
): Promise<Outcome[]> {
  const started = performance.now();
  const out: Outcome[] = [];
  let running = true;
  stop.finally(() => running = false);
  await Promise.all(Array.from({ length: workers }, async (_, w) => {
    for (let i = 0; running; i++) out.push(await send(url, token, next(w, i), started));
  }));
  return out.sort((a, b) => a.at - b.at);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Status counts, e.g. { "201": 812, "503": 40 }. */
export function statuses(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o.status] = (counts[o.status] ?? 0) + 1;
  return counts;
}

/** The pid of one of this stack's servers (its command line names the stack's env file). */
export async function stackServerPid(
  script: "functions-server.ts" | "embeddings-server.ts",
): Promise<number> {
  const state = Deno.env.get("STACK_STATE");
  // "[f]unctions-server.ts" matches the server but not another pgrep looking for it
  // (two samples can overlap, and each pgrep's own command line holds the pattern).
  const name = `[${script[0]}]${script.slice(1)}`;
  const out = await new Deno.Command("pgrep", {
    args: ["-f", `${state}/stack.env .*${name}`],
    stdout: "piped",
  }).output();
  const pids = new TextDecoder().decode(out.stdout).trim().split("\n").filter(Boolean);
  if (pids.length !== 1) throw new Error(`expected one ${script}, found ${pids.length}`);
  return Number(pids[0]);
}

/** Runs one of the repository's scripts (db-ctl.sh ...) and fails loudly if it fails. */
export async function script(name: string, ...args: string[]) {
  const root = new URL("../", import.meta.url).pathname;
  const out = await new Deno.Command("bash", {
    args: [`${root}scripts/${name}`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`${name} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}
