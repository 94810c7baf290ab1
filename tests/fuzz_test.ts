// The bounded fuzz run of npm test: FUZZ_CASES (default 2,000) hostile requests over
// every route; `npm run reliability -- fuzz` runs the long one with a new seed each
// time. Here the seed is fixed so that npm test is deterministic; FUZZ_SEED picks
// another (a failure message names the seed it ran).

import assert from "node:assert/strict";
import { fixture, ROUTE_COUNT, runFuzz } from "../reliability/fuzz.ts";

Deno.test("fuzz: hostile params, queries and bodies on every route never get a 5xx", async () => {
  const f = await fixture();
  const seed = Number(Deno.env.get("FUZZ_SEED")) || 20261124;
  const report = await runFuzz(f, { cases: Number(Deno.env.get("FUZZ_CASES")) || 2000, seed });
  const summary = `seed ${report.seed}, statuses ${JSON.stringify(report.statuses)}`;
  assert.deepEqual(report.failures, [], summary);
  assert.equal(report.routes_hit, ROUTE_COUNT, `every route was reached (${summary})`);
  // The cases must reach past validation, or the fuzz proves little.
  const ok = Object.entries(report.statuses).filter(([s]) => s.startsWith("2"))
    .reduce((n, [, c]) => n + c, 0);
  assert.ok(ok > report.cases / 50, `some cases succeed (${summary})`);
});
