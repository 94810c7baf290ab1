// Vector search: a synthetic clustered 1536-d data set (a normalized Gaussian
// mixture) loaded with COPY, the HNSW build, then recall@10 against exact search,
// QPS and latency at several ef_search values with 1 and several clients. Then
// the per-user workload on the real memory_embeddings table through the real
// match_memories RPC: skewed corpus sizes, recall per size bucket, in 512
// dimensions (what memories store).

import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { closedLoop, progress, summarize, table } from "../harness/measure.ts";
import { adminPool, env } from "../harness/stack.ts";
import { baselineDatabase } from "./baseline_db.ts";
import { rlsSettings, transaction } from "../supabase/functions/_shared/db.ts";
import { DIMENSIONS } from "../supabase/functions/_shared/openai.ts";

/** What memories store (memory_vectors, since release 0.2.0). */
const DIM = DIMENSIONS;
/** The global ANN set: the size of the published figures it is compared with. */
const GLOBAL_DIM = 1536;
const MODEL = "text-embedding-3-small";

/** Deterministic PRNG (mulberry32): uniforms and standard normals (Box-Muller). */
function rng(seed: number) {
  let s = seed;
  const uniform = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, gauss };
}

function normalize(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
}

/**
 * The shape of each cluster of the synthetic data:
 * - `isotropic`: spread equally along all axes (1.2/sqrt(d) per axis), so a
 *   cluster's members are nearly equidistant (cosine ~0.4 to each other): the hardest
 *   case for a graph index, and unlike text embeddings.
 * - `lowrank`: spread along 48 directions of its own plus a small isotropic residual
 *   (variance 1.0 + 0.09), the shape of text embeddings, whose variance sits in few
 *   directions: members ~0.48 apart on average, near neighbours much closer.
 */
export type DataShape = "isotropic" | "lowrank";
export const DATA_SHAPES: DataShape[] = ["isotropic", "lowrank"];
const RANK = 48;

/**
 * A Gaussian mixture on the unit sphere of `dim` dimensions: `clusters` centres, each
 * spread by `shape`.
 */
export function mixture(
  seed: number,
  stream = 0,
  shape: DataShape = "isotropic",
  clusters = 100,
  dim = DIM,
) {
  const centre = rng(seed);
  const centres = Array.from({ length: clusters }, () => {
    const c = new Float32Array(dim);
    for (let i = 0; i < dim; i++) c[i] = centre.gauss();
    return normalize(c);
  });
  // Each cluster's own directions (random Gaussian vectors are nearly orthogonal).
  const bases = shape === "lowrank"
    ? centres.map(() => {
      const b = new Float32Array(RANK * dim);
      for (let i = 0; i < b.length; i++) b[i] = centre.gauss() / Math.sqrt(dim * RANK);
      return b;
    })
    : [];
  const residual = (shape === "lowrank" ? 0.3 : 1.2) / Math.sqrt(dim);
  // Points of another stream come from the same clusters but are new draws (queries).
  const { uniform, gauss } = rng(seed * 7919 + stream + 1);
  return () => {
    // Skewed cluster sizes (u^2): some topics are much more common than others.
    const k = Math.floor(clusters * uniform() ** 2);
    const c = centres[k];
    const v = new Float32Array(dim);
    for (let i = 0; i < dim; i++) v[i] = c[i] + residual * gauss();
    if (shape === "lowrank") {
      const b = bases[k];
      for (let j = 0; j < RANK; j++) {
        const z = gauss();
        const row = j * dim;
        for (let i = 0; i < dim; i++) v[i] += z * b[row + i];
      }
    }
    return normalize(v);
  };
}

// float32 -> shortest text that reads back as the same float32.
export const literal = (v: Float32Array) => {
  let s = "[";
  for (let i = 0; i < v.length; i++) s += (i ? "," : "") + Math.fround(v[i]).toPrecision(9);
  return s + "]";
};

/**
 * COPY `total` lines through `client`. The bar follows what this side has sent; with a
 * `monitor` pool, what the server still does after the last line (reading the rows it
 * has buffered, then the statement's AFTER triggers, which run once every row is in) is
 * reported every 5 s from pg_stat_progress_copy and pg_stat_activity, and timed.
 */
