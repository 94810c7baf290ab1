// What benchmarks and reliability runs share: timing, percentiles, a progress bar on
// stderr, tables on stdout, the machine, raw results as JSON.

import pg from "pg";

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
  dir = new URL("../bench/results/", import.meta.url),
): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const path = new URL(`${part}-${stamp}.json`, dir);
  await Deno.writeTextFile(path, JSON.stringify(result, null, 2) + "\n");
  return path.pathname;
}

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
