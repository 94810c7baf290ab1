// Each function's deployable size and cold start (npm run bench -- startup).
//
// Size, two ways, both gzip-compressed:
// - deployed: what the platform's bundler packs, an eszip holding the function's local
//   modules and every npm package of its resolution, each package folder whole
//   (supabase/edge-runtime crates/deno_facade/eszip/vfs.rs, build_npm_vfs:
//   add_dir_recursive per package). The server-side bundler refuses over 5 MB.
// - graph: the modules the function actually reaches (deno bundle, not minified).
// Cold start: a fresh process loading the function through its own deno.json:
// runtime boot, module import, first request (the first database connection included).
// The process gets a copy of the root deno.lock: a deployed function carries its npm
// resolution in the eszip, so resolving versions at startup (~10 ms per npm package
// without a lock, dynamic imports included) is a cost of the CLI, not of the platform.

import { functionNames } from "../scripts/function-names.ts";
import { worktree } from "./worktree.ts";
import { percentile, table } from "../harness/measure.ts";
import { benchUser } from "../harness/stack.ts";

const root = new URL("../", import.meta.url);
const deno = Deno.execPath();

/** The first request of each function: its main read route for a signed-in user. */
const FIRST_REQUEST: Record<string, string> = {
  health: "/health",
  trips: "/trips",
  memories: "/memories",
  "api-keys": "/api-keys",
  chat: "/chat/sessions",
};

function firstRequest(name: string): string {
  const path = FIRST_REQUEST[name];
  if (!path) throw new Error(`${name}: no first request in bench/startup.ts FIRST_REQUEST`);
  return path;
}

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return out.stdout;
}

async function gzipSize(bytes: Uint8Array<ArrayBuffer>): Promise<number> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

interface GraphInfo {
  modules: { specifier: string; local?: string }[];
  npmPackages: Record<string, { name: string; version: string }>;
}

/** The eszip's content, as one gzip-compressed tar of the same files. */
async function deployedSize(name: string, entry: string, config: string): Promise<number> {
  const info: GraphInfo = JSON.parse(
    new TextDecoder().decode(
      await run(deno, ["info", "--json", "--no-lock", "--config", config, entry]),
    ),
  );
  const denoDir = Deno.env.get("DENO_DIR") ?? new URL(".local/deno", root).pathname;
  const npmRoot = `${denoDir}/npm/registry.npmjs.org`;
  const files = [
    ...info.modules.filter((m) => m.specifier.startsWith("file:") && m.local).map((m) => m.local!),
    ...Object.values(info.npmPackages).map((p) => `${npmRoot}/${p.name}/${p.version}`),
  ];
  const tar = await run("tar", ["czf", "-", "--absolute-names", ...files]);
  if (tar.byteLength === 0) throw new Error(`${name}: empty archive`);
  return tar.byteLength;
}

async function graphSize(entry: string, config: string): Promise<number> {
  const out = await Deno.makeTempFile({ suffix: ".js" });
  try {
    await run(deno, [
      "bundle",
      "--quiet",
      "--no-lock",
      "--config",
      config,
      "--platform",
      "deno",
      "-o",
      out,
      entry,
    ]);
    return await gzipSize(await Deno.readFile(out));
  } finally {
    await Deno.remove(out);
  }
}

interface Probe {
  status: number;
  boot_ms: number;
  import_ms: number;
  first_request_ms: number;
}

const MB = (n: number) => Math.round(n / 10_000) / 100;
const p50 = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);

/** A function of one checkout: its entry, its deno.json, the lock it runs with. */
interface Version {
  label: string;
  functions: URL;
  lock: string;
}

async function version(label: string, checkout: URL): Promise<Version> {
  // A copy: running with another config may rewrite the lock's workspace section.
  const lock = await Deno.makeTempFile({ suffix: ".lock" });
  await Deno.copyFile(new URL("deno.lock", checkout), lock);
  return { label, functions: new URL("supabase/functions/", checkout), lock };
}

async function measure(v: Version, name: string, runs: number, token: string) {
  const entry = new URL(`${name}/index.ts`, v.functions);
  const config = new URL(`${name}/deno.json`, v.functions).pathname;
  const deployed = await deployedSize(name, entry.pathname, config);
  const graph = await graphSize(entry.pathname, config);
  const probes: (Probe & { total_ms: number })[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const out = await run(deno, [
      "run",
      "--allow-all",
      `--lock=${v.lock}`,
      "--config",
      config,
      new URL("bench/startup_probe.ts", root).pathname,
      entry.href,
      firstRequest(name),
    ], { TOKEN: token, LOG_SAMPLE_RATE: "0" });
    const probe: Probe = JSON.parse(new TextDecoder().decode(out).trim().split("\n").at(-1)!);
    if (probe.status >= 400) {
      throw new Error(`${v.label} ${name}: first request answered ${probe.status}`);
    }
    probes.push({ ...probe, total_ms: performance.now() - started });
  }
  const importMs = p50(probes.map((p) => p.import_ms));
  return {
    raw: { deployed_bytes: deployed, graph_bytes: graph, probes },
    row: {
      function: name,
      code: v.label,
      deployed_mb_gz: MB(deployed),
      graph_mb_gz: MB(graph),
      boot_ms: p50(probes.map((p) => p.boot_ms)),
      import_ms: importMs,
      first_request_ms: p50(probes.map((p) => p.first_request_ms)),
      process_to_answer_ms: p50(probes.map((p) => p.total_ms)),
      within_targets: deployed < 3e6 && importMs < 100 ? "yes" : "no",
    },
  };
}

/**
 * Every function of this checkout; with `baseline` (a git ref), the same function of
 * that checkout right after it, in the same run.
 */
export async function startupBench(opts: { runs: number; baseline?: string }) {
  const user = await benchUser("bench-startup@example.com");
  const versions = [await version("current", root)];
  if (opts.baseline) versions.push(await version(opts.baseline, await worktree(opts.baseline)));
  const rows = [];
  const raw: Record<string, unknown> = {};
  for (const name of await functionNames()) {
    for (const v of versions) {
      try {
        await Deno.stat(new URL(`${name}/index.ts`, v.functions));
      } catch {
        continue; // not a function of that checkout
      }
      const m = await measure(v, name, opts.runs, user.token);
      raw[`${v.label}:${name}`] = m.raw;
      rows.push(m.row);
    }
  }
  for (const v of versions) await Deno.remove(v.lock);
  table(
    `startup: size (gzip) and cold start, p50 of ${opts.runs} fresh processes per function ` +
      "(targets: deployed < 3 MB, import < 100 ms)",
    rows,
  );
  return { rows, raw };
}
