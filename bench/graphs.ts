// What the per-user graphs (the HNSW partitions of memory_vectors) are sized by,
// measured:
// - walks: one user's rows (512-d half precision; the scale set's isotropic mixture, or
//   --data lowrank) in a table of their own with an HNSW index alone, recall@10 against an exact scan and
//   latency with one client, per graph size, graph density (m) and walk width
//   (ef_search): how wide a walk a graph of n rows needs; with --probes, the same for an
//   IVFFlat index of sqrt(n) lists by ivfflat.probes (the index kind the partitions
//   replaced; kept to re-measure it);
// - statements: the design partitions avoid, partial HNSW indexes on one table: what
//   each costs the table's other statements (the
//   planner looks at every index, an insert checks every predicate), on two copies of a
//   memory_embeddings-like table, with and without its (empty) partial graphs, side by
//   side in one run.

import pg from "pg";
import { closedLoop, progress, summarize, table } from "../harness/measure.ts";
import { adminPool, env } from "../harness/stack.ts";
import { copyRows, type DataShape, literal, mixture } from "./vector.ts";

export interface GraphsOptions {
  sizes: number[];
  /** The shape of the mixture's clusters (vector.ts). */
  data: DataShape;
  /** HNSW build parameters, one graph each. */
  builds: { m: number; efConstruction: number }[];
  efSearch: number[];
  /** ivfflat.probes values of an IVFFlat index of sqrt(rows) lists; none: no IVFFlat. */
  probes: number[];
  /** IVFFlat builds of factor x sqrt(rows) lists, one each (1: what the migration builds). */
  listsFactors: number[];
  /** Distinct queries each recall is measured over. */
  queries: number;
  seconds: number;
  /** Also measure what the partial graphs cost the table's other statements. */
  statements: boolean;
}

const walkTable = (size: number) => `bench.graph_${size}`;

/** One user's rows alone in a table, loaded once and kept. */
async function loadWalkTable(db: pg.Pool, size: number, data: DataShape) {
  const wanted = `rows=${size};seed=2;halfvec(512);data=${data}`;
  const key = `graph:${size}`;
  if ((await db.query(`select v from bench.meta where k = $1`, [key])).rows[0]?.v === wanted) {
    return;
  }
  await db.query(`drop table if exists ${walkTable(size)}`);
  await db.query(
    `create table ${
      walkTable(size)
    } (id integer primary key, embedding extensions.halfvec(512) not null)`,
  );
  await db.query(`alter table ${walkTable(size)} alter column embedding set storage main`);
  const next = mixture(2, 0, data);
  const client = await db.connect();
  try {
    await copyRows(
      client,
      `copy ${walkTable(size)} (id, embedding) from stdin`,
      size,
      (i) => `${i + 1}\t${literal(next())}\n`,
      `graphs: COPY ${size} rows`,
    );
  } finally {
    client.release();
  }
  await db.query(`vacuum analyze ${walkTable(size)}`);
  await db.query(`insert into bench.meta values ($1, $2) on conflict (k) do update set v = $2`, [
    key,
    wanted,
  ]);
}

/** Seconds an index build takes, with the memory the graphs' own builds get. */
async function timedBuild(db: pg.Pool, label: string, sql: string): Promise<number> {
  const bar = progress(label, 1);
  const started = performance.now();
  const client = await db.connect();
  try {
    await client.query("set maintenance_work_mem = '1GB'");
    await client.query(sql);
  } finally {
    client.release();
  }
  bar.done();
  return (performance.now() - started) / 1000;
}

