// The functions as the platform loads them: each through its own
// supabase/functions/<name>/deno.json (what `supabase functions serve` and deploy use),
// never through the root deno.json. Every function is type-checked with its own map,
// its pins must equal the root's, and it is booted in a process of its own and
// answers a smoke subset of the HTTP tests, on our Deno and on the Deno release the
// pinned edge runtime embeds (scripts/lib.sh, EDGE_DENO_VERSION).
import assert from "node:assert/strict";
import { env, newUser, request, type TestUser } from "./support.ts";

const root = new URL("../", import.meta.url);
const functionsDir = new URL("supabase/functions/", root);
// The binary, not npm's Node shim (scripts/lib.sh, EDGE_DENO).
const EDGE_DENO = new URL(".local/edge-deno/node_modules/deno/deno", root).pathname;

async function functionNames(): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(functionsDir)) {
    if (e.isDirectory && !e.name.startsWith("_") && !e.name.startsWith(".")) names.push(e.name);
  }
  return names.sort();
}

const importsOf = async (path: URL): Promise<Record<string, string>> =>
  JSON.parse(await Deno.readTextFile(path)).imports ?? {};

const configOf = (name: string) => new URL(`${name}/deno.json`, functionsDir).pathname;

Deno.test("import maps: every function pins exactly what the root deno.json pins", async () => {
  const rootImports = await importsOf(new URL("deno.json", root));
  for (const name of await functionNames()) {
    const imports = await importsOf(new URL(configOf(name), "file://"));
    assert.ok(Object.keys(imports).length > 0, `${name}/deno.json has imports`);
    for (const [key, target] of Object.entries(imports)) {
      assert.equal(
        target,
        rootImports[key],
        `supabase/functions/${name}/deno.json maps ${key} to ${target}; the root deno.json says ${
          rootImports[key] ?? "nothing"
        }`,
      );
    }
  }
});

Deno.test("import maps: every function type-checks with its own deno.json only", async () => {
  for (const name of await functionNames()) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", "--no-lock", "--config", configOf(name), `${name}/index.ts`],
      cwd: functionsDir.pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(
      out.success,
      `${name} does not type-check with its own deno.json:\n${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
});

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** One function served by a process of its own, loaded through its own deno.json. */
async function boot(deno: string, name: string, extraEnv: Record<string, string> = {}) {
  const port = freePort();
  const child = new Deno.Command(deno, {
    args: [
      "run",
      "--allow-all",
      "--no-lock",
      "--config",
      configOf(name),
      new URL("scripts/functions-server.ts", root).pathname,
    ],
    env: { API_PORT: String(port), FUNCTIONS: name, ...extraEnv },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const base = `http://127.0.0.1:${port}/functions/v1`;
  const stop = async () => {
    try {
      child.kill("SIGKILL"); // a graceful stop waits for the pool's idle connections
    } catch {
      // already gone
    }
    const out = await child.output();
    return new TextDecoder().decode(out.stderr);
  };
  // The first boot on a fresh cache downloads the npm packages: allow for it.
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      const res = await fetch(`${base}/${name}`, { method: "OPTIONS" });
      await res.body?.cancel();
      if (res.status === 204) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not boot:\n${await stop()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { base, stop };
}

async function send(base: string, path: string, init: RequestInit & { user?: TestUser } = {}) {
  const headers = new Headers(init.headers);
  if (init.user) headers.set("Authorization", `Bearer ${init.user.token}`);
  if (init.body) headers.set("content-type", "application/json");
  const res = await fetch(`${base}${path}`, { ...init, headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

/** The smoke subset: what proves a function loaded all it needs and reached the database. */
async function smoke(base: string, name: string, user: TestUser) {
  const denied = await send(base, `/${name}`);
  assert.equal(denied.status, 401, `${name} without a token`);
  assert.equal(typeof denied.body.code, "string");
  assert.equal(denied.headers.get("access-control-allow-origin"), "*");
  switch (name) {
    case "health": {
      const r = await send(base, "/health", { user });
      assert.equal(r.status, 200);
      assert.equal(r.body.user_id, user.id);
      break;
    }
    case "trips": {
      const created = await send(base, "/trips", {
        method: "POST",
        user,
        body: JSON.stringify({
          name: "Smoke",
          destination: "Oslo",
          start_date: "2027-01-01",
          end_date: "2027-01-02",
          budget: 10,
        }),
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const got = await send(base, `/trips/${created.body.id}`, { user });
      assert.equal(got.status, 200);
      assert.equal(got.body.name, "Smoke");
      break;
    }
    case "memories": {
      const stored = await send(base, "/memories", {
        method: "POST",
        user,
        body: JSON.stringify({ content: "smoke tests love ramen" }),
      });
      assert.equal(stored.status, 201, JSON.stringify(stored.body));
      const found = await send(base, "/memories/search", {
        method: "POST",
        user,
        body: JSON.stringify({ query: "ramen" }),
      });
      assert.equal(found.status, 200, JSON.stringify(found.body));
      assert.equal(found.body.items[0].content, "smoke tests love ramen");
      break;
    }
    case "api-keys": {
      const list = await send(base, "/api-keys", { user });
      assert.equal(list.status, 200);
      assert.ok(list.body.items.length >= 1);
      const ops = await send(base, "/api-keys/admin/keyring", {
        headers: { apikey: env("SUPABASE_SECRET_KEY") },
      });
      assert.equal(ops.status, 200);
      break;
    }
    default: {
      // A new function answers its base path for a signed-in user, whatever that means.
      const r = await send(base, `/${name}`, { user });
      assert.ok(r.status < 500, `${name}: ${r.status}`);
    }
  }
}

async function smokeAll(deno: string, extraEnv: Record<string, string> = {}) {
  const user = await newUser("platform");
  // The user's OpenAI key (the local one), stored through the main stack.
  const key = await request(user, "POST", "/api-keys", {
    service_name: "openai",
    key_name: "smoke",
    value: env("LOCAL_OPENAI_KEY"),
  });
  assert.equal(key.status, 201);
  for (const name of await functionNames()) {
    const fn = await boot(deno, name, extraEnv);
    try {
      await smoke(fn.base, name, user);
    } catch (e) {
      const log = await fn.stop();
      throw new Error(`${name} on ${deno}: ${e instanceof Error ? e.message : e}\n${log}`);
    }
    await fn.stop();
  }
}

Deno.test("platform: each function boots alone through its own deno.json and answers", async () => {
  await smokeAll(Deno.execPath());
});

Deno.test("platform: the same on the edge runtime's Deno release", async () => {
  const version = new TextDecoder().decode(
    (await new Deno.Command(EDGE_DENO, { args: ["--version"], stdout: "piped" }).output()).stdout,
  );
  assert.match(version, /^deno 2\.1\.4 /, "scripts/install.sh installs the edge runtime's Deno");
  await smokeAll(EDGE_DENO, {
    // Its own cache: another Deno release, another cache layout.
    DENO_DIR: new URL(".local/deno-edge-cache", root).pathname,
    // Older releases read only their bundled roots unless told to use the system's.
    DENO_TLS_CA_STORE: "system,mozilla",
  });
});
