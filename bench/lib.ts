// What every benchmark part shares: timing, percentiles, a progress bar on stderr,
// tables on stdout, raw results as JSON under bench/results/ (git-ignored).

import pg from "pg";
import { ensureUser, signAccessToken } from "../scripts/token.ts";

export const need = (name: string): string => {
  const v = Deno.env.get(name);
  if (!v) throw new Error(`${name} is not set: run benchmarks with npm run bench`);
  return v;
};

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export interface LatencySummary {
  count: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  mean_ms: number;
}

export function summarize(latenciesMs: number[]): LatencySummary {
  const s = [...latenciesMs].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    count: s.length,
    p50_ms: round(percentile(s, 50)),
    p95_ms: round(percentile(s, 95)),
    p99_ms: round(percentile(s, 99)),
    mean_ms: round(s.reduce((a, b) => a + b, 0) / (s.length || 1)),
  };
}

/** A one-line progress bar on stderr; call done() to finish the line. */
export function progress(label: string, total: number) {
  const enc = new TextEncoder();
  const started = performance.now();
  let last = 0;
  const draw = (n: number) => {
    const width = 30;
    const frac = total > 0 ? Math.min(1, n / total) : 0;
    const bar = "#".repeat(Math.round(frac * width)).padEnd(width, ".");
    const secs = ((performance.now() - started) / 1000).toFixed(0);
    Deno.stderr.writeSync(enc.encode(`\r${label} [${bar}] ${Math.round(frac * 100)}% ${secs}s `));
  };
  return {
    tick(n: number) {
      const now = performance.now();
      if (now - last > 200 || n >= total) {
        last = now;
        draw(n);
      }
    },
    done() {
      draw(total);
      Deno.stderr.writeSync(enc.encode("\n"));
    },
  };
}

/** Prints rows as an aligned table with a title. */
export function table(title: string, rows: Record<string, unknown>[]) {
  console.log(`\n${title}`);
  if (rows.length === 0) return console.log("(no rows)");
  const cols = Object.keys(rows[0]);
  // Below 1 (recall, ratios) the fourth decimal tells 0.9995 from 1.
  const cell = (v: unknown) =>
    typeof v === "number"
      ? String(Math.abs(v) < 1 ? Math.round(v * 10000) / 10000 : Math.round(v * 1000) / 1000)
      : String(v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padStart(widths[i])).join("  ");
  console.log(line(cols));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(cols.map((c) => cell(r[c]))));
}

/** Machine and versions, recorded with every result. */
export async function machine(db: pg.Pool) {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const { rows } = await db.query(
    `select version() as pg, (select extversion from pg_extension where extname = 'vector') as pgvector`,
  );
  return {
    date: new Date().toISOString(),
    cpu: cpuinfo.match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown",
    cores: navigator.hardwareConcurrency,
    ram_gib: Math.round(Number(meminfo.match(/MemTotal:\s*(\d+)/)?.[1] ?? 0) / 1024 / 1024),
    postgres: String(rows[0].pg).split(" on ")[0],
    pgvector: rows[0].pgvector,
    deno: Deno.version.deno,
  };
}

/** Writes `result` as JSON to `<dir>/<part>-<timestamp>.json` (default bench/results/). */
export async function writeResult(
  part: string,
  result: unknown,
  dir = new URL("./results/", import.meta.url),
): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const path = new URL(`${part}-${stamp}.json`, dir);
  await Deno.writeTextFile(path, JSON.stringify(result, null, 2) + "\n");
  return path.pathname;
}

export const adminPool = (max = 8) =>
  new pg.Pool({ connectionString: need("SUPABASE_DB_URL"), max });

/** Runs `fn` from `workers` concurrent loops for `seconds`; latency of each call. */
export async function closedLoop(
  workers: number,
  seconds: number,
  fn: (worker: number, i: number) => Promise<void>,
): Promise<{ qps: number; latencies: number[]; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: workers }, async (_, w) => {
    for (let i = 0; performance.now() < until; i++) {
      const t = performance.now();
      try {
        await fn(w, i);
        latencies.push(performance.now() - t);
      } catch {
        errors++;
      }
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  return { qps: latencies.length / elapsed, latencies, errors };
}

export interface BenchUser {
  id: string;
  token: string;
  /** Authorization and content type for calls to the functions. */
  headers: Record<string, string>;
}

/**
 * A user with an hour-long token whose stored OpenAI key is the one the local
 * embeddings server accepts, so memories routes can embed.
 */
export async function benchUser(email: string): Promise<BenchUser> {
  const id = await ensureUser(need("SUPABASE_DB_URL"), email);
  const token = await signAccessToken(id, email, {
    supabaseUrl: need("SUPABASE_URL"),
    signingKey: JSON.parse(await Deno.readTextFile(need("SIGNING_KEY_PATH"))),
    expiresIn: 3600,
  });
  const headers = { Authorization: `Bearer ${token}`, "content-type": "application/json" };
  // A 409 on a later run (the key already exists) is fine.
  await fetch(`${need("SUPABASE_FUNCTIONS_URL")}/api-keys`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      service_name: "openai",
      key_name: "bench",
      value: need("LOCAL_OPENAI_KEY"),
    }),
  }).then((r) => r.body?.cancel());
  return { id, token, headers };
}

/** A detached worktree of `ref` under .local/bench/baseline/ (made once, kept). */
export async function worktree(ref: string): Promise<URL> {
  const root = new URL("../", import.meta.url);
  const git = async (...args: string[]) => {
    const out = await new Deno.Command("git", { args, cwd: root.pathname, stderr: "piped" })
      .output();
    if (!out.success) {
      throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
    }
    return new TextDecoder().decode(out.stdout).trim();
  };
  const sha = await git("rev-parse", "--verify", `${ref}^{commit}`);
  const dir = new URL(`.local/bench/baseline/${sha.slice(0, 12)}/`, root);
  try {
    await Deno.stat(dir);
  } catch {
    await git("worktree", "add", "--detach", dir.pathname, sha);
  }
  return dir;
}