async function walks(db: pg.Pool, opts: GraphsOptions) {
  const queries = Array.from({ length: opts.queries }, mixture(2, 1, opts.data)).map(literal);
  const walk = (size: number) =>
    `select id from ${
      walkTable(size)
    } order by embedding operator(extensions.<=>) $1::extensions.halfvec limit 10`;
  const rows = [];
  const ivfflat = [];
  for (const size of opts.sizes) {
    await loadWalkTable(db, size, opts.data);
    const truth: number[][] = [];
    for (const q of queries) {
      truth.push(
        (await db.query(
          `select id from ${walkTable(size)}
            order by (embedding operator(extensions.<=>) $1::extensions.halfvec) + 0, id limit 10`,
          [q],
        )).rows.map((r: { id: number }) => r.id),
      );
    }
    // Recall against the exact top 10, then latency with one client, of the table's one
    // index under the given settings.
    const measure = async (options: string) => {
      const pool = new pg.Pool({ connectionString: env("SUPABASE_DB_URL"), max: 1, options });
      const recalls: number[] = [];
      for (const [k, q] of queries.entries()) {
        const got = new Set(
          (await pool.query(walk(size), [q])).rows.map((r: { id: number }) => r.id),
        );
        recalls.push(truth[k].filter((id) => got.has(id)).length / truth[k].length);
      }
      const r = await closedLoop(1, opts.seconds, async (_w, i) => {
        await pool.query(walk(size), [queries[i % queries.length]]);
      });
      await pool.end();
      return {
        recall_at_10: Math.round(recalls.reduce((a, b) => a + b, 0) / recalls.length * 10000) /
          10000,
        min_recall: Math.min(...recalls),
        queries_below_1: recalls.filter((r) => r < 1).length,
        ...summarize(r.latencies),
      };
    };
    for (const [b, { m, efConstruction }] of opts.builds.entries()) {
      await db.query(`drop index if exists bench.graph_${size}_hnsw`);
      const buildS = await timedBuild(
        db,
        `graphs: HNSW build, ${size} rows, m ${m}, efc ${efConstruction}`,
        `create index graph_${size}_hnsw on ${walkTable(size)}
           using hnsw (embedding extensions.halfvec_cosine_ops)
           with (m = ${m}, ef_construction = ${efConstruction})`,
      );
      for (const ef of opts.efSearch) {
        rows.push({
          rows: size,
          // A build again with the same parameters draws other random layers.
          build: b + 1,
          m,
          ef_construction: efConstruction,
          build_s: Math.round(buildS * 10) / 10,
          ef_search: ef,
          ...await measure(`-c hnsw.ef_search=${ef}`),
        });
      }
    }
    if (opts.probes.length > 0) {
      await db.query(`drop index if exists bench.graph_${size}_hnsw`);
      for (const factor of opts.listsFactors) {
        const lists = Math.max(1, Math.round(factor * Math.sqrt(size)));
        const buildS = await timedBuild(
          db,
          `graphs: IVFFlat build, ${size} rows, ${lists} lists`,
          `create index graph_${size}_ivfflat on ${walkTable(size)}
             using ivfflat (embedding extensions.halfvec_cosine_ops) with (lists = ${lists})`,
        );
        for (const probes of opts.probes) {
          ivfflat.push({
            rows: size,
            lists,
            build_s: Math.round(buildS * 10) / 10,
            probes,
            ...await measure(`-c ivfflat.probes=${probes}`),
          });
        }
        await db.query(`drop index bench.graph_${size}_ivfflat`);
      }
    }
  }
  table(
    `graphs: one user's graph alone, recall@10 and latency (1 client, ${opts.queries} queries)`,
    rows,
  );
  if (ivfflat.length > 0) {
    table(
      `graphs: the same users' rows under IVFFlat (sqrt(rows) lists), recall@10 and latency ` +
        `(1 client, ${opts.queries} queries)`,
      ivfflat,
    );
  }
  return { hnsw: rows, ivfflat };
}

const USERS = 200;
const stmtTable = (graphs: number) => `bench.stmt_${graphs}`;
const userUuid = (u: number) => `00000000-0000-4000-8000-${String(u).padStart(12, "0")}`;

