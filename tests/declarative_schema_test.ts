// supabase/schemas (the current definition of every object) and supabase/migrations (the
// upgrade path) describe one schema: a database built from each, in the test cluster,
// dumps identically (pg_dump --schema-only, normalised: tables, columns, constraints,
// indexes, functions, triggers, policies, comments, grants and ACLs; plus cron jobs).
// A migration without its schema-file change, or the reverse, fails here.
import assert from "node:assert/strict";
import pg from "pg";
import { env } from "../harness/stack.ts";
import {
  applySchemaFiles,
  createMigratedDatabase,
  createPlatformDatabase,
  migrationFiles,
  schemaOf,
} from "../scripts/migrations-database.ts";

const ROOT = new URL("../", import.meta.url);

function urlOf(name: string): string {
  const url = new URL(env("SUPABASE_DB_URL"));
  url.pathname = `/${name}`;
  return url.toString();
}

Deno.test("declarative schema: the schema files build the database the migrations build", async () => {
  const name = `declared_${crypto.randomUUID().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: env("SUPABASE_DB_URL") });
  await admin.connect();
  try {
    const migrated = await createMigratedDatabase(
      env("SUPABASE_DB_URL"),
      `${name}_migrated`,
      ROOT,
      migrationFiles(ROOT),
    );
    await migrated.end();
    const declared = await createPlatformDatabase(env("SUPABASE_DB_URL"), `${name}_schemas`, ROOT);
    try {
      await applySchemaFiles(declared, ROOT);
    } finally {
      await declared.end();
    }
    const [fromMigrations, fromSchemas] = await Promise.all([
      schemaOf(urlOf(`${name}_migrated`)),
      schemaOf(urlOf(`${name}_schemas`)),
    ]);
    const only = (a: string[], b: string[]) => a.filter((l) => !b.includes(l));
    assert.deepEqual(
      {
        migrations_only: only(fromMigrations, fromSchemas),
        schemas_only: only(fromSchemas, fromMigrations),
      },
      { migrations_only: [], schemas_only: [] },
      "change supabase/schemas and write the migration that gets there (ARCHITECTURE.md, " +
        '"Adding a migration")',
    );
    assert.deepEqual(fromMigrations, fromSchemas, "in the same order");
  } finally {
    await admin.query(`drop database if exists ${name}_migrated with (force)`);
    await admin.query(`drop database if exists ${name}_schemas with (force)`);
    await admin.end();
  }
});
