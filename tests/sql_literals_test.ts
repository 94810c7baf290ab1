// Parameters inlined as literals (one-round-trip queries, _shared/sql_literals.ts):
// hostile values come back from Postgres exactly as sent, typed as parameters are,
// and placeholders inside quotes, comments and dollar quotes are left alone.
import assert from "node:assert/strict";
import pg from "pg";
import { inlineParameters, parameterText } from "../supabase/functions/_shared/sql_literals.ts";
import { env } from "./support.ts";

const HOSTILE = [
  "",
  "plain",
  "it's",
  "''",
  "back\\slash",
  "\\'; drop table public.trips; --",
  "E'\\x41'",
  "$1",
  "$$ dollar $$",
  "$tag$",
  'double "quotes"',
  "new\nline\ttab",
  "🧳✈️ ünïcödé",
  "{braces},commas",
  "NULL",
  "-- comment",
  "/* block */",
];

async function simple<T>(sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: env("SUPABASE_DB_URL") });
  await c.connect();
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.end();
  }
}

Deno.test("sql literals: hostile strings, arrays and JSON come back as sent", async () => {
  for (const v of HOSTILE) {
    const [row] = await simple<{ t: string }>(inlineParameters("select $1::text as t", [v]));
    assert.equal(row.t, v, JSON.stringify(v));
  }
  const [arr] = await simple<{ a: (string | null)[] }>(
    inlineParameters("select $1::text[] as a", [[...HOSTILE, null]]),
  );
  assert.deepEqual(arr.a, [...HOSTILE, null]);
  const doc = { k: HOSTILE, n: 1.5, nested: { "q'": "\\" } };
  const [json] = await simple<{ j: unknown }>(inlineParameters("select $1::jsonb as j", [doc]));
  assert.deepEqual(json.j, doc);
  const [many] = await simple<{ a: number; b: boolean; c: null; d: string }>(
    inlineParameters("select $1::int as a, $2::bool as b, $3::text as c, $4 as d", [
      42,
      false,
      null,
      "untyped",
    ]),
  );
  assert.deepEqual(many, { a: 42, b: false, c: null, d: "untyped" });
});

Deno.test("sql literals: placeholders in quotes, comments and dollar quotes stay", () => {
  const sql = `select '$1', "$1", $1, $$ $1 $$, $f$ $2 $f$ -- $1
    /* $2 */ from t where a$1 = $2`;
  assert.equal(
    inlineParameters(sql, ["x", "y"]),
    `select '$1', "$1", 'x', $$ $1 $$, $f$ $2 $f$ -- $1
    /* $2 */ from t where a$1 = 'y'`,
  );
  assert.throws(() => inlineParameters("select $3", ["a"]), /no parameter \$3/);
  assert.equal(parameterText([1, [2, null]]), '{"1",{"2",NULL}}');
  assert.equal(parameterText(new Uint8Array([0, 255])), "\\x00ff");
});