/** The same table twice: memory_embeddings' b-tree indexes, with and without the graphs. */
async function loadStatementTables(db: pg.Pool, graphCount: number) {
  for (const graphs of [0, graphCount]) {
    const t = stmtTable(graphs);
    await db.query(`drop table if exists ${t}`);
    await db.query(`create table ${t} (
      id uuid primary key default gen_random_uuid(), user_id uuid not null,
      model text not null default 'text-embedding-3-small', content_hash text not null,
      content_type text not null default 'fact', created_at timestamptz not null default now(),
      deleted_at timestamptz, graph smallint, embedding extensions.halfvec(512) not null)`);
    await db.query(`create unique index on ${t} (user_id, model, content_hash)`);
    await db.query(`create index on ${t} (user_id, created_at desc)`);
    await db.query(`create index on ${t} (user_id, content_type)`);
    await db.query(`create index on ${t} (user_id, model) where graph is null`);
    for (let g = 1; g <= graphs; g++) {
      await db.query(
        `create index on ${t} using hnsw (embedding extensions.halfvec_cosine_ops)
           with (m = 32, ef_construction = 128) where graph = ${g}`,
      );
    }
    await db.query(
      `insert into ${t} (user_id, content_hash, embedding)
       select ('00000000-0000-4000-8000-' || lpad((g % ${USERS})::text, 12, '0'))::uuid, md5(g::text),
              (select array_agg(sin(g * d)) from generate_series(1, 512) d)::real[]::extensions.halfvec(512)
         from generate_series(1, 20000) g`,
    );
    await db.query(`vacuum analyze ${t}`);
  }
}

async function statements(opts: GraphsOptions) {
  const db = adminPool(1);
  // As many partial graphs as the schema allows graphs.
  let graphCount: number;
  try {
    graphCount = (await db.query(`select private.memory_graph_count() as n`)).rows[0].n;
    await loadStatementTables(db, graphCount);
  } finally {
    await db.end();
  }
  const kinds: Record<string, (t: string, u: string) => [string, unknown[]]> = {
    "select a user's latest 20": (t, u) => [
      `select id, created_at from ${t} where user_id = $1 and deleted_at is null
        order by created_at desc limit 20`,
      [u],
    ],
    "insert one row": (t, u) => [
      `insert into ${t} (user_id, content_hash, embedding)
       select $1, md5(random()::text), embedding from ${t} limit 1`,
      [u],
    ],
  };
  const rows = [];
  // Interleaved rounds: both tables see the same moments of the machine.
  const totals = new Map<string, number[]>();
  for (let round = 0; round < 3; round++) {
    for (const [kind, sql] of Object.entries(kinds)) {
      for (const graphs of [0, graphCount]) {
        const pool = new pg.Pool({ connectionString: env("SUPABASE_DB_URL"), max: 4 });
        // Simple protocol, planned every time, as the functions send statements.
        const r = await closedLoop(4, opts.seconds, async (w, i) => {
          const [text, params] = sql(stmtTable(graphs), userUuid((w * 7919 + i) % USERS));
          await pool.query(text, params);
        });
        await pool.end();
        const key = `${kind}|${graphs}`;
        totals.set(key, [...(totals.get(key) ?? []), r.qps]);
      }
    }
  }
  for (const kind of Object.keys(kinds)) {
    const without = totals.get(`${kind}|0`)!;
    const withGraphs = totals.get(`${kind}|${graphCount}`)!;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    rows.push({
      statement: kind,
      "per s, no graphs": Math.round(mean(without)),
      [`per s, ${graphCount} graphs`]: Math.round(mean(withGraphs)),
      ratio: Math.round(mean(withGraphs) / mean(without) * 100) / 100,
      runs: without.length,
    });
  }
  table(
    `graphs: statements on a 20,000-row table, 4 clients, with and without ${graphCount} partial graphs`,
    rows,
  );
  return rows;
}

export async function graphsBench(opts: GraphsOptions) {
  const db = adminPool(2);
  let walkRows;
  try {
    await db.query(`create schema if not exists bench`);
    await db.query(`create table if not exists bench.meta (k text primary key, v text)`);
    walkRows = await walks(db, opts);
  } finally {
    await db.end();
  }
  return { walks: walkRows, statements: opts.statements ? await statements(opts) : [] };
}
