// npm run reliability -- [fuzz|db-restart|embedder|pool|soak|faults|all] [options]
// Each part prints what it saw and whether it held; raw results go to
// reliability/results/. Exits non-zero if any part found a violation.

import { parseArgs } from "node:util";
import { machine, progress, writeResult } from "../harness/measure.ts";
import { adminPool, env } from "../harness/stack.ts";
import { dbRestart } from "./db_restart.ts";
import { embedderFaults } from "./embedder.ts";
import { fixture, runFuzz } from "./fuzz.ts";
import { poolExhaustion } from "./pool.ts";
import { soak } from "./soak.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    cases: { type: "string", default: "10000" },
    seed: { type: "string" },
    "down-seconds": { type: "string", default: "5" },
    minutes: { type: "string", default: "5" },
    load: { type: "string", default: "0.7" },
    help: { type: "boolean", default: false },
  },
});
const FAULTS = ["db-restart", "embedder", "pool"];
const PARTS = ["fuzz", ...FAULTS, "soak"];
const part = positionals[0] ?? "all";
const chosen = part === "all" ? PARTS : part === "faults" ? FAULTS : [part];
if (values.help || !chosen.every((p) => PARTS.includes(p))) {
  console.log(`usage: npm run reliability -- [${PARTS.join("|")}|faults|all] [options]
  --cases N          fuzz cases (default 10000)
  --seed N           fuzz seed, to replay a run
  --down-seconds S   how long db-restart keeps the database down (default 5)
  --minutes M        soak duration (default 5)
  --load F           soak rate as a fraction of the measured maximum (default 0.7)`);
  Deno.exit(values.help ? 0 : 2);
}
if (!env("STACK_STATE").endsWith("/reliability")) {
  throw new Error("run with npm run reliability: the fault scripts stop this stack's database");
}

const db = adminPool(1);
const host = await machine(db);
await db.end();
console.log(
  `machine: ${host.cpu}, ${host.cores} cores, ${host.ram_gib} GiB; ${host.postgres}, pgvector ${host.pgvector}`,
);
const dir = new URL("./results/", import.meta.url);
let failed = 0;

function report(name: string, result: { violations?: unknown[]; failures?: unknown[] }) {
  const problems = [...(result.violations ?? []), ...(result.failures ?? [])];
  console.log(`\n== ${name}: ${problems.length ? "FAILED" : "held"}`);
  console.log(JSON.stringify(result, null, 2));
  if (problems.length) failed++;
}

for (const p of chosen) {
  let result: Record<string, unknown> & { violations?: unknown[]; failures?: unknown[] };
  if (p === "fuzz") {
    const cases = Number(values.cases);
    const bar = progress("fuzz", cases);
    result = {
      ...await runFuzz(await fixture(), {
        cases,
        seed: Number(values.seed) || undefined,
        onCase: bar.tick,
      }),
    };
    bar.done();
  } else if (p === "db-restart") {
    const down = Number(values["down-seconds"]);
    const runs = [];
    for (const mode of ["fast", "immediate"] as const) {
      const r = await dbRestart({ mode, downSeconds: down, workers: 8 });
      report(`db-restart (${mode})`, r);
      runs.push(r);
    }
    result = { runs };
    await writeResult(p, { machine: host, ...result }, dir);
    continue;
  } else if (p === "embedder") {
    result = { ...await embedderFaults() };
  } else if (p === "pool") {
    result = { ...await poolExhaustion() };
  } else {
    result = { ...await soak({ minutes: Number(values.minutes), load: Number(values.load) }) };
  }
  report(p, result);
  await writeResult(p, { machine: host, ...result }, dir);
}
console.log(`\n${chosen.length - failed} held, ${failed} failed`);
Deno.exit(failed ? 1 : 0);
