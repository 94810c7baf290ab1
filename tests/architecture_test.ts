// ARCHITECTURE.md against what it describes: its lists of security definer functions,
// scheduled jobs and tables (the ER diagram) against the database, and every path and
// link on the page against the repository. A function, job, table, function folder, schema
// file or top-level directory added, or a file moved, without the page fails here.
import assert from "node:assert/strict";
import pg from "pg";
import { env } from "../harness/stack.ts";

const ROOT = new URL("../", import.meta.url);
const page = await Deno.readTextFile(new URL("ARCHITECTURE.md", ROOT));

/** The text of the page from the line starting with `start` to the next line starting with `end`. */
function section(start: string, end: string): string {
  const from = page.indexOf(`\n${start}`);
  assert.ok(from >= 0, `ARCHITECTURE.md has no "${start}"`);
  const to = page.indexOf(`\n${end}`, from + 1);
  return page.slice(from, to < 0 ? undefined : to);
}

/** Code spans, fenced blocks left out (their backticks would pair with the spans'). */
const backticked = (text: string) =>
  new Set([...text.replace(/```[\s\S]*?```/g, "").matchAll(/`([^`]+)`/g)].map((m) => m[1]));

async function rows<R>(sql: string): Promise<R[]> {
  const db = new pg.Client({ connectionString: env("SUPABASE_DB_URL") });
  await db.connect();
  try {
    return (await db.query(sql)).rows as R[];
  } finally {
    await db.end();
  }
}

Deno.test("architecture: every security definer function is on the page, and only those", async () => {
  const definers = await rows<{ schema: string; name: string; definer: boolean }>(
    `select n.nspname as schema, p.proname as name, p.prosecdef as definer
       from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
      where n.nspname in ('public', 'private')
        and not exists (select 1 from pg_catalog.pg_depend d
                         where d.objid = p.oid and d.deptype = 'e')`,
  );
  const paths = section("## Every path by which authorization happens", "## ");
  const named = backticked(paths);
  const missing = definers.filter((f) =>
    f.definer && !named.has(f.name) &&
    !named.has(`${f.schema}.${f.name}`)
  ).map((f) => `${f.schema}.${f.name}`);
  assert.deepEqual(missing, [], "security definer functions the page does not name");

  // The definer list itself names only private definers.
  const list = section("2. **Security definer helpers**", "3. **");
  const privateFunctions = new Map(
    definers.filter((f) => f.schema === "private").map((f) => [f.name, f.definer]),
  );
  const notDefiners = [...backticked(list)].filter((n) => privateFunctions.get(n) === false);
  assert.deepEqual(notDefiners, [], "listed as security definer helpers but security invoker");
});

Deno.test("architecture: the scheduled jobs on the page are the database's", async () => {
  const jobs = await rows<{ command: string }>(`select command from cron.job`);
  const called = new Set(
    jobs.map((j) => /select\s+(?:public|private)\.(\w+)\(/i.exec(j.command)?.[1] ?? j.command),
  );
  const functions = new Set(
    (await rows<{ name: string }>(
      `select p.proname as name from pg_catalog.pg_proc p
         join pg_catalog.pg_namespace n on n.oid = p.pronamespace
        where n.nspname in ('public', 'private')`,
    )).map((f) => f.name),
  );
  const listed = new Set(
    [...backticked(section("6. **Scheduled jobs**", "Everything in `public`"))]
      .map((n) => n.replace(/^(public|private)\./, "").replace(/\(\)$/, ""))
      .filter((n) => functions.has(n)),
  );
  assert.deepEqual([...called].sort(), [...listed].sort());
});

Deno.test("architecture: the ER diagram has every public table and only real ones", async () => {
  const tables = await rows<{ schema: string; name: string }>(
    `select n.nspname as schema, c.relname as name
       from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname in ('public', 'private') and c.relkind in ('r', 'p') and not c.relispartition`,
  );
  const diagram = /```mermaid\nerDiagram\n([\s\S]*?)```/.exec(page)?.[1];
  assert.ok(diagram, "ARCHITECTURE.md has no erDiagram");
  const entities = new Set<string>();
  for (const m of diagram.matchAll(/^\s*(\w+)\s+[|}o][|o]--[|o][|{o]\s+(\w+)/gm)) {
    entities.add(m[1]).add(m[2]);
  }
  for (const m of diagram.matchAll(/^\s*(\w+)\s*\{/gm)) entities.add(m[1]);
  entities.delete("auth_users");
  const publicTables = tables.filter((t) => t.schema === "public").map((t) => t.name);
  assert.deepEqual(publicTables.filter((t) => !entities.has(t)), [], "public tables not drawn");
  const all = new Set(tables.map((t) => t.name));
  assert.deepEqual([...entities].filter((e) => !all.has(e)), [], "drawn but not tables");
});

Deno.test("architecture: every path and link on the page exists", async () => {
  const exists = (path: string) => Deno.stat(new URL(path, ROOT)).then(() => true, () => false);
  const missing: string[] = [];
  for (const [, target] of page.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
    if (!/^[a-z]+:/.test(target) && !(await exists(target))) missing.push(target);
  }
  // Paths in code spans; a name with a placeholder (`<name>`) is a pattern, not a path.
  for (const span of backticked(page)) {
    if (/[\s<>*]/.test(span) || span.startsWith("/")) continue;
    if (!/\.(ts|sql|md|sh|json|toml|mjs|sha256)$/.test(span) && !/^[\w.-]+\/[\w./-]*$/.test(span)) {
      continue;
    }
    const bases = [
      "",
      "supabase/functions/",
      "supabase/",
      "supabase/migrations/",
      "supabase/schemas/",
      "scripts/",
    ];
    const found = await Promise.all(bases.map((b) => exists(b + span)));
    if (!found.some(Boolean)) missing.push(span);
  }
  assert.deepEqual(
    missing,
    [],
    "paths and links on ARCHITECTURE.md that are not in the repository",
  );
});

Deno.test("architecture: every function folder and top-level directory is on the page", async () => {
  const named = backticked(page);
  const mentions = (name: string) => [...named].some((n) => n.split(/[/ ]/).includes(name));
  const unnamed: string[] = [];
  for await (const e of Deno.readDir(new URL("supabase/functions/", ROOT))) {
    if (e.isDirectory && !mentions(e.name)) unnamed.push(`supabase/functions/${e.name}`);
  }
  for await (const e of Deno.readDir(ROOT)) {
    if (
      e.isDirectory && !e.name.startsWith(".") && e.name !== "node_modules" && !mentions(e.name)
    ) {
      unnamed.push(e.name);
    }
  }
  assert.deepEqual(unnamed.sort(), []);
});

Deno.test("architecture: every schema file is on the page", async () => {
  const named = backticked(section("## Data model", "## "));
  const unnamed: string[] = [];
  for await (const e of Deno.readDir(new URL("supabase/schemas/", ROOT))) {
    if (e.isFile && !named.has(e.name)) unnamed.push(`supabase/schemas/${e.name}`);
  }
  assert.deepEqual(unnamed.sort(), [], "schema files the Data model section does not list");
});
