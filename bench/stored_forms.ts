// What the stored form of an embedding costs an exact per-user search, old and new
// side by side in one run: the same users' rows (memory_embeddings' columns, the vector
// kept in the row, an index on user_id) in one table per form, queried with the shape
// match_memories uses for its exact path, with 1 and 4 clients. The 1,536-d float32
// form is what memories stored before release 0.2.0; halfvec(512) is what
// they store now. The 512-d forms hold the first 512 numbers re-normalised (what
// text-embedding-3 returns for `dimensions: 512`).

import pg from "pg";
import { closedLoop, summarize, table } from "../harness/measure.ts";
import { adminPool, env } from "../harness/stack.ts";
import { copyRows, literal, mixture } from "./vector.ts";

interface Form {
  name: string;
  /** The column type. */
  type: string;
  /** The stored form of the 1,536-d float32 expression `v`. */
  from: (v: string) => string;
}

const short = (v: string) => `extensions.l2_normalize(extensions.subvector(${v}, 1, 512))`;
const FORMS: Form[] = [
  { name: "vector(1536)", type: "extensions.vector(1536)", from: (v) => v },
  {
    name: "halfvec(1536)",
    type: "extensions.halfvec(1536)",
    from: (v) => `${v}::extensions.halfvec(1536)`,
  },
  { name: "vector(512)", type: "extensions.vector(512)", from: short },
  {
    name: "halfvec(512)",
    type: "extensions.halfvec(512)",
    from: (v) => `${short(v)}::extensions.halfvec(512)`,
  },
];

export interface FormsOptions {
  rowsPerUser: number;
  users: number;
  seconds: number;
  clients: number[];
}

const tableOf = (i: number) => `bench.form_${i}`;
const userOf = (u: number) => `00000000-f0e1-4000-8000-${String(u).padStart(12, "0")}`;

async function load(db: pg.Pool, opts: FormsOptions) {
  const wanted = `rows=${opts.rowsPerUser};users=${opts.users};seed=3;forms=${FORMS.length}`;
  const have = (await db.query(`select v from bench.meta where k = 'forms'`)).rows[0]?.v;
  if (have === wanted) return;
  const total = opts.rowsPerUser * opts.users;
  await db.query(`drop table if exists bench.form_source`);
  await db.query(
    `create unlogged table bench.form_source (user_id uuid, content_text text, v extensions.vector(1536))`,
  );
  const next = mixture(3, 0, "isotropic", 100, 1536);
  const client = await db.connect();
  try {
    await copyRows(
      client,
      "copy bench.form_source (user_id, content_text, v) from stdin",
      total,
      (i) => `${userOf(i % opts.users)}\tbench memory ${i}\t${literal(next())}\n`,
      `forms: COPY ${total} rows`,
    );
  } finally {
    client.release();
  }
  for (const [i, f] of FORMS.entries()) {
    await db.query(`drop table if exists ${tableOf(i)}`);
    // A user's rows together (the best case for any form; the same for every form).
    await db.query(`create table ${tableOf(i)} (
      id uuid not null default gen_random_uuid() primary key, user_id uuid not null,
      content_text text not null, metadata jsonb not null default '{}', created_at timestamptz
      not null default now(), embedding ${f.type} not null)`);
    await db.query(`alter table ${tableOf(i)} alter column embedding set storage main`);
    await db.query(
      `insert into ${tableOf(i)} (user_id, content_text, embedding)
       select user_id, content_text, ${f.from("v")} from bench.form_source order by user_id`,
    );
    await db.query(`create index on ${tableOf(i)} (user_id)`);
    await db.query(`vacuum analyze ${tableOf(i)}`);
  }
  await db.query(`drop table bench.form_source`);
  await db.query(
    `insert into bench.meta values ('forms', $1) on conflict (k) do update set v = $1`,
    [wanted],
  );
}

export async function storedFormsBench(opts: FormsOptions) {
  const db = adminPool(2);
  await load(db, opts);
  const queries = Array.from({ length: 40 }, mixture(3, 1, "isotropic", 100, 1536)).map(literal);
  const rows = [];
  const tops: string[][][] = [];
  for (const [i, f] of FORMS.entries()) {
    // The exact path of match_memories: every row of the user, the query converted once.
    const sql = `with q as materialized (select ${f.from("$1::extensions.vector(1536)")} as q)
      select r.content_text from (select e.id, e.content_text, e.metadata, e.created_at,
                               1 - (e.embedding operator(extensions.<=>) q.q) as similarity
                          from ${tableOf(i)} e, q
                         where e.user_id = $2
                         order by (e.embedding operator(extensions.<=>) q.q) + 0, e.id
                         limit 10) r
       order by r.similarity desc, r.id`;
    tops[i] = [];
    for (const [k, q] of queries.entries()) {
      tops[i][k] = (await db.query(sql, [q, userOf(k % opts.users)])).rows.map((
        r: { id: string },
      ) => r.id);
    }
    for (const clients of opts.clients) {
      const pool = new pg.Pool({ connectionString: env("SUPABASE_DB_URL"), max: clients });
      const ms: number[] = [];
      const r = await closedLoop(clients, opts.seconds, async (w, n) => {
        const k = (w * 31 + n) % queries.length;
        const t = performance.now();
        await pool.query(sql, [queries[k], userOf(k % opts.users)]);
        ms.push(performance.now() - t);
      });
      await pool.end();
      rows.push({
        stored_as: f.name,
        rows_per_user: opts.rowsPerUser,
        clients,
        qps: Math.round(r.qps),
        errors: r.errors,
        ...summarize(ms),
      });
    }
  }
  await db.end();
  table(
    `stored forms: exact top 10 of one user (${opts.rowsPerUser} rows, ${opts.users} users a table)`,
    rows,
  );
  // Half precision against full precision at the same size: the same rows (by text:
  // each table has ids of its own)?
  const same = (a: number, b: number) =>
    tops[a].filter((ids, k) => ids.join() === tops[b][k].join()).length / queries.length;
  const agreement = {
    "halfvec(1536) vs vector(1536)": same(1, 0),
    "halfvec(512) vs vector(512)": same(3, 2),
  };
  console.log("same top 10 (share of queries):", agreement);
  return { rows, agreement };
}
