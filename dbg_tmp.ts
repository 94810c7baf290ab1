import { env } from "./tests/support.ts";
const url = new URL(env("SUPABASE_DB_URL"));
url.searchParams.set("sslmode", "verify-full");
url.searchParams.set("sslrootcert", env("STACK_PG_CA"));
const child = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--allow-all",
    "--no-lock",
    "--config",
    "supabase/functions/trips/deno.json",
    "scripts/functions-server.ts",
  ],
  env: {
    API_PORT: "45998",
    FUNCTIONS: "trips",
    DB_URL: url.toString(),
    DB_STATEMENT_TIMEOUT_MS: "400",
  },
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
await new Promise((r) => setTimeout(r, 3000));
const tok = new TextDecoder().decode(
  (await new Deno.Command("npm", {
    args: ["run", "-s", "token", "--", "dbg@x.io"],
    env: { STACK_PROFILE: "test" },
    stdout: "piped",
  }).output()).stdout,
).trim();
const r = await fetch("http://127.0.0.1:45998/functions/v1/trips", {
  method: "POST",
  headers: { authorization: `Bearer ${tok}`, "content-type": "application/json" },
  body: JSON.stringify({
    name: "L",
    destination: "O",
    start_date: "2027-01-01",
    end_date: "2027-01-02",
    budget: 1,
  }),
  signal: AbortSignal.timeout(5000),
});
console.log(r.status, await r.text());
const { default: pg } = await import("pg");
const id = JSON.parse(
  await (await fetch("http://127.0.0.1:45998/functions/v1/trips", {
    headers: { authorization: `Bearer ${tok}` },
  })).text(),
).items[0].id;
const locker = new pg.Client({ connectionString: env("SUPABASE_DB_URL") });
await locker.connect();
await locker.query("begin");
await locker.query("select 1 from public.trips where id = $1 for update", [id]);
console.log("locked", id);
const t = Date.now();
const p = await fetch(`http://127.0.0.1:45998/functions/v1/trips/${id}`, {
  method: "PATCH",
  headers: { authorization: `Bearer ${tok}`, "content-type": "application/json" },
  body: JSON.stringify({ name: "X" }),
  signal: AbortSignal.timeout(8000),
}).then(async (r) => [r.status, await r.text()]).catch((e) => ["err", String(e)]);
console.log(Date.now() - t, p);
await locker.query("rollback");
await locker.end();
child.kill("SIGKILL");
