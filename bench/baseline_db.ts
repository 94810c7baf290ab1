// A second database in the bench cluster built from another commit's migrations, so
// that a benchmark runs old and new schema side by side in one run, on one server.
//
// pg_cron lives in one database per cluster (the stack's own), so the baseline gets a
// stand-in `cron` schema whose schedule() records a job and runs nothing: a benchmark
// calls the maintenance it needs by hand.

import pg from "pg";
import { need } from "./lib.ts";
import { worktree } from "./lib.ts";

const CRON_STAND_IN = `
create schema cron;
create table cron.job (jobid bigserial primary key, jobname text unique, schedule text, command text);
create function cron.schedule(p_name text, p_schedule text, p_command text) returns bigint
language sql as $$
  insert into cron.job (jobname, schedule, command) values (p_name, p_schedule, p_command)
  on conflict (jobname) do update set schedule = excluded.schedule, command = excluded.command
  returning jobid
$$;
create function cron.unschedule(p_job bigint) returns boolean
language sql as $$ delete from cron.job where jobid = p_job returning true $$;
`;

const git = async (cwd: URL, ...args: string[]) => {
  const out = await new Deno.Command("git", { args, cwd: cwd.pathname, stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout).trim();
};

/**
 * The connection string of database `bench_<sha12>`, built once from `ref`'s platform
 * bootstrap and migrations (each in a transaction, as `supabase migration up` applies
 * them) and kept between runs.
 */
export async function baselineDatabase(admin: pg.Pool, ref: string): Promise<string> {
  const dir = await worktree(ref);
  const sha = await git(dir, "rev-parse", "HEAD");
  const name = `bench_${sha.slice(0, 12)}`;
  const url = new URL(need("SUPABASE_DB_URL"));
  url.pathname = `/${name}`;
  const built = await admin.query(
    `select 1 from pg_database where datname = $1 and datallowconn`,
    [name],
  );
  if (built.rowCount) return url.toString();
  await admin.query(`drop database if exists ${name}_building`);
  await admin.query(`create database ${name}_building`);
  // What the platform bootstrap sets on the stack's own database.
  await admin.query(
    `alter database ${name}_building set search_path to "$user", public, extensions`,
  );
  const building = new URL(url);
  building.pathname = `/${name}_building`;
  const client = new pg.Client({ connectionString: building.toString() });
  await client.connect();
  try {
    const read = (path: string) => Deno.readTextFile(new URL(path, dir));
    await client.query(await read("scripts/platform/bootstrap.sql"));
    await client.query(CRON_STAND_IN);
    const files = [...Deno.readDirSync(new URL("supabase/migrations/", dir))]
      .map((e) => e.name).filter((n) => n.endsWith(".sql")).sort();
    for (const f of files) {
      const sql = (await read(`supabase/migrations/${f}`))
        .replace(/create extension if not exists pg_cron[^;]*;/i, "");
      await client.query("begin");
      await client.query(sql);
      await client.query("commit");
    }
    console.error(`baseline: ${name} built from ${ref} (${files.length} migrations)`);
  } finally {
    await client.end();
  }
  await admin.query(`alter database ${name}_building rename to ${name}`);
  return url.toString();
}
