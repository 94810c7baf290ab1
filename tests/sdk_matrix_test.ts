// The SDK matrix: every function, a streamed chat reply included, called through
// supabase-js `functions.invoke` with its `region` option (tests/sdk/calls.js), from
// Deno, from Node 20 (with the `ws` package supabase-js needs there) and Node 22, and
// from headless Chromium on another origin, each with our supabase-js (deno.json) and
// a newer release. Node versions the machine lacks come from npm's `node` package;
// the Node-side packages are installed into .local/sdk/ (git-ignored) on first use.
import assert from "node:assert/strict";
import { createClient as ours, FunctionRegion } from "@supabase/supabase-js";
import { createClient as newer } from "@supabase/supabase-js-newer";
import { chromium } from "playwright-core";
import { callEveryFunction } from "./sdk/calls.js";
import { env, type TestUser, userWithKey } from "../harness/stack.ts";

/** Our pinned release (deno.json) and a newer one, pinned here. */
const SDK = { ours: "2.119.1", newer: "2.119.2" } as const;
const WS = "8.23.1";
/** Node releases of npm's `node` package, for a machine that lacks one of the majors. */
const NODE = { 20: "20.9.0", 22: "22.23.3" } as const;

const ROOT = new URL("../", import.meta.url).pathname;
const SDK_DIR = `${ROOT}.local/sdk`;
const CALLS = new URL("./sdk/calls.js", import.meta.url).pathname;

const EXPECTED = [
  "health 200",
  "create a trip 201",
  "list trips 200",
  "read the trip 200",
  "patch the trip 200",
  "my invitations 200",
  "store a memory 201",
  "search memories 200",
  "list memories 200",
  "list keys 200",
  "open a chat 201",
  "chat reply (streamed) 200",
  "chat stream complete",
  "delete the trip 204",
];

async function run(cmd: string, args: string[], opts: { cwd?: string } = {}) {
  const out = await new Deno.Command(cmd, { args, ...opts, stdout: "piped", stderr: "piped" })
    .output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}:\n${text(out.stderr)}`);
  return text(out.stdout);
}

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

/** `npm install` of `packages` into `dir` unless `marker` is there already. */
async function npmInstall(dir: string, marker: string, packages: string[]) {
  if (await exists(`${dir}/${marker}`)) return;
  await Deno.mkdir(dir, { recursive: true });
  await run("npm", [
    "install",
    "--no-save",
    "--no-audit",
    "--no-fund",
    "--prefix",
    dir,
    ...packages,
  ]);
}

/** A Node binary of `major`: the machine's when it is that major, else npm's package. */
async function nodeBinary(major: 20 | 22): Promise<string> {
  const system = (await run("node", ["--version"]).catch(() => "")).trim();
  if (system.startsWith(`v${major}.`)) return "node";
  const dir = `${SDK_DIR}/node${major}`;
  await npmInstall(dir, "node_modules/node/bin/node", [`node@${NODE[major]}`]);
  return `${dir}/node_modules/node/bin/node`;
}

/** supabase-js `version` (and ws) installed for Node; the folder. */
async function nodeSdk(version: string): Promise<string> {
  const dir = `${SDK_DIR}/supabase-js-${version}`;
  await npmInstall(dir, "node_modules/@supabase/supabase-js/package.json", [
    `@supabase/supabase-js@${version}`,
    `ws@${WS}`,
  ]);
  return dir;
}

function settings(user: TestUser) {
  return { url: env("SUPABASE_URL"), key: env("SUPABASE_PUBLISHABLE_KEY"), token: user.token };
}

async function fromNode(major: 20 | 22, version: string, user: TestUser): Promise<string[]> {
  const [node, dir] = await Promise.all([nodeBinary(major), nodeSdk(version)]);
  const runner = `${dir}/run-${major}.mjs`;
  // Node 20 has no WebSocket of its own: supabase-js needs `ws` as its transport.
  await Deno.writeTextFile(
    runner,
    `import { createClient, FunctionRegion } from "@supabase/supabase-js";
