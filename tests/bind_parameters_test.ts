// The functions' Postgres clients (_shared/db.ts) send values as bind parameters of a
// pipelined transaction: hostile values arrive as sent, pg_stat_statements records our
// placeholders, a request is one round trip, and an error leaves the connection clean.
import assert from "node:assert/strict";
import net from "node:net";
import pg from "pg";
import { adminClient, rlsClient } from "../supabase/functions/_shared/db.ts";
import { env } from "../harness/stack.ts";

const HOSTILE = [
  "",
  "it's",
  "''",
  "back\\slash",
  "\\'; drop table public.trips; --",
  "E'\\x41'",
  "$1",
  "$$ dollar $$",
  "$tag$",
  'double "quotes"',
  "new\nline\ttab",
  "🧳✈️ ünïcödé",
  "{braces},commas",
  "NULL",
  "-- comment",
  "/* block */",
];

// The functions' pools live as long as their process (db.ts has no way to end one, and
// needs none): the tests keep theirs open, so Deno's leak checks are off for them.
const options = (max = 1) => ({ max, checkoutTimeoutMs: 5_000, statementTimeoutMs: 4_321 });
const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, fn, sanitizeOps: false, sanitizeResources: false });

/**
 * A TCP proxy in front of Postgres that counts round trips: it holds what the client
 * writes until the client has been quiet for `QUIET_MS`, then forwards it as one burst.
 * A client that waits for an answer before writing again makes one burst per wait; a
 * pipelined transaction is one burst.
 */
const QUIET_MS = 50;

