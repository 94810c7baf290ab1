// A database of its own in a stack's cluster, built from a tree's platform bootstrap and
// either a list of its migrations or its declarative schema (supabase/schemas), each file
// applied in a transaction of its own as `supabase migration up` does. For the upgrade
// test (release 0.1.0, then the rest), the schema-equivalence test (migrations vs schema
// files) and the bench's baseline (another commit's schema beside this one); and a
// database's schema as text, to compare two builds.
//
// pg_cron lives in one database per cluster (the stack's own), so this one gets a
// stand-in `cron` schema whose schedule() records a job and runs nothing.

import pg from "pg";

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

const MIGRATIONS = "supabase/migrations/";
const SCHEMAS = "supabase/schemas/";

function sqlFiles(root: URL, dir: string): string[] {
  return [...Deno.readDirSync(new URL(dir, root))]
    .map((e) => e.name).filter((n) => n.endsWith(".sql")).sort();
}

/** A release's migrations, as supabase/released-migrations.sha256 lists them. */
export interface Release {
  version: string;
  /** The files the release added, in the order they apply, with their sha256. */
  files: { name: string; sha256: string }[];
}

/**
 * The releases of `root` (a checkout), oldest first: each `# release <version>` line of
 * supabase/released-migrations.sha256 and the files listed under it.
 */
export function releases(root: URL): Release[] {
  const manifest = Deno.readTextFileSync(new URL("supabase/released-migrations.sha256", root));
  const out: Release[] = [];
  for (const line of manifest.split("\n").map((l) => l.trim()).filter((l) => l !== "")) {
    const heading = line.match(/^# release (\S+)$/);
    if (heading) out.push({ version: heading[1], files: [] });
    else if (!line.startsWith("#")) {
      const [sha256, name] = line.split(/\s+/);
      if (out.length === 0) {
        throw new Error(`released-migrations.sha256: ${name} before any release`);
      }
      out.at(-1)!.files.push({ name, sha256 });
    }
  }
  return out;
}

/** The migration files of `root` (a checkout), in the order they apply. */
export function migrationFiles(root: URL): string[] {
  return sqlFiles(root, MIGRATIONS);
}

/** Applies `files` of `root`'s migrations to `db`, each in a transaction of its own. */
export function applyMigrations(db: pg.Client, root: URL, files: string[]) {
  return applyFiles(db, root, MIGRATIONS, files);
}

/** Applies `root`'s declarative schema (supabase/schemas, in name order) to `db`. */
export function applySchemaFiles(db: pg.Client, root: URL) {
  return applyFiles(db, root, SCHEMAS, sqlFiles(root, SCHEMAS));
}

const withoutPgCron = (sql: string) =>
  sql.replace(/create extension if not exists pg_cron[^;]*;/i, "");

/**
 * Applies `files` of `root`'s migrations to database `url` with the Supabase CLI's own
 * `supabase migration up`, as a deployment does: the CLI records each file in
 * supabase_migrations.schema_migrations and applies those it has not recorded, each in a
 * transaction. pg_cron lives in the cluster's own database, so the files go through a
 * work dir of their own with the extension's line left out (the cron stand-in serves).
 */
export async function migrateWithCli(url: string, root: URL, files: string[]) {
  const work = await Deno.makeTempDir({ prefix: "migrate-" });
  try {
    await Deno.mkdir(`${work}/supabase/migrations`, { recursive: true });
    await Deno.copyFile(new URL("supabase/config.toml", root), `${work}/supabase/config.toml`);
    for (const f of files) {
      const sql = await Deno.readTextFile(new URL(`${MIGRATIONS}${f}`, root));
      await Deno.writeTextFile(`${work}/supabase/migrations/${f}`, withoutPgCron(sql));
    }
    const out = await new Deno.Command(new URL("node_modules/.bin/supabase", root).pathname, {
      args: ["migration", "up", `--remote=${url}`, "--include-all", "--yes", "--workdir", work],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`supabase migration up: ${new TextDecoder().decode(out.stderr)}`);
    }
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

async function applyFiles(db: pg.Client, root: URL, dir: string, files: string[]) {
  for (const f of files) {
    const sql = withoutPgCron(await Deno.readTextFile(new URL(`${dir}${f}`, root)));
    await db.query("begin");
    try {
      await db.query(sql);
      await db.query("commit");
    } catch (e) {
      await db.query("rollback");
      throw new Error(`${f}: ${(e as Error).message}`);
    }
  }
}

/**
 * Creates database `name` next to `clusterUrl`'s, with `root`'s platform bootstrap, the
 * cron stand-in and the migrations `files`; returns a client connected to it.
 */
export async function createMigratedDatabase(
  clusterUrl: string,
  name: string,
  root: URL,
  files: string[],
): Promise<pg.Client> {
  const db = await createPlatformDatabase(clusterUrl, name, root);
  try {
    await applyMigrations(db, root, files);
  } catch (e) {
    await db.end();
    throw e;
  }
  return db;
}

/**
 * Creates database `name` next to `clusterUrl`'s, with `root`'s platform bootstrap and
 * the cron stand-in, and nothing of ours yet; returns a client connected to it.
 */
export async function createPlatformDatabase(
  clusterUrl: string,
  name: string,
  root: URL,
): Promise<pg.Client> {
  const admin = new pg.Client({ connectionString: clusterUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
    // What the platform bootstrap sets on the stack's own database.
    await admin.query(`alter database ${name} set search_path to "$user", public, extensions`);
  } finally {
    await admin.end();
  }
  const url = new URL(clusterUrl);
  url.pathname = `/${name}`;
  const db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
  await db.query(await Deno.readTextFile(new URL("scripts/platform/bootstrap.sql", root)));
  await db.query(CRON_STAND_IN);
  return db;
}

/**
 * `lines` with each run of GRANT/REVOKE lines sorted: pg_dump prints an object's
 * privileges in the order they were granted, which says nothing about what they are.
 */
function sortPrivilegeRuns(lines: string[]): string[] {
  const out: string[] = [];
  let run: string[] = [];
  for (const l of [...lines, ""]) {
    if (/^(GRANT|REVOKE) /.test(l)) {
      run.push(l);
      continue;
    }
    out.push(...run.sort());
    run = [];
    if (l !== "") out.push(l);
  }
  return out;
}

/**
 * The schema of database `url` as `pg_dump --schema-only` prints it, less what differs
 * between two builds of one schema (comments, settings, pg_dump's per-run restrict key),
 * plus its scheduled jobs; `exclude` names tables to leave out (pg_dump -T patterns).
 */
export async function schemaOf(url: string, exclude: string[] = []): Promise<string[]> {
  const out = await new Deno.Command("pg_dump", {
    args: ["--schema-only", ...exclude.flatMap((t) => ["-T", t]), url],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`pg_dump: ${new TextDecoder().decode(out.stderr)}`);
  const lines = sortPrivilegeRuns(
    new TextDecoder().decode(out.stdout).split("\n")
      .filter((l) => l.trim() !== "" && !l.startsWith("--") && !/^\\(un)?restrict /.test(l))
      .filter((l) => !/^SET |^SELECT pg_catalog\.set_config\('search_path'/.test(l)),
  );
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const { rows } = await db.query(
      `select jobname, schedule, command from cron.job order by jobname`,
    );
    return [
      ...lines,
      ...rows.map((r: { jobname: string; schedule: string; command: string }) =>
        `cron job ${r.jobname} ${r.schedule} ${r.command}`
      ),
    ];
  } finally {
    await db.end();
  }
}