export async function copyRows(
  client: pg.PoolClient,
  sql: string,
  total: number,
  line: (i: number) => string,
  label: string,
  monitor?: pg.Pool,
) {
  const [{ pid }] = (await client.query("select pg_backend_pid() as pid")).rows;
  const bar = progress(label, total);
  const stream = client.query(copyFrom(sql));
  const finished = new Promise<void>((resolve, reject) => {
    stream.on("finish", () => resolve());
    stream.on("error", reject);
  });
  for (let i = 0; i < total; i++) {
    if (!stream.write(line(i))) await new Promise((r) => stream.once("drain", r));
    bar.tick(i + 1);
  }
  stream.end();
  bar.done();
  const sent = performance.now();
  const watcher = monitor && setInterval(async () => {
    const { rows } = await monitor.query(
      `select p.tuples_processed::bigint as rows, a.wait_event_type, a.wait_event
         from pg_stat_activity a left join pg_stat_progress_copy p on p.pid = a.pid
        where a.pid = $1`,
      [pid],
    ).catch(() => ({ rows: [] as Record<string, unknown>[] }));
    const r = rows[0];
    if (!r) return;
    const done = Number(r.rows ?? 0);
    const what = done < total
      ? `reading the rows sent (${done.toLocaleString("en")} of ${total.toLocaleString("en")})`
      : "running the statement's AFTER triggers (history, counts, limits)";
    const waiting = r.wait_event ? `, waiting on ${r.wait_event_type}/${r.wait_event}` : "";
    console.error(
      `${label}: all sent ${
        Math.round((performance.now() - sent) / 1000)
      } s ago; the server is ${what}${waiting}`,
    );
  }, 5000);
  try {
    await finished;
  } finally {
    if (watcher) clearInterval(watcher);
  }
  if (monitor) {
    console.error(
      `${label}: the server finished ${
        ((performance.now() - sent) / 1000).toFixed(1)
      } s after the last row was sent`,
    );
  }
}

async function buildIndex(db: pg.Pool, sql: string, label: string): Promise<number> {
  const bar = progress(label, 100);
  const watcher = setInterval(async () => {
    const { rows } = await db.query(
      `select tuples_done, tuples_total, blocks_done, blocks_total, phase
         from pg_stat_progress_create_index limit 1`,
    ).catch(() => ({ rows: [] as Record<string, number>[] }));
    const r = rows[0];
    if (!r) return;
    const pct = Number(r.tuples_total) > 0
      ? 100 * Number(r.tuples_done) / Number(r.tuples_total)
      : Number(r.blocks_total) > 0
      ? 100 * Number(r.blocks_done) / Number(r.blocks_total)
      : 0;
    bar.tick(Math.min(99, pct));
  }, 500);
  const started = performance.now();
  try {
    const client = await db.connect();
    try {
      await client.query("set maintenance_work_mem = '3GB'");
      await client.query("set max_parallel_maintenance_workers = 1");
      await client.query(sql);
    } finally {
      client.release();
    }
  } finally {
    clearInterval(watcher);
    bar.done();
  }
  return (performance.now() - started) / 1000;
}

/** Exact top 10 per query: an index-free scan, the same arithmetic the index uses. */
async function groundTruth(
  db: pg.Pool,
  sql: (q: number) => [string, unknown[]],
  n: number,
  label: string,
) {
  const bar = progress(label, n);
  const truth: string[][] = new Array(n);
  let done = 0;
  await Promise.all([0, 1].map(async (w) => {
    const client = await db.connect();
    try {
      await client.query("set enable_indexscan = off");
      await client.query("set enable_bitmapscan = off");
      await client.query("set max_parallel_workers_per_gather = 0");
      for (let q = w; q < n; q += 2) {
        const [text, params] = sql(q);
        truth[q] = (await client.query(text, params)).rows.map((r: { id: string }) => String(r.id));
        bar.tick(++done);
      }
    } finally {
      client.release();
    }
  }));
  bar.done();
  return truth;
}

const recall = (got: string[], want: string[]) => {
  const w = new Set(want);
  return want.length === 0 ? 1 : got.filter((id) => w.has(id)).length / want.length;
};

