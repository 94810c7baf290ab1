// A database built at release 0.1.0 (the migrations supabase/released-migrations.sha256
// lists under it) upgrades to this checkout's schema losing nothing: every memory row as it was,
// one vector per memory (the documented conversion of its 0.1.0 embedding), the large
// user's vectors in a graph of their own, and search answering exactly as a scan of
// those vectors does; and its schema ends as a fresh build's. Built in a database of its
// own in the test cluster, and upgraded, with the Supabase CLI's `supabase migration up`
// (which applies what its history table lacks); pg_cron lives in one database per
// cluster, so this one gets a stand-in `cron` schema.
import assert from "node:assert/strict";
import pg from "pg";
import { env } from "../harness/stack.ts";
import {
  createPlatformDatabase,
  migrateWithCli,
  migrationFiles,
  releases,
  schemaOf,
} from "../scripts/migrations-database.ts";

const ROOT = new URL("../", import.meta.url);

/** The caller's top 10 through match_memories, as `user` under RLS. */
async function searchAs(db: pg.Client, user: string, query: string): Promise<string[]> {
  await db.query("begin");
  try {
    await db.query(`select set_config('request.jwt.claims', $1, true)`, [
      JSON.stringify({ sub: user, role: "authenticated" }),
    ]);
    await db.query("set local role authenticated");
    const { rows } = await db.query(
      `select id from public.match_memories($1::extensions.vector, 10, null, null, null,
                                           'text-embedding-3-small')`,
      [query],
    );
    return rows.map((r: { id: string }) => r.id);
  } finally {
    await db.query("rollback");
  }
}

/** A database of the cluster, by name. */
function urlOf(name: string): string {
  const url = new URL(env("SUPABASE_DB_URL"));
  url.pathname = `/${name}`;
  return url.toString();
}

/** The graphs its data gave a database (partitions 1 and up): a fresh one has none. */
const DATA_GRAPHS = ["private.memory_vectors_[1-9]*"];

Deno.test("upgrade: a database of 0.1.0 upgrades to this schema with nothing lost", async () => {
  const released = releases(ROOT).find((r) => r.version === "0.1.0")!.files.map((f) => f.name);
  const later = migrationFiles(ROOT).filter((f) => !released.includes(f));
  assert.ok(released.length > 0 && later.length > 0);

  const name = `upgrade_${crypto.randomUUID().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: env("SUPABASE_DB_URL") });
  await admin.connect();
  const db = await createPlatformDatabase(env("SUPABASE_DB_URL"), name, ROOT);
  await migrateWithCli(urlOf(name), ROOT, released);
  try {
    // 0.1.0's data: a user above the exact limit (a graph after the upgrade), a small one.
    const [large, small] = [crypto.randomUUID(), crypto.randomUUID()];
    await db.query(
      `insert into auth.users (id, email) values ($1, 'large@upgrade.test'), ($2, 'small@upgrade.test')`,
      [large, small],
    );
    await db.query(
      `insert into public.memory_embeddings (user_id, content_text, content_type, metadata, embedding)
       select u.id, 'memory ' || g || ' of ' || u.n, 'fact', jsonb_build_object('g', g),
              (select array_agg(sin(g * 0.37 * d + u.n)) from generate_series(1, 1536) d)::extensions.vector
         from (values ($1::uuid, 2100, 1), ($2::uuid, 40, 2)) as u(id, rows, n),
              generate_series(1, u.rows) g`,
      [large, small],
    );
    const rowsOf = (sql: string) => db.query(sql).then((r: pg.QueryResult) => r.rows);
    const before = await rowsOf(
      `select id, user_id, content_text, content_hash, content_type::text, metadata, model, created_at
         from public.memory_embeddings order by id`,
    );
    // The documented conversion (20261201001200_memories.sql): the first 512 numbers,
    // re-normalised, in half precision.
    const expected = await rowsOf(
      `select id, extensions.l2_normalize(extensions.subvector(embedding, 1, 512))::extensions.halfvec(512)::text as v
         from public.memory_embeddings order by id`,
    );

    // The upgrade, as a deployment runs it: the CLI applies what its history lacks.
    await migrateWithCli(urlOf(name), ROOT, migrationFiles(ROOT));

    assert.deepEqual(
      await rowsOf(
        `select id, user_id, content_text, content_hash, content_type::text, metadata, model, created_at
           from public.memory_embeddings order by id`,
      ),
      before,
      "every memory as it was",
    );
    assert.deepEqual(
      await rowsOf(`select id, embedding::text as v from public.memory_vectors order by id`),
      expected,
      "one vector per memory: its 0.1.0 embedding, converted",
    );
    const graphs = await rowsOf(
      `select user_id, min(graph) as lo, max(graph) as hi, count(*)::int as n
         from public.memory_vectors group by user_id order by n desc`,
    );
    assert.equal(graphs[0].user_id, large);
    assert.ok(graphs[0].lo >= 1 && graphs[0].lo === graphs[0].hi, "the large user has a graph");
    assert.deepEqual([graphs[1].lo, graphs[1].hi], [0, 0], "the small one is searched exactly");
    assert.deepEqual(
      await rowsOf(`select user_id, n::int from private.memory_counts order by n desc`),
      [{ user_id: large, n: 2100 }, { user_id: small, n: 40 }],
    );

    // Search: exactly what a scan of the stored vectors ranks first, through the walk for
    // the large user and the exact scan for the small one.
    for (const [user, n] of [[large, 1], [small, 2]] as const) {
      for (const g of [3, 17, 29]) {
        const { rows: [{ q }] } = await db.query(
          `select (select array_agg(sin($1::int * 0.37 * d + $2::int)) from generate_series(1, 512) d)::extensions.vector::text as q`,
          [g, n],
        );
        const { rows: truth } = await db.query(
          `select v.id from public.memory_vectors v where v.user_id = $1
            order by (v.embedding operator(extensions.<=>) $2::extensions.vector::extensions.halfvec) + 0, v.id
            limit 10`,
          [user, q],
        );
        assert.deepEqual(
          await searchAs(db, user, q),
          truth.map((r: { id: string }) => r.id),
          `user ${n}, query ${g}`,
        );
      }
    }

    // The schema it ends with is a fresh build's, object for object (grants, policies,
    // comments and scheduled jobs included), but for the graphs its data was given.
    const fresh = await createPlatformDatabase(env("SUPABASE_DB_URL"), `${name}_fresh`, ROOT);
    await fresh.end();
    await migrateWithCli(urlOf(`${name}_fresh`), ROOT, migrationFiles(ROOT));
    const [upgraded, built] = await Promise.all([
      schemaOf(urlOf(name), DATA_GRAPHS),
      schemaOf(urlOf(`${name}_fresh`), DATA_GRAPHS),
    ]);
    const only = (a: string[], b: string[]) => a.filter((l) => !b.includes(l));
    assert.deepEqual(
      { upgraded_only: only(upgraded, built), fresh_only: only(built, upgraded) },
      { upgraded_only: [], fresh_only: [] },
      "the upgraded schema is a fresh one's",
    );
    assert.deepEqual(upgraded, built, "in the same order");
  } finally {
    await db.end();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`drop database if exists ${name}_fresh with (force)`);
    await admin.end();
  }
});
