// The functions as the platform loads them: each through its own
// supabase/functions/<name>/deno.json (what `supabase functions serve` and deploy use),
// never through the root deno.json. Every function is type-checked with its own map,
// its pins must equal the root's, and it is booted in a process of its own and
// answers a smoke subset of the HTTP tests, on our Deno and on the Deno release the
// pinned edge runtime embeds (scripts/lib.sh, EDGE_DENO_VERSION).
import assert from "node:assert/strict";
import { functionNames, functionsDir } from "../scripts/function-names.ts";
import { env, newUser, request, type TestUser } from "../harness/stack.ts";
import { boot, configOf } from "../harness/boot.ts";

const root = new URL("../", import.meta.url);
// The binary, not npm's Node shim (scripts/lib.sh, EDGE_DENO).
const EDGE_DENO = new URL(".local/edge-deno/node_modules/deno/deno", root).pathname;

const importsOf = async (path: URL): Promise<Record<string, string>> =>
  JSON.parse(await Deno.readTextFile(path)).imports ?? {};

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
      args: [
        "check",
        "--quiet",
        "--no-lock",
        "--config",
        configOf(name),
        new URL(`${name}/index.ts`, functionsDir).pathname,
      ],
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
    // Its own cache (another Deno release, another cache layout), outside the checkout:
    // from a cache inside it, a package's optional require() (debug's supports-color)
    // walks up into the repository's node_modules, which no deployed function has, and
    // Deno 2.1.4 fails on what it finds there.
    DENO_DIR: `${Deno.env.get("HOME") ?? "/tmp"}/.cache/tripsage/deno-edge-cache`,
    // Older releases read only their bundled roots unless told to use the system's.
    DENO_TLS_CA_STORE: "system,mozilla",
  });
});

Deno.test("env: supabase/functions/.env.example names every variable the functions read", async () => {
  const example = await Deno.readTextFile(new URL(".env.example", functionsDir));
  const documented = new Set(
    [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]),
  );
  const read = new Set<string>();
  const walk = async (dir: URL) => {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory && !e.name.startsWith(".")) await walk(new URL(`${e.name}/`, dir));
      else if (e.name.endsWith(".ts")) {
        const src = await Deno.readTextFile(new URL(e.name, dir));
        // Deno.env.get("X"), envInt("X", ...), base("X", ...), get("X") of the keyring.
        for (const m of src.matchAll(/\b(?:get|envInt|envNumber|base)\("([A-Z][A-Z0-9_]+)"/g)) {
          read.add(m[1]);
        }
      }
    }
  };
  await walk(functionsDir);
  assert.ok(read.has("BYOK_KEYS") && read.has("DB_URL"), "the scan finds what the code reads");
  // The platform sets SUPABASE_*; the file says so instead of listing them as settings.
  const missing = [...read].filter((v) => !v.startsWith("SUPABASE_") && !documented.has(v));
  assert.deepEqual(missing, [], "variables the functions read that .env.example does not name");
});

/** The test database's URL with other connection parameters. */
function dbUrl(params: Record<string, string>): string {
  const url = new URL(env("SUPABASE_DB_URL"));
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

async function sslInUse(connectionString: string): Promise<boolean> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const r = await client.query("select ssl from pg_stat_ssl where pid = pg_backend_pid()");
    return r.rows[0].ssl;
  } finally {
    await client.end();
  }
}

Deno.test("database: the TLS settings a hosted URL needs work against a server with a certificate", async () => {
  const ca = env("STACK_PG_CA");
  // node-postgres reads sslmode=require as verify-full: a certificate it cannot verify fails.
  await assert.rejects(sslInUse(dbUrl({ sslmode: "require" })), /certificate/i);
  // libpq's meaning (encrypt, do not verify), or verification against the server's CA.
  assert.equal(await sslInUse(dbUrl({ sslmode: "require", uselibpqcompat: "true" })), true);
  assert.equal(await sslInUse(dbUrl({ sslmode: "verify-full", sslrootcert: ca })), true);
});

Deno.test("database: through DB_URL (a pooler URL) the statement timeout still applies", async () => {
  const { default: pg } = await import("pg");
  const user = await newUser("pooler");
  // A pooler drops the startup options, so DB_URL gets none: the timeout must come from
  // the request's own transaction. TLS as hosted: verified against the server's CA.
  const fn = await boot(Deno.execPath(), "trips", {
    DB_URL: dbUrl({ sslmode: "verify-full", sslrootcert: env("STACK_PG_CA") }),
    DB_STATEMENT_TIMEOUT_MS: "400",
  });
  const locker = new pg.Client({ connectionString: env("SUPABASE_DB_URL") });
  try {
    const created = await send(fn.base, "/trips", {
      method: "POST",
      user,
      body: JSON.stringify({
        name: "Locked",
        destination: "Oslo",
        start_date: "2027-01-01",
        end_date: "2027-01-02",
        budget: 10,
      }),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    // Another session holds the row: the update waits for the lock until the timeout.
    await locker.connect();
    await locker.query("begin");
    await locker.query("select 1 from public.trips where id = $1 for update", [created.body.id]);
    const started = Date.now();
    const patched = await send(fn.base, `/trips/${created.body.id}`, {
      method: "PATCH",
      user,
      body: JSON.stringify({ name: "Changed" }),
    });
    assert.equal(patched.status, 503, JSON.stringify(patched.body));
    assert.ok(Number(patched.headers.get("retry-after")) > 0);
    assert.ok(Date.now() - started < 5000, "answered after the timeout, not after the lock");
    // The timeout belonged to that transaction only: the next request is fine.
    await locker.query("rollback");
    const after = await send(fn.base, `/trips/${created.body.id}`, {
      method: "PATCH",
      user,
      body: JSON.stringify({ name: "Changed" }),
    });
    assert.equal(after.status, 200);
  } finally {
    await locker.end().catch(() => {});
    await fn.stop();
  }
});

/** Minor page faults of process `pid` so far (/proc/<pid>/stat, field 10). */
async function minorFaults(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // Fields after the command name, which is in parentheses and may hold spaces.
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[7]);
}

Deno.test("database: a backend keeps the memory its sorts free (no page faults per query)", async () => {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: env("SUPABASE_DB_URL") });
  await client.connect();
  try {
    const pid = (await client.query("select pg_backend_pid() as pid")).rows[0].pid;
    // About 1 MB sorted: under glibc's defaults each sort's memory went back to the
    // kernel and came again, 5,420 faults for 20 (scripts/cluster.sh, cluster_start).
    const sort =
      "select count(*) from (select g from generate_series(1, 20000) g order by g desc) s";
    for (let i = 0; i < 3; i++) await client.query(sort);
    const before = await minorFaults(pid);
    for (let i = 0; i < 20; i++) await client.query(sort);
    const faults = (await minorFaults(pid)) - before;
    assert.ok(
      faults < 200,
      `${faults} page faults for 20 sorts (a server started without cluster_start's MALLOC_* ` +
        `variables? restart the stack)`,
    );
  } finally {
    await client.end();
  }
});
