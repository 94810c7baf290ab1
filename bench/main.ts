// npm run bench -- [vector|forms|graphs|http|ingest|crypto|startup|chat|cache|all] [--size N] [--seconds S] ...
// Prints a table per part and writes the raw results to bench/results/.

import { parseArgs } from "node:util";
import { cacheBench } from "./cache.ts";
import { chatBench } from "./chat.ts";
import { cryptoBench } from "./crypto.ts";
import { graphsBench } from "./graphs.ts";
import { httpBench } from "./http.ts";
import { ingestBench } from "./ingest.ts";
import { startupBench } from "./startup.ts";
import { storedFormsBench } from "./stored_forms.ts";
import { machine, writeResult } from "../harness/measure.ts";
import { adminPool } from "../harness/stack.ts";
import { DATA_SHAPES, type DataShape, vectorBench } from "./vector.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    size: { type: "string", default: "100000" },
    data: { type: "string" },
    m: { type: "string", default: "16" },
    "ef-construction": { type: "string", default: "64" },
    queries: { type: "string" },
    seconds: { type: "string", default: "10" },
    connections: { type: "string", default: "32" },
    clients: { type: "string", default: "1,4" },
    "ef-search": { type: "string" },
    "graph-sizes": { type: "string", default: "9500,50000,100000" },
    builds: { type: "string", default: "16/64,32/128" },
    "no-statements": { type: "boolean", default: false },
    probes: { type: "string", default: "" },
    "lists-factor": { type: "string", default: "1" },
    "no-per-user": { type: "boolean", default: false },
    "no-global": { type: "boolean", default: false },
    "no-shared": { type: "boolean", default: false },
    scale: { type: "boolean", default: false },
    runs: { type: "string", default: "5" },
    baseline: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
const PARTS = ["vector", "forms", "graphs", "http", "ingest", "crypto", "startup", "chat", "cache"];
const part = positionals[0] ?? "all";
if (values.help || (part !== "all" && !PARTS.includes(part))) {
  console.log(`usage: npm run bench -- [${PARTS.join("|")}|all] [options]
  --size N          vectors in the global ANN data set (default 100000; 224000 to compare
                    with Supabase's published 2-core figure)
  --data SHAPE      clusters of the global set: lowrank (default; spread along 48
                    directions each, like text embeddings) or isotropic (spread along
                    all 1,536 axes: members nearly equidistant, the hardest case);
                    graphs: the same shapes in 512 dimensions (default isotropic, the
                    per-user set's)
  --m N             HNSW m of the global set (default 16)
  --ef-construction N  HNSW ef_construction of the global set (default 64)
  --queries N       distinct queries for recall (default 100; graphs: 40)
  --seconds S       duration of each measured run (default 10)
  --clients 1,4     concurrent clients for the vector runs
  --ef-search ...   hnsw.ef_search values (default 10,20,40,80,160,320; graphs:
                    40,80,120,200,300,400)
  --connections N   HTTP connections for http and concurrent requests for ingest (default 32)
  --no-per-user     skip the per-user vector workload
  --no-global       skip the global ANN workload
  --no-shared       per-user: skip the baseline of one shared HNSW index filtered by user
  --scale           vector: the per-user workload at scale (992,000 rows, 2,000 users,
                    Zipf-like sizes up to 100,000 rows; loaded once, ~20 min)
  forms             exact search of one 9,500-row user by stored form (vector or halfvec,
                    1,536 or 512 dimensions), 1 and 4 clients (--seconds, --clients)
  graphs            one user's HNSW graph alone: recall@10 and latency by ef_search; and
                    what the partial graphs cost a table's other statements (--seconds
                    per point, at most 3)
  --graph-sizes ... graphs: rows of the user (default 9500,50000,100000)
  --builds M/EFC,.. graphs: HNSW m / ef_construction of each build (default 16/64,32/128;
                    a pair given twice is built twice; none: no HNSW)
  --probes ...      graphs: also an IVFFlat index of sqrt(rows) lists, measured at these
                    ivfflat.probes values (default: none)
  --lists-factor .. graphs: IVFFlat builds of these multiples of sqrt(rows) lists (default 1)
  --no-statements   graphs: only the walks
  --runs N          fresh processes per function for startup (default 5)
  --baseline REF    http, startup: also measure the functions of git REF (a worktree
                    under .local/bench/baseline/; http: both uncached), old-vs-new rows`);
  Deno.exit(part === "all" || PARTS.includes(part) ? 0 : 2);
}
const num = (s: string) => Number(s);
function dataShape(s: string): DataShape {
  if ((DATA_SHAPES as string[]).includes(s)) return s as DataShape;
  console.error(`--data must be one of ${DATA_SHAPES.join(", ")}`);
  Deno.exit(2);
}
const list = (s: string) => s.split(",").map(Number);
function count(name: string, s: string): number {
  const n = Number(s);
  if (Number.isInteger(n) && n >= 1) return n;
  console.error(`--${name} takes a positive whole number, not ${s}`);
  Deno.exit(2);
}

