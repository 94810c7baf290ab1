// The committed database types must match what the CLI generates from the
// migrations (the test stack's database is built from them on every run).
import assert from "node:assert/strict";
import { env } from "../harness/stack.ts";

Deno.test("database.types.ts is up to date with the migrations (npm run gen:types)", async () => {
  const cli = new URL("../node_modules/.bin/supabase", import.meta.url).pathname;
  const out = await new Deno.Command(cli, {
    args: [
      "gen",
      "types",
      "typescript",
      `--remote=${env("SUPABASE_DB_URL")}`,
      "--schema",
      "public",
    ],
    env: { PGSSLMODE: "disable" }, // the local cluster has no TLS
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const generated = new TextDecoder().decode(out.stdout);
  const committed = await Deno.readTextFile(
    new URL("../supabase/functions/_shared/database.types.ts", import.meta.url),
  );
  assert.ok(
    generated === committed,
    "supabase/functions/_shared/database.types.ts is stale: run `npm run db:reset && npm run gen:types`",
  );
});
