// The migrations stay readable and released ones stay as released: every SQL
// function is defined in exactly one migration, no migration patches a function
// another file defines, and a migration listed in supabase/released-migrations.sha256
// (everything up to the last release) is byte for byte what was released.
import assert from "node:assert/strict";
import { releases } from "../scripts/migrations-database.ts";
import { withAdminDb } from "./support.ts";

const ROOT = new URL("../", import.meta.url);
const dir = new URL("supabase/migrations/", ROOT);

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
  // A release defines each function once: its migrations were folded before it, so a
  // reader finds what runs in one place. A later release restates a function whole when
  // it changes it (README, "Migrations"); unreleased migrations may repeat one until the
  // release folds them.
  const definedIn = new Map<string, string[]>();
  for (const release of releases(ROOT)) {
    const inRelease = new Map<string, string[]>();
    for (const { name } of release.files) {
      for (const fn of definedFunctions(all.get(name) ?? "")) {
        inRelease.set(fn, [...(inRelease.get(fn) ?? []), name]);
        definedIn.set(fn, [...(definedIn.get(fn) ?? []), name]);
      }
    }
    const repeated = [...inRelease].filter(([, where]) => where.length > 1);
    assert.deepEqual(repeated, [], `functions defined twice in release ${release.version}`);
  }
  const released = new Set(releases(ROOT).flatMap((r) => r.files.map((f) => f.name)));
  for (const [name, sql] of [...all].sort(([a], [b]) => a.localeCompare(b))) {
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
  const released = releases(ROOT).flatMap((r) => r.files);
  assert.ok(released.length > 0, "the manifest lists the released migrations");
  for (const { sha256: hash, name } of released) {
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
  const last = released.map((f) => f.name).sort().at(-1)!;
  for (const name of files.keys()) {
    if (!released.some((f) => f.name === name)) {
      assert.ok(name > last, `${name} is not released yet sorts before the released ${last}`);
    }
  }
});