async function roundTripCounter() {
  const upstream = new URL(env("SUPABASE_DB_URL"));
  let bursts = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const db = net.connect(Number(upstream.port || 5432), upstream.hostname);
    sockets.add(client).add(db);
    let held: Uint8Array[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    client.on("data", (chunk) => {
      held.push(chunk);
      clearTimeout(timer);
      timer = setTimeout(() => {
        bursts++;
        for (const c of held) db.write(c);
        held = [];
      }, QUIET_MS);
    });
    db.on("data", (chunk) => client.write(chunk));
    const close = () => {
      clearTimeout(timer);
      client.destroy();
      db.destroy();
    };
    client.on("close", close).on("error", close);
    db.on("close", close).on("error", close);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  const url = new URL(upstream);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  return {
    url: url.toString(),
    /** Bursts the client has written since the last call. */
    take() {
      const n = bursts;
      bursts = 0;
      return n;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

test("bind parameters: hostile strings, arrays, JSON and bytes arrive as sent", async () => {
  const db = adminClient(env("SUPABASE_DB_URL"), options(2));
  for (const v of HOSTILE) {
    const [row] = await db.queryRaw<{ t: string; n: number }>(
      "select $1::text as t, octet_length($1::text) as n",
      [v],
    );
    assert.equal(row.t, v, JSON.stringify(v));
    assert.equal(row.n, new TextEncoder().encode(v).length);
  }
  const [arr] = await db.queryRaw<{ a: (string | null)[] }>("select $1::text[] as a", [
    [...HOSTILE, null],
  ]);
  assert.deepEqual(arr.a, [...HOSTILE, null]);
  const doc = { k: HOSTILE, n: 1.5, nested: { "q'": "\\" } };
  const [json] = await db.query<{ j: unknown }>`select ${doc}::jsonb as j`;
  assert.deepEqual(json.j, doc);
  const [bytes] = await db.query<{ b: Uint8Array }>`select ${new Uint8Array([
    0,
    39,
    255,
  ])}::bytea as b`;
  assert.deepEqual([...bytes.b], [0, 39, 255]);
  const [many] = await db.queryRaw<{ a: number; b: boolean; c: null }>(
    "select $1::int as a, $2::bool as b, $3::text as c",
    [42, false, null],
  );
  assert.deepEqual(many, { a: 42, b: false, c: null });
});

test("bind parameters: pg_stat_statements records our placeholders, not the values", async () => {
  const db = adminClient(env("SUPABASE_DB_URL"), options(2));
  const marker = `bind_probe_${crypto.randomUUID().replaceAll("-", "")}`;
  const secret = `it's $1 -- ${crypto.randomUUID()}`;
  const text = `select $1::text as v, $2::int as n /* ${marker} */`;
  // An entry keeps the text of its first run, and comments do not make a new entry:
  // the earlier runs' entry goes first.
  await db.queryRaw(
    `select extensions.pg_stat_statements_reset(0, 0, queryid) from extensions.pg_stat_statements
      where query like 'select $1::text as v, $2::int as n /* bind\_probe\_%'`,
  );
  await db.queryRaw(text, [secret, 7]);
  const seen = await db.queryRaw<{ query: string }>(
    `select query from extensions.pg_stat_statements where query like $1`,
    [`%${marker}%`],
  );
  assert.deepEqual(seen.map((s) => s.query), [text]);
  // What the server is running is our text, placeholders and all (an inlined value
  // would show in it).
  const own =
    "select $1::text as v, query from pg_catalog.pg_stat_activity where pid = pg_catalog.pg_backend_pid()";
  const [running] = await db.queryRaw<{ v: string; query: string }>(own, [secret]);
  assert.deepEqual(running, { v: secret, query: own });
  const leaked = await db.queryRaw(
    `select 1 from extensions.pg_stat_statements where strpos(query, $1) > 0`,
    [secret],
  );
  assert.equal(leaked.length, 0);
});

test("bind parameters: a request is one round trip, as the user and as admin", async () => {
  const proxy = await roundTripCounter();
  try {
    const user = crypto.randomUUID();
    const asUser = rlsClient(
      proxy.url,
      options(),
      { sub: user, role: "authenticated" },
      "authenticated",
    );
    const admin = adminClient(proxy.url, options());
    // The first query of a pool also connects (startup, authentication).
    await asUser.queryRaw("select 1");
    await admin.queryRaw("select 1");
    proxy.take();

    const [who] = await asUser.queryRaw<{ uid: string; role: string; timeout: string }>(
      "select auth.uid()::text as uid, current_user as role, current_setting('statement_timeout') as timeout where $1::int = 1",
      [1],
    );
    assert.deepEqual(who, { uid: user, role: "authenticated", timeout: "4321ms" });
    assert.equal(proxy.take(), 1, "settings, query and commit in one burst");
    await admin.query`select ${"x"}::text as t`;
    assert.equal(proxy.take(), 1);

    // The control: the same statements, each awaited, are one burst each.
    const c = new pg.Client({ connectionString: proxy.url });
    await c.connect();
    proxy.take();
    await c.query("begin");
    await c.query("select pg_catalog.set_config('statement_timeout', $1, true)", ["1000"]);
    await c.query("select $1::text", ["x"]);
    await c.query("commit");
    assert.equal(proxy.take(), 4);
    await c.end();
  } finally {
    await proxy.close();
  }
});

test("bind parameters: an error rolls back and leaves nothing behind on the connection", async () => {
  const url = env("SUPABASE_DB_URL");
  const user = crypto.randomUUID();
  // One connection: what the failed transaction leaves, the next request would see.
  const asUser = rlsClient(url, options(), { sub: user, role: "authenticated" }, "authenticated");
  await assert.rejects(
    asUser.queryRaw("select 1 / $1::int", [0]),
    (e: { code?: string }) => e.code === "22012",
  );
  await assert.rejects(
    asUser.queryRaw("select * from private.memory_counts"),
    (e: { code?: string }) => e.code === "42501",
  );
  const [after] = await asUser.queryRaw<{ uid: string }>("select auth.uid()::text as uid");
  assert.equal(after.uid, user);

  // Settings are local to each transaction: the connection's own role and no claims after.
  const admin = adminClient(url, options());
  await admin.queryRaw("select 1");
  const [clean] = await admin.queryRaw<{ claims: string | null; role: string }>(
    "select nullif(current_setting('request.jwt.claims', true), '') as claims, current_user as role",
  );
  assert.equal(clean.claims, null);
  assert.notEqual(clean.role, "authenticated");
});