export interface VectorOptions {
  size: number;
  data: DataShape;
  /** HNSW build parameters of the global set. */
  m: number;
  efConstruction: number;
  queries: number;
  seconds: number;
  clients: number[];
  efSearch: number[];
  perUser: boolean;
  global: boolean;
  /** The 1,000,000-row, 2,000-user workload instead of the small per-user one. */
  scale: boolean;
  /** Also measure the design most users would pick: one shared HNSW index, filtered. */
  shared: boolean;
  /** A commit whose schema is measured beside this one's (a database of its own). */
  baseline?: string;
}

export async function vectorBench(opts: VectorOptions) {
  const db = adminPool(4);
  try {
    // What was loaded and built, so a later run can skip it.
    await db.query(`create schema if not exists bench`);
    await db.query(`create table if not exists bench.meta (k text primary key, v text)`);
    const global = opts.global ? await globalAnn(db, opts) : null;
    const perUser = opts.perUser ? await perUserBench(db, opts, opts.scale ? SCALE : SMALL) : null;
    return { global, per_user: perUser };
  } finally {
    await db.end();
  }
}

async function globalAnn(db: pg.Pool, opts: VectorOptions) {
  const wanted = `size=${opts.size};seed=1;data=${opts.data}`;
  const have = (await db.query(`select v from bench.meta where k = 'vectors'`)).rows[0]?.v;
  let load_s: number | null = null;
  if (have !== wanted) {
    await db.query(`drop table if exists bench.vectors`);
    await db.query(
      `create unlogged table bench.vectors (id integer primary key, embedding extensions.vector(${GLOBAL_DIM}))`,
    );
    const next = mixture(1, 0, opts.data, 100, GLOBAL_DIM);
    const client = await db.connect();
    const started = performance.now();
    try {
      await copyRows(
        client,
        "copy bench.vectors (id, embedding) from stdin",
        opts.size,
        (i) => `${i + 1}\t${literal(next())}\n`,
        `vector: COPY ${opts.size} rows (${opts.data})`,
      );
    } finally {
      client.release();
    }
    load_s = (performance.now() - started) / 1000;
    await db.query(
      `insert into bench.meta values ('vectors', $1) on conflict (k) do update set v = $1`,
      [wanted],
    );
    await db.query(`delete from bench.meta where k like 'index%'`);
  }
  await db.query("analyze bench.vectors");
  const params = `m = ${opts.m}, ef_construction = ${opts.efConstruction}`;
  const indexKey = `index:${params}`;
  let build_s: number;
  const built = (await db.query(`select v from bench.meta where k = $1`, [indexKey])).rows[0];
  if (!built) {
    await db.query(`drop index if exists bench.vectors_hnsw`);
    await db.query(`delete from bench.meta where k like 'index%'`);
    build_s = await buildIndex(
      db,
      `create index vectors_hnsw on bench.vectors using hnsw (embedding extensions.vector_cosine_ops)
         with (${params})`,
      `vector: HNSW build (${params})`,
    );
    await db.query(`insert into bench.meta values ($1, $2)`, [indexKey, String(build_s)]);
  } else {
    build_s = Number(built.v);
  }
  const { rows: [sizes] } = await db.query(
    `select pg_relation_size('bench.vectors_hnsw') as index_bytes,
            pg_total_relation_size('bench.vectors') as table_bytes`,
  );

  const nextQuery = mixture(1, 1, opts.data, 100, GLOBAL_DIM); // the data's clusters, new points
  const queries = Array.from({ length: opts.queries }, () => literal(nextQuery()));
  const truth = await groundTruth(
    db,
    (
      q,
    ) => [
      `select id from bench.vectors order by (embedding operator(extensions.<=>) $1::extensions.vector) + 0, id limit 10`,
      [queries[q]],
    ],
    queries.length,
    `vector: exact top 10 for ${queries.length} queries`,
  );

  const rows = [];
  for (const ef of opts.efSearch) {
    for (const clients of opts.clients) {
      const pool = new pg.Pool({
        connectionString: env("SUPABASE_DB_URL"),
        max: clients,
        options: `-c hnsw.ef_search=${ef}`,
      });
      const recalls: number[] = [];
      const bar = progress(`vector: ef_search=${ef} clients=${clients}`, opts.seconds);
      const ticker = setInterval(() => bar.tick(opts.seconds), 1000);
      const r = await closedLoop(clients, opts.seconds, async (w, i) => {
        const q = (w * 7919 + i) % queries.length;
        const res = await pool.query(
          `select id from bench.vectors order by embedding operator(extensions.<=>) $1::extensions.vector limit 10`,
          [queries[q]],
        );
        recalls.push(recall(res.rows.map((x: { id: number }) => String(x.id)), truth[q]));
      });
      clearInterval(ticker);
      bar.done();
      await pool.end();
      rows.push({
        ef_search: ef,
        clients,
        recall_at_10: Math.round(recalls.reduce((a, b) => a + b, 0) / recalls.length * 10000) /
          10000,
        qps: Math.round(r.qps),
        errors: r.errors,
        ...summarize(r.latencies),
      });
    }
  }
  table(
    `vector: global ANN, ${opts.size} x ${GLOBAL_DIM}, ${opts.data} (HNSW ${params}; build ${
      build_s.toFixed(1)
    } s, ` +
      `index ${(Number(sizes.index_bytes) / 2 ** 20).toFixed(0)} MiB)`,
    rows,
  );
  return {
    size: opts.size,
    data: opts.data,
    m: opts.m,
    ef_construction: opts.efConstruction,
    dimensions: GLOBAL_DIM,
    load_s,
    build_s,
    index_mib: Math.round(Number(sizes.index_bytes) / 2 ** 20),
    table_mib: Math.round(Number(sizes.table_bytes) / 2 ** 20),
    queries: queries.length,
    rows,
  };
}

