// Another commit's schema beside this one's, in one run on one server: a database of its
// own in the bench cluster, built from that commit's migrations (a worktree) and kept.

import pg from "pg";
import { worktree } from "./worktree.ts";
import { env } from "../harness/stack.ts";
import { createMigratedDatabase, migrationFiles } from "../scripts/migrations-database.ts";

const git = async (cwd: URL, ...args: string[]) => {
  const out = await new Deno.Command("git", { args, cwd: cwd.pathname, stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout).trim();
};

/** The connection string of database `bench_<sha12>`, built once from `ref` and kept. */
export async function baselineDatabase(admin: pg.Pool, ref: string): Promise<string> {
  const dir = await worktree(ref);
  const sha = await git(dir, "rev-parse", "HEAD");
  const name = `bench_${sha.slice(0, 12)}`;
  const url = new URL(env("SUPABASE_DB_URL"));
  url.pathname = `/${name}`;
  const built = await admin.query(
    `select 1 from pg_database where datname = $1 and datallowconn`,
    [name],
  );
  if (built.rowCount) return url.toString();
  await admin.query(`drop database if exists ${name}_building`);
  const files = migrationFiles(dir);
  const db = await createMigratedDatabase(env("SUPABASE_DB_URL"), `${name}_building`, dir, files);
  await db.end();
  await admin.query(`alter database ${name}_building rename to ${name}`);
  console.error(`baseline: ${name} built from ${ref} (${files.length} migrations)`);
  return url.toString();
}
