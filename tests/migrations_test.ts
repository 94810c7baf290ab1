// The migrations stay readable and released ones stay as released: every SQL
// function is defined in exactly one migration, no migration patches a function
// another file defines, and a migration listed in supabase/released-migrations.sha256
// (everything up to the last release) is byte for byte what was released.
import assert from "node:assert/strict";
import { withAdminDb } from "./support.ts";

const dir = new URL("../supabase/migrations/", import.meta.url);

/** The migrations listed in supabase/released-migrations.sha256. */
async function releasedNames(): Promise<Set<string>> {
  const manifest = await Deno.readTextFile(
    new URL("../supabase/released-migrations.sha256", import.meta.url),
  );
  return new Set(
    manifest.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"))
      .map((l) => l.trim().split(/\s+/)[1]),
  );
}

async function migrations(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.endsWith(".sql")) {
      files.set(e.name, await Deno.readTextFile(new URL(e.name, dir)));
    }
  }
  return files;
}

/** `schema.name` of every `create [or replace] function` in a migration's text. */
function definedFunctions(sql: string): string[] {
  const found = sql.matchAll(
    /^\s*create\s+(?:or\s+replace\s+)?function\s+([a-z_]+\.[a-z_0-9]+)\s*\(/gim,
  );
  return [...found].map((m) => m[1].toLowerCase());
}

/**
 * Functions whose security attributes a migration changed on purpose, and that migration:
 * definer -> invoker when the privileged body moved to a private definer (Supabase's
 * Security Advisor, lints 0028/0029).
 */
const DELIBERATE_CHANGES: Record<string, string> = {
  "public.get_trip": "20261201000900_bounded_trip.sql",
};

Deno.test("migrations: every SQL function is defined in exactly one file, never patched by another", async () => {
  const all = await migrations();
  // The released baseline defines each function once. Later migrations restate a
  // function whole when they change it (README, "Migrations"), so they may repeat one.
  const released = await releasedNames();
  const files = new Map([...all].filter(([name]) => released.has(name)));
  const definedIn = new Map<string, string[]>();
  for (const [name, sql] of files) {
    for (const fn of definedFunctions(sql)) {
      definedIn.set(fn, [...(definedIn.get(fn) ?? []), name]);
    }
  }
  const repeated = [...definedIn].filter(([, where]) => where.length > 1);
  assert.deepEqual(repeated, [], "functions defined in more than one migration");
  for (const [name, sql] of all) {
    for (const fn of definedFunctions(sql)) {
      if (!released.has(name)) definedIn.set(fn, [...(definedIn.get(fn) ?? []), name]);
    }
  }
  // A restatement keeps the security attributes of the definition it replaces.
  const header = (sql: string, fn: string) => {
    const at = sql.toLowerCase().search(
      new RegExp(`function\\s+${fn.replace(".", "\\.")}\\s*\\(`),
    );
    return sql.slice(at, sql.indexOf("$$", at)).toLowerCase();
  };
  for (const [fn, where] of definedIn) {
    const attrs = where.map((file) => {
      const h = header(all.get(file)!, fn);
      return `${/security\s+definer/.test(h) ? "definer" : "invoker"}, ${
        /set\s+search_path\s*=\s*''/.test(h) ? "search_path ''" : "search_path unset"
      }`;
    });
    // A deliberate change, named here with the migration that makes it: the attributes
    // hold before it and from it on.
    const at = where.indexOf(DELIBERATE_CHANGES[fn] ?? "");
    for (const part of at > 0 ? [attrs.slice(0, at), attrs.slice(at)] : [attrs]) {
      assert.ok(
        part.every((a) => a === part[0]),
        `${fn} changes its security attributes across ${where.join(", ")}: ${attrs.join(" / ")}`,
      );
    }
  }
  for (const [name, sql] of all) {
    for (const m of sql.matchAll(/^\s*alter\s+function\s+([a-z_]+\.[a-z_0-9]+)/gim)) {
      const fn = m[1].toLowerCase();
      assert.ok(definedIn.get(fn)?.includes(name), `${name} alters ${fn}, defined elsewhere`);
    }
  }
  // And every function of our schemas in the built database comes from one of them.
  const inDb: { fn: string }[] = await withAdminDb((db) =>
    db.query`
      select n.nspname || '.' || p.proname as fn
        from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
       where n.nspname in ('public', 'private')
         and not exists (select 1 from pg_catalog.pg_depend d
                          where d.objid = p.oid and d.deptype = 'e')`
  );
  const missing = inDb.map((r) => r.fn).filter((fn) => !definedIn.has(fn));
  assert.deepEqual(missing, [], "functions in the database that no migration defines");
});

Deno.test("migrations: released migrations are unchanged (supabase/released-migrations.sha256)", async () => {
  const files = await migrations();
  const manifest = await Deno.readTextFile(
    new URL("../supabase/released-migrations.sha256", import.meta.url),
  );
  const lines = manifest.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"));
  assert.ok(lines.length > 0, "the manifest lists the released migrations");
  for (const line of lines) {
    const [hash, name] = line.trim().split(/\s+/);
    const sql = files.get(name);
    assert.ok(sql !== undefined, `released migration ${name} was removed or renamed`);
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(sql));
    const actual = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0"))
      .join("");
    assert.equal(
      actual,
      hash,
      `released migration ${name} was edited: add a new migration instead`,
    );
  }
  // Files sort by version: a new migration must come after every released one.
  const last = lines.map((l) => l.trim().split(/\s+/)[1]).sort().at(-1)!;
  for (const name of files.keys()) {
    if (!lines.some((l) => l.endsWith(` ${name}`))) {
      assert.ok(name > last, `${name} is not released yet sorts before the released ${last}`);
    }
  }
});