// Per-user buckets: [rows per user, users]. The ones above match_memories' exact-scan
// limit (2,000) are searched through their own HNSW graph.
interface Workload {
  /** bench.meta key of what is loaded. */
  name: string;
  /** [rows per user, users] */
  buckets: [number, number][];
  /** The uuid group that tells this workload's users apart. */
  tag: string;
}

const SMALL: Workload = {
  name: "per_user",
  buckets: [[10, 20], [100, 10], [1_000, 5], [5_000, 2], [21_000, 1]],
  tag: "be00",
};

/**
 * 992,000 rows over 2,000 users, skewed like real use (Zipf-like: many small users, a
 * few very large ones): 1,100 x 10, 600 x 100, 200 x 1,000 (exact), 80 x 5,000, 18 x
 * 9,500 and one user each of 50,000 and 100,000 rows (graphs).
 */
const SCALE: Workload = {
  name: "scale",
  buckets: [[10, 1100], [100, 600], [1_000, 200], [5_000, 80], [9_500, 18], [50_000, 1], [
    100_000,
    1,
  ]],
  tag: "5ca1",
};

const benchUser = (w: Workload, size: number, i: number) =>
  `00000000-${w.tag}-4000-8000-${String(size).padStart(6, "0")}${String(i).padStart(6, "0")}`;

/**
 * Runs one statement as `user` the way the functions' RLS-scoped client does
 * (_shared/db.ts): the settings and the query in one pipelined transaction, one round
 * trip. `pool` is in pipeline mode.
 */
async function asUser<R = Record<string, unknown>>(
  pool: pg.Pool,
  user: string,
  text: string,
  values: unknown[],
): Promise<R[]> {
  const client = await pool.connect();
  try {
    return await transaction<R>(
      client,
      rlsSettings({ sub: user, role: "authenticated" }, "authenticated", 8000),
      { text, values },
    );
  } finally {
    client.release();
  }
}

/** The top 10 ids for `user` through match_memories. */
const searchAs: Search = async (pool, user, query) =>
  (await asUser<{ id: string }>(
    pool,
    user,
    `select id from public.match_memories($1::extensions.vector, 10, null, null, null, '${MODEL}')`,
    [query],
  )).map((x) => x.id);

/**
 * POST /memories/search's default: search_memories in hybrid mode, with a query text that
 * names one row of the user by its number (a code lookup: the keyword side finds it).
 */
