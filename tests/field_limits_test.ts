// docs/api.md's field-limits table is what the schemas say (scripts/field-limits.ts),
// and every exported request schema has its route there.
import assert from "node:assert/strict";
import { z } from "zod";
import { fieldLimitsTable, MODULES, ROUTES } from "../scripts/field-limits.ts";

/** The rows of a markdown table, cells trimmed (deno fmt pads them). */
const rows = (table: string) =>
  table.trim().split("\n").filter((l) => l.startsWith("|") && !/^\|\s*-/.test(l))
    .map((l) => l.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()).join(" | "));

Deno.test("docs: the field limits in docs/api.md are the schemas' own", async () => {
  const page = await Deno.readTextFile(new URL("../docs/api.md", import.meta.url));
  const block = /<!-- field-limits:start -->([\s\S]*?)<!-- field-limits:end -->/.exec(page);
  assert.ok(block, "docs/api.md has its field-limits markers");
  assert.deepEqual(
    rows(block[1]),
    rows(fieldLimitsTable()),
    "run `deno run -A scripts/field-limits.ts` and paste its table between the markers",
  );
});

Deno.test("docs: every exported request schema has its route in scripts/field-limits.ts", () => {
  const named = new Set(ROUTES.map(([, s]) => s));
  const missing = Object.entries(MODULES).flatMap(([fn, mod]) =>
    Object.entries(mod)
      .filter(([name, v]) =>
        v instanceof z.ZodType && !/Params$/.test(name) && !named.has(v as z.ZodTypeAny)
      )
      .map(([name]) => `${fn}.${name}`)
  );
  assert.deepEqual(missing, []);
});