import WebSocket from "ws";
import { callEveryFunction } from ${JSON.stringify(CALLS)};
const { url, key, token } = JSON.parse(process.argv[2]);
const supabase = createClient(url, key, {
  accessToken: async () => token,
  ${major < 22 ? "realtime: { transport: WebSocket }," : ""}
});
console.log(JSON.stringify(await callEveryFunction(supabase, FunctionRegion.UsEast1)));
`,
  );
  const out = await run(node, [runner, JSON.stringify(settings(user))], { cwd: dir });
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

function fromDeno(which: keyof typeof SDK, user: TestUser): Promise<string[]> {
  const { url, key, token } = settings(user);
  const options = { accessToken: () => Promise.resolve(token) };
  const supabase = which === "ours" ? ours(url, key, options) : newer(url, key, options);
  return callEveryFunction(supabase, FunctionRegion.UsEast1);
}

async function fromChromium(version: string, user: TestUser): Promise<string[]> {
  const dir = await nodeSdk(version);
  const bundle = await Deno.readTextFile(
    `${dir}/node_modules/@supabase/supabase-js/dist/umd/supabase.js`,
  );
  const calls = await Deno.readTextFile(CALLS);
  const page = `<!doctype html><meta charset="utf-8"><title>SDK</title>
<script src="/supabase.js"></script>
<script type="module">
  import { callEveryFunction } from "/calls.js";
  const { url, key, token } = JSON.parse(decodeURIComponent(location.hash.slice(1)));
  const { createClient, FunctionRegion } = window.supabase;
  const supabase = createClient(url, key, { accessToken: async () => token });
  callEveryFunction(supabase, FunctionRegion.UsEast1)
    .then((lines) => (window.result = { lines }), (e) => (window.result = { error: String(e) }));
</script>`;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/supabase.js" || path === "/calls.js") {
      return new Response(path === "/calls.js" ? calls : bundle, {
        headers: { "content-type": "text/javascript; charset=utf-8" },
      });
    }
    return new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } });
  });
  const browser = await chromium.launch({
    executablePath: Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox"],
  });
  try {
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await tab.goto(
      `http://127.0.0.1:${server.addr.port}/#${encodeURIComponent(JSON.stringify(settings(user)))}`,
    );
    await tab.waitForFunction("window.result !== undefined", undefined, { timeout: 60_000 });
    const result = await tab.evaluate("window.result") as { lines?: string[]; error?: string };
    if (result.error) throw new Error(`${result.error}\n${errors.join("\n")}`);
    return result.lines!;
  } finally {
    await browser.close();
    await server.shutdown();
  }
}

Deno.test("SDK matrix: the versions named here are the ones deno.json pins", async () => {
  const imports = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).imports;
  assert.equal(imports["@supabase/supabase-js"], `npm:@supabase/supabase-js@${SDK.ours}`);
  assert.equal(imports["@supabase/supabase-js-newer"], `npm:@supabase/supabase-js@${SDK.newer}`);
});

for (const [which, version] of Object.entries(SDK) as [keyof typeof SDK, string][]) {
  Deno.test({
    name: `SDK matrix: supabase-js ${version} (${which}) from Deno, Node 20, Node 22 and Chromium`,
    sanitizeResources: false, // the browser's and the page server's handles
    sanitizeOps: false,
    async fn() {
      // A user per runtime: each starts from nothing, as a new app user would.
      const user = () => userWithKey(`sdk-${which}`);
      const seen: Record<string, string[]> = {
        deno: await fromDeno(which, await user()),
        "node 20": await fromNode(20, version, await user()),
        "node 22": await fromNode(22, version, await user()),
        chromium: await fromChromium(version, await user()),
      };
      for (const [runtime, lines] of Object.entries(seen)) {
        assert.deepEqual(lines, EXPECTED, runtime);
      }
    },
  });
}