const searchHybrid: Search = async (pool, user, query) =>
  (await asUser<{ id: string }>(
    pool,
    user,
    `select id from public.search_memories($1, $2::extensions.vector, 10, 'hybrid', null, null, null, '${MODEL}')`,
    [`which one is ${query.length % 1000}`, query],
  )).map((x) => x.id);

/**
 * The median of three runs of the pg_cron graph sync once every row is in its graph:
 * what every minute costs the server at this size (a sync that read the whole table
 * would cost seconds a run at 1M rows).
 */
async function idleSyncMedian(db: pg.Pool): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await db.query(`select private.sync_memory_graphs()`);
    ms.push(performance.now() - t);
  }
  return ms.sort((a, b) => a - b)[1];
}

/**
 * Each pair searched once, as its user, through match_memories, on each of the pool's
 * `clients` connections at once; nothing measured.
 */
type Search = (pool: pg.Pool, user: string, query: string) => Promise<string[]>;

async function warmUp(
  pool: pg.Pool,
  clients: number,
  pairs: { user: string; query: string }[],
  search: Search = searchAs,
) {
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (const p of pairs) await search(pool, p.user, p.query);
    }),
  );
}

/**
 * The design a user of pgvector would otherwise pick, as Mem0's pgvector store does:
 * every user's vectors in one table with one HNSW index (default m 16, ef_construction
 * 64), searched with a `user_id` filter and pgvector's iterative scan, so a filtered
 * walk keeps going until it has k rows. Built once per workload from its rows.
 */
async function sharedIndex(db: pg.Pool, workload: string, wanted: string) {
  const key = `${workload}:shared_hnsw`;
  const have = (await db.query(`select v from bench.meta where k = $1`, [key])).rows[0]?.v;
  if (have === wanted) return;
  const started = performance.now();
  await db.query(`drop table if exists bench.shared_hnsw`);
  await db.query(
    `create table bench.shared_hnsw as
       select v.id, v.user_id, v.embedding from public.memory_vectors v
         join public.memory_embeddings e on e.id = v.id where e.model = '${MODEL}'`,
  );
  await db.query(`create index on bench.shared_hnsw (user_id)`);
  const seconds = await buildIndex(
    db,
    `create index bench_shared_hnsw on bench.shared_hnsw
       using hnsw (embedding extensions.halfvec_cosine_ops)`,
    "per-user: the shared HNSW index (the Mem0-style baseline)",
  );
  await db.query(`analyze bench.shared_hnsw`);
  console.error(
    `per-user: shared HNSW built in ${seconds.toFixed(0)} s (table and index ${
      ((performance.now() - started) / 1000).toFixed(0)
    } s)`,
  );
  await db.query(
    `insert into bench.meta values ($2, $1) on conflict (k) do update set v = $1`,
    [wanted, key],
  );
}

/** A search of the shared index, as the baseline's store runs it. */
const searchShared: Search = async (pool, user, query) => {
  const client = await pool.connect();
  try {
    await client.query(
      "set hnsw.iterative_scan = relaxed_order; set hnsw.ef_search = 40",
    );
    const { rows } = await client.query(
      `select id from (select id, embedding operator(extensions.<=>) $2::extensions.halfvec(512) as d
                         from bench.shared_hnsw where user_id = $1
                        order by embedding operator(extensions.<=>) $2::extensions.halfvec(512)
                        limit 10) s
        order by d, id`,
      [user, query],
    );
    return rows.map((r: { id: string }) => r.id);
  } finally {
    client.release();
  }
};

/** Which memory schema a database has: vectors in memory_vectors, or in memory_embeddings. */
async function layoutOf(db: pg.Pool): Promise<"vectors" | "graph tables"> {
  const { rows: [r] } = await db.query(
    `select to_regclass('public.memory_vectors') is not null as vectors`,
  );
  return r.vectors ? "vectors" : "graph tables";
}