const db = adminPool(1);
const env = await machine(db);
await db.end();
console.log(
  `machine: ${env.cpu}, ${env.cores} cores, ${env.ram_gib} GiB; ${env.postgres}, pgvector ${env.pgvector}`,
);

for (const p of part === "all" ? PARTS : [part]) {
  const seconds = num(values.seconds!);
  const result = p === "vector"
    ? await vectorBench({
      size: num(values.size!),
      data: dataShape(values.data ?? "lowrank"),
      m: num(values.m!),
      efConstruction: num(values["ef-construction"]!),
      queries: count("queries", values.queries ?? "100"),
      seconds,
      clients: list(values.clients!),
      efSearch: list(values["ef-search"] ?? "10,20,40,80,160,320"),
      perUser: !values["no-per-user"],
      global: !values["no-global"],
      scale: values.scale!,
      shared: !values["no-shared"],
      baseline: values.baseline,
    })
    : p === "forms"
    ? await storedFormsBench({
      rowsPerUser: 9_500,
      users: 3,
      seconds,
      clients: list(values.clients!),
    })
    : p === "graphs"
    ? await graphsBench({
      sizes: list(values["graph-sizes"]!),
      data: dataShape(values.data ?? "isotropic"),
      builds: values.builds === "none" ? [] : values.builds!.split(",").map((b) => {
        const [m, efConstruction] = b.split("/").map(num);
        if (!(Number.isInteger(m) && m >= 2 && Number.isInteger(efConstruction))) {
          console.error(`--builds takes M/EFC pairs (e.g. 32/128), not ${b}`);
          Deno.exit(2);
        }
        return { m, efConstruction };
      }),
      efSearch: list(values["ef-search"] ?? "40,80,120,200,300,400"),
      probes: values.probes ? list(values.probes) : [],
      listsFactors: list(values["lists-factor"]!),
      queries: count("queries", values.queries ?? "40"),
      statements: !values["no-statements"],
      seconds: Math.min(seconds, 3),
    })
    : p === "http"
    ? await httpBench({
      seconds,
      connections: num(values.connections!),
      baseline: values.baseline,
    })
    : p === "ingest"
    ? await ingestBench({
      memories: 20_000,
      batchSizes: [1, 16, 64, 256],
      connections: Math.min(8, num(values.connections!)),
    })
    : p === "startup"
    ? await startupBench({ runs: num(values.runs!), baseline: values.baseline })
    : p === "chat"
    ? await chatBench({ turns: 100, streams: 50, streamSeconds: 20 })
    : p === "cache"
    ? await cacheBench({ seconds, connections: Math.min(16, num(values.connections!)) })
    : await cryptoBench({ seconds: Math.min(seconds, 3) });
  const path = await writeResult(p, { part: p, machine: env, options: values, result });
  console.log(`raw results: ${path}`);
}
