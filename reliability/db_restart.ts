// The database goes away under load and comes back. Expected: while it is down,
// requests fail fast with 503 and Retry-After (never a 500, never a hang); once it
// is back the functions recover by themselves within seconds; every write that
// got a 201 before or after is in the database.

import pg from "pg";
import { summarize } from "../harness/measure.ts";
import { benchUser, env } from "../harness/stack.ts";
import { type Outcome, script, type Sent, sleep, statuses, timeline } from "./load.ts";

export interface RestartOptions {
  /** fast: clean shutdown; immediate: a crash (no checkpoint, WAL replay on start). */
  mode: "fast" | "immediate";
  downSeconds: number;
  workers: number;
}

export interface RestartReport {
  mode: string;
  down_s: number;
  requests: number;
  statuses: Record<string, number>;
  before: Record<string, number>;
  while_down: Record<string, number> & { fail_p50_ms?: number; fail_max_ms?: number };
  recovery_s: number | null;
  errors_after_recovery: number;
  acknowledged_writes: number;
  acknowledged_missing: number;
  unacknowledged_stored: number;
  violations: string[];
}

const trip = (tag: string) => ({
  name: tag,
  destination: "Porto",
  start_date: "2027-06-01",
  end_date: "2027-06-05",
  budget: 900,
});

export async function dbRestart(opts: RestartOptions): Promise<RestartReport> {
  const url = env("SUPABASE_FUNCTIONS_URL");
  const user = await benchUser(`restart-${opts.mode}-${Date.now()}@reliability.local`);
  const run = crypto.randomUUID().slice(0, 8);
  const seed = await fetch(`${url}/trips`, {
    method: "POST",
    headers: user.headers,
    body: JSON.stringify(trip(`restart-${run}-seed`)),
  }).then((r) => r.json());

  // Half the workers write trips, half read one: both kinds must fail the same way.
  const next = (w: number, i: number): Sent =>
    w % 2 === 0
      ? { method: "POST", path: "/trips", body: trip(`restart-${run}-${w}-${i}`) }
      : { method: "GET", path: `/trips/${seed.id}` };

  let downAt = 0;
  let upAt = 0;
  const started = performance.now();
  const fault = (async () => {
    await sleep(3000);
    downAt = performance.now() - started;
    await script("db-ctl.sh", "reliability", "stop", opts.mode);
    await sleep(opts.downSeconds * 1000);
    await script("db-ctl.sh", "reliability", "start");
    upAt = performance.now() - started;
    await sleep(15_000); // long enough to see recovery and a clean stretch after it
  })();
  const all = await timeline(url, user.token, opts.workers, next, fault);
  await fault;

  const ok = (o: Outcome) => o.status >= 200 && o.status < 300;
  const before = all.filter((o) => o.at + o.ms < downAt);
  const whileDown = all.filter((o) => o.at >= downAt && o.at < upAt);
  const afterUp = all.filter((o) => o.at >= upAt);
  const firstOk = afterUp.find(ok);
  const recoveredAt = firstOk ? firstOk.at : null;
  const afterRecovery = recoveredAt === null ? [] : all.filter((o) => o.at > recoveredAt + 1000);
  const failedDown = whileDown.filter((o) => !ok(o));

  const violations: string[] = [];
  for (const o of all.filter((o) => !ok(o))) {
    if (o.status !== 503 || !o.retryAfter || !o.cors || o.code !== "SERVICE_UNAVAILABLE") {
      violations.push(
        `${o.method} ${o.path} at ${Math.round(o.at)} ms: ${o.status} ${o.code ?? ""} ` +
          `(retry-after ${o.retryAfter ?? "none"})`,
      );
    }
  }
  if (before.some((o) => !ok(o))) violations.push("requests failed before the database stopped");
  if (recoveredAt === null) violations.push("no request succeeded after the database came back");
  else if (recoveredAt - upAt > 10_000) violations.push("recovery took more than 10 s");

  // Every acknowledged write must be stored; count the unacknowledged ones that were.
  const acked = all.filter((o) => o.method === "POST" && o.status === 201).map((o) => o.body.id);
  const db = new pg.Pool({ connectionString: env("SUPABASE_DB_URL"), max: 1 });
  const { rows } = await db.query(
    `select count(*) filter (where id = any($1::bigint[]))::int as acked,
            count(*) filter (where not id = any($1::bigint[]))::int as unacked
       from public.trips where user_id = $2 and name like $3`,
    [acked, user.id, `restart-${run}-%-%`],
  );
  await db.end();
  const missing = acked.length - rows[0].acked;
  if (missing) violations.push(`${missing} acknowledged writes are missing`);

  const down = summarize(failedDown.map((o) => o.ms));
  return {
    mode: opts.mode,
    down_s: Math.round((upAt - downAt) / 100) / 10,
    requests: all.length,
    statuses: statuses(all),
    before: statuses(before),
    while_down: { ...statuses(whileDown), fail_p50_ms: down.p50_ms, fail_max_ms: max(failedDown) },
    recovery_s: recoveredAt === null ? null : Math.round((recoveredAt - upAt) / 100) / 10,
    errors_after_recovery: afterRecovery.filter((o) => !ok(o)).length,
    acknowledged_writes: acked.length,
    acknowledged_missing: missing,
    unacknowledged_stored: rows[0].unacked,
    violations: violations.slice(0, 20),
  };
}

const max = (os: Outcome[]) => Math.round(Math.max(0, ...os.map((o) => o.ms)));