/** Row i's memory id: the same in every database the workload is loaded into. */
const memoryId = (w: Workload, i: number) =>
  `${w.tag}0000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;

/**
 * Loads workload `w` into `db` unless it is there: COPY, then what an operator runs
 * after a bulk load so that the users above the exact limit get their graphs. The same
 * rows, ids and vectors whatever the layout.
 */
async function loadPerUser(db: pg.Pool, w: Workload, label: string) {
  const BUCKETS = w.buckets;
  const total = BUCKETS.reduce((n, [size, users]) => n + size * users, 0);
  const layout = await layoutOf(db);
  const wanted = `buckets=${JSON.stringify(BUCKETS)};seed=2;ids=fixed;layout=${layout};dim=${DIM}`;
  const have = (await db.query(`select v from bench.meta where k = $1`, [w.name])).rows[0]?.v;
  if (have === wanted) return { wanted, load: null };
  await db.query(`delete from auth.users where id::text like $1`, [`00000000-${w.tag}-%`]);
  const users = BUCKETS.flatMap(([size, n]) =>
    Array.from({ length: n }, (_, i) => ({ id: benchUser(w, size, i), size }))
  );
  await db.query(
    `insert into auth.users (id, email) select u, 'bench-' || u || '@bench.local' from unnest($1::uuid[]) u`,
    [users.map((u) => u.id)],
  );
  const owners = users.flatMap((u) => Array.from({ length: u.size }, () => u.id));
  const started = performance.now();
  const client = await db.connect();
  try {
    if (layout === "vectors") {
      // Memories and vectors in one transaction that holds the graph sync's lock: a sync
      // (pg_cron's, every minute) between the two would move a large user's memories to
      // a graph their vectors, copied to graph 0, could no longer reference.
      await client.query("begin");
      await client.query(
        "select pg_advisory_xact_lock(hashtext('private.sync_memory_graphs'))",
      );
      await copyRows(
        client,
        "copy public.memory_embeddings (id, user_id, content_text, content_type) from stdin",
        total,
        (i) => `${memoryId(w, i)}\t${owners[i]}\tbench memory ${i}\tnote\n`,
        `${label}: COPY ${total} rows into memory_embeddings`,
        db,
      );
      const next = mixture(2);
      await copyRows(
        client,
        "copy public.memory_vectors (id, user_id, embedding) from stdin",
        total,
        (i) => `${memoryId(w, i)}\t${owners[i]}\t${literal(next())}\n`,
        `${label}: COPY ${total} rows into memory_vectors`,
        db,
      );
      await client.query("commit");
    } else {
      const next = mixture(2);
      await copyRows(
        client,
        "copy public.memory_embeddings (id, user_id, content_text, content_type, embedding) from stdin",
        total,
        (i) => `${memoryId(w, i)}\t${owners[i]}\tbench memory ${i}\tnote\t${literal(next())}\n`,
        `${label}: COPY ${total} rows into memory_embeddings`,
        db,
      );
    }
  } catch (e) {
    await client.query("rollback");
    throw e;
  } finally {
    client.release();
  }
  const copied = performance.now();
  // What an operator runs after a bulk load: statistics first, so that the sync's
  // statements find each user's rows by index.
  await db.query("analyze public.memory_embeddings");
  // The bulk path of each layout: every large user's graph built from the rows at once.
  const bulk = layout === "vectors"
    ? `select private.sync_memory_graphs(null) as r`
    : `select private.rebuild_memory_graphs() as r`;
  let { rows: [built] } = await db.query(bulk);
  // pg_cron's every-minute run holds the sync's lock (and may do this very work): wait
  // for it, then run what is left.
  while (built.r?.busy) {
    await new Promise((r) => setTimeout(r, 1000));
    ({ rows: [built] } = await db.query(bulk));
  }
  const done = performance.now();
  console.error(`${label}: graphs of the large users: ${JSON.stringify(built.r)}`);
  await db.query(
    `insert into bench.meta values ($2, $1) on conflict (k) do update set v = $1`,
    [wanted, w.name],
  );
  return {
    wanted,
    load: {
      rows: total,
      copy_s: Math.round((copied - started) / 100) / 10,
      graphs_s: Math.round((done - copied) / 100) / 10,
    },
  };
}

async function perUserBench(db: pg.Pool, opts: VectorOptions, w: Workload) {
  const BUCKETS = w.buckets;
  const total = BUCKETS.reduce((n, [size, users]) => n + size * users, 0);
  const { wanted, load } = await loadPerUser(db, w, "per-user");
  let old: { pool: pg.Pool; url: string; load: unknown } | null = null;
  if (opts.baseline) {
    const url = await baselineDatabase(db, opts.baseline);
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    await pool.query(`create schema if not exists bench`);
    await pool.query(`create table if not exists bench.meta (k text primary key, v text)`);
    const loaded = await loadPerUser(pool, w, `per-user (${opts.baseline})`);
    await pool.query("analyze public.memory_embeddings");
    old = { pool, url, load: loaded.load };
  }
  await db.query("analyze public.memory_embeddings, public.memory_vectors");
  if (opts.shared) await sharedIndex(db, w.name, wanted);
  const { rows: [{ exact_max_rows }] } = await db.query(
    `select private.memory_exact_max_rows() as exact_max_rows`,
  );
  const idleSyncMs = await idleSyncMedian(db);

  const nextQuery = mixture(2, 1);
  const queries = Array.from({ length: 40 }, () => literal(nextQuery()));
  const rows = [];
  for (const [size, users] of BUCKETS) {
    const pairs = Array.from(
      { length: queries.length },
      (_, q) => ({ user: benchUser(w, size, q % users), q }),
    );
    const truth = await groundTruth(
      db,
      (k) => [
        // In half precision, as match_memories compares (a vector query made each row a
        // vector again: 19 us a row).
        `select e.id from public.memory_embeddings e join public.memory_vectors v on v.id = e.id
          where e.user_id = $1 and e.model = '${MODEL}'
          order by (v.embedding operator(extensions.<=>) $2::extensions.halfvec) + 0, e.id limit 10`,
        [pairs[k].user, queries[pairs[k].q]],
      ],
      pairs.length,
      `per-user: exact top 10, ${size} rows per user`,
    );
    const path = size <= exact_max_rows ? "exact" : "own graph";
    const designs: [string, Search, string][] = [
      [`${path}, vector mode`, searchAs, env("SUPABASE_DB_URL")],
      [`${path}, hybrid mode`, searchHybrid, env("SUPABASE_DB_URL")],
      ...(old
        ? [[`${path}, ${opts.baseline}`, searchAs, old.url] as [string, Search, string]]
        : []),
      ...(opts.shared
        ? [["shared HNSW (Mem0-style)", searchShared, env("SUPABASE_DB_URL")] as [
          string,
          Search,
          string,
        ]]
        : []),
    ];
    for (const clients of opts.clients) {
      for (const [strategy, search, url] of designs) {
        const pool = new pg.Pool({ connectionString: url, max: clients, pipeline: true });
        // One untimed pass of every (user, query) pair on each connection of the pool, as
        // a server in steady state has had. Without it the first seconds of a run measure
        // reads from the page cache after a restart (a walk 2.5-20x slower), and on every
        // run a new backend's first touch of each shared buffer page (a page fault each:
        // 2-3 s of searches 2-10x slower per new connection of the 5,000-row bucket).
        await warmUp(
          pool,
          clients,
          pairs.map((p) => ({ user: p.user, query: queries[p.q] })),
          search,
        );
        const recalls: number[] = [];
        const rpcMs: number[] = [];
        const r = await closedLoop(clients, opts.seconds, async (w, i) => {
          const k = (w * 31 + i) % pairs.length;
          const t = performance.now();
          const ids = await search(pool, pairs[k].user, queries[pairs[k].q]);
          rpcMs.push(performance.now() - t);
          recalls.push(recall(ids, truth[k]));
        });
        await pool.end();
        rows.push({
          rows_per_user: size,
          clients,
          strategy,
          recall_at_10: Math.round(recalls.reduce((a, b) => a + b, 0) / recalls.length * 10000) /
            10000,
          min_recall: Math.min(...recalls),
          qps: Math.round(r.qps),
          errors: r.errors,
          ...summarize(rpcMs),
        });
      }
    }
  }
  table(
    `vector: per-user top 10 through match_memories (${total} rows, ${BUCKETS.length} buckets; ` +
      `the every-minute graph sync with nothing to do: ${idleSyncMs.toFixed(1)} ms)`,
    rows,
  );
  const layouts: [string, string][] = [[await layoutOf(db), env("SUPABASE_DB_URL")]];
  if (old) layouts.push([`${await layoutOf(old.pool)} (${opts.baseline})`, old.url]);
  const ops = await memoryOps(w, layouts, Math.max(...opts.clients), opts.seconds);
  if (old) await old.pool.end();
  return {
    buckets: BUCKETS,
    load: { new: load, old: old?.load ?? null },
    idle_sync_ms: idleSyncMs,
    rows,
    ops,
  };
}

/**
 * What every memory route does to the table, old schema beside new, as one user of the
 * exact path (100 rows) and one with a graph (the largest bucket up to 10,000 rows): POST /memories' insert
 * (insert_memories, one memory), GET /memories (list_memories, a page of 20), PATCH's
 * statement (new text and vector) and a hard delete, each for `seconds` at `clients`.
 */
async function memoryOps(
  w: Workload,
  layouts: [string, string][],
  clients: number,
  seconds: number,
) {
  const rows: Record<string, unknown>[] = [];
  const vectors = mixture(2, 7);
  const fresh = Array.from({ length: 64 }, () => literal(vectors()));
  const graphSize = Math.max(...w.buckets.map(([n]) => n).filter((n) => n > 2_000 && n <= 10_000));
  for (const size of [100, graphSize]) {
    const user = benchUser(w, size, 0);
    for (const [layout, url] of layouts) {
      const pool = new pg.Pool({ connectionString: url, max: clients, pipeline: true });
      const ids: string[] = [];
      // PATCH's statements in each schema (memories/index.ts of each version).
      const vectors = layout.startsWith("vectors");
      const graph = vectors
        ? Number((await asUser(pool, user, `select private.my_memory_graph() as g`, []))[0].g)
        : 0;
      const patch = vectors
        ? `with v as (update public.memory_vectors set embedding = $2::extensions.vector
                        where id = $1::uuid and graph = any('{0,${graph}}'::smallint[]))
           update public.memory_embeddings set content_text = $3 where id = $1::uuid`
        : `update public.memory_embeddings set content_text = $3, embedding = $2::extensions.vector
            where id = $1::uuid`;
      const run = async (op: string, fn: (w: number, i: number) => Promise<void>) => {
        const ms: number[] = [];
        const r = await closedLoop(clients, seconds, async (wk, i) => {
          const t = performance.now();
          await fn(wk, i);
          ms.push(performance.now() - t);
        });
        rows.push({
          op,
          rows_per_user: size,
          layout,
          clients,
          ops_s: Math.round(r.qps),
          errors: r.errors,
          ...summarize(ms),
        });
      };
      const tag = `${Date.now()}`;
      await run("insert", async (wk, i) => {
        const [row] = await asUser(
          pool,
          user,
          `select id from public.insert_memories('${MODEL}', array[$1], array['note'],
             array['{}'::jsonb], array[$2::extensions.vector])`,
          [`bench op ${tag} ${wk} ${i}`, fresh[i % fresh.length]],
        );
        ids.push(String(row.id));
      });
      await run("list", async () => {
        await asUser(pool, user, `select public.list_memories(null, null, 20)`, []);
      });
      await run("update", async (wk, i) => {
        const id = ids[(wk * 7919 + i) % ids.length];
        await asUser(pool, user, patch, [
          id,
          fresh[(i + 1) % fresh.length],
          `bench op ${tag} edit ${wk} ${i}`,
        ]);
      });
      // Every memory the insert run wrote, deleted once, `clients` at a time.
      const deleted: number[] = [];
      const started = performance.now();
      await Promise.all(Array.from({ length: clients }, async () => {
        for (let id = ids.pop(); id; id = ids.pop()) {
          const t = performance.now();
          await asUser(pool, user, `delete from public.memory_embeddings where id = $1::uuid`, [
            id,
          ]);
          deleted.push(performance.now() - t);
        }
      }));
      rows.push({
        op: "delete",
        rows_per_user: size,
        layout,
        clients,
        ops_s: Math.round(deleted.length / ((performance.now() - started) / 1000)),
        errors: 0,
        ...summarize(deleted),
      });
      await pool.end();
    }
  }
  table("vector: memory writes and lists, old schema beside new", rows);
  return rows;
}
