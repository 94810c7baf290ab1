// Creates the local stack's keys once (kept in .local/keys/) and writes the
// settings of one profile as KEY=value lines to <state>/stack.env: the variables
// the hosted platform gives every function, plus what clients and tests need.
//
// Usage: deno run -A scripts/stack-env.ts   (inputs come from the environment:
// PROFILE, STATE, KEYS, API_PORT, DB_URL, EMBED_PORT, REDIS_PORT, PGLOG, SUPABASE_BIN)

const need = (name: string): string => {
  const v = Deno.env.get(name);
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const profile = need("PROFILE");
const state = need("STATE");
const keysDir = need("KEYS");
const apiPort = need("API_PORT");
const dbUrl = need("DB_URL");
const embedPort = need("EMBED_PORT");
const redisPort = need("REDIS_PORT");

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

const randomToken = (bytes: number) =>
  btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(bytes))))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

async function writeSecret(path: string, text: string) {
  await Deno.writeTextFile(path, text, { mode: 0o600 });
}

/** The ES256 signing key, generated once with the Supabase CLI. */
async function signingKey(): Promise<JsonWebKey & { kid: string }> {
  const path = `${keysDir}/signing_key.json`;
  if (!(await exists(path))) {
    const out = await new Deno.Command(need("SUPABASE_BIN"), {
      args: ["gen", "signing-key", "--algorithm", "ES256"],
      stdout: "piped",
      stderr: "piped",
      cwd: `${keysDir}`,
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const line = text.split("\n").find((l) => l.trim().startsWith("{"));
    if (!out.success || !line) {
      throw new Error(`supabase gen signing-key failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    await writeSecret(path, JSON.stringify(JSON.parse(line), null, 2) + "\n");
  }
  return JSON.parse(await Deno.readTextFile(path));
}

/** Secrets made once with a fresh random value each: API keys, keyrings. */
async function secrets(): Promise<Record<string, string>> {
  const path = `${keysDir}/secrets.json`;
  const current: Record<string, string> = (await exists(path))
    ? JSON.parse(await Deno.readTextFile(path))
    : {};
  const wanted: Record<string, () => string> = {
    publishable_key: () => `sb_publishable_${randomToken(24)}`,
    secret_key: () => `sb_secret_${randomToken(24)}`,
    local_openai_key: () => `sk-local-${randomToken(24)}`,
    byok_key_0: () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))),
    byok_key_1: () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))),
  };
  let changed = false;
  for (const [name, make] of Object.entries(wanted)) {
    if (!current[name]) {
      current[name] = make();
      changed = true;
    }
  }
  if (changed) await writeSecret(path, JSON.stringify(current, null, 2) + "\n");
  return current;
}

await Deno.mkdir(keysDir, { recursive: true });
const key = await signingKey();
const s = await secrets();
// The public half only: drop the private scalar and the signing operation.
const { d: _private, key_ops: _ops, ...publicJwk } = key as JsonWebKey & { kid: string };
const supabaseUrl = `http://127.0.0.1:${apiPort}`;

/**
 * The BYOK keyring. The test stack also holds a retired key, k0, so tests can rotate
 * rows off it. Other stacks use .local/keys/keyring.json when it exists (a rotated
 * keyring kept across restarts: {"keys": {"k1": "...", "k2": "..."}, "active_kid": "k2"}),
 * and BYOK_KEYS / BYOK_ACTIVE_KID from the environment win over both (the scripts
 * clear them for throwaway stacks).
 */
async function byokKeyring(): Promise<{ keys: Record<string, string>; active_kid: string }> {
  if (profile === "test") return { keys: { k0: s.byok_key_0, k1: s.byok_key_1 }, active_kid: "k1" };
  const path = `${keysDir}/keyring.json`;
  const kept = (await exists(path)) ? JSON.parse(await Deno.readTextFile(path)) : null;
  const keys = Deno.env.get("BYOK_KEYS")
    ? JSON.parse(Deno.env.get("BYOK_KEYS")!)
    : kept?.keys ?? { k1: s.byok_key_1 };
  const active_kid = Deno.env.get("BYOK_ACTIVE_KID") || kept?.active_kid || "k1";
  return { keys, active_kid };
}
const keyring = await byokKeyring();

const UNLIMITED = "999999999/60";

const settings: Record<string, string> = {
  SUPABASE_URL: supabaseUrl,
  SUPABASE_FUNCTIONS_URL: `${supabaseUrl}/functions/v1`,
  SUPABASE_DB_URL: dbUrl,
  SUPABASE_JWKS: JSON.stringify({ keys: [{ ...publicJwk, key_ops: ["verify"] }] }),
  SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: s.publishable_key }),
  SUPABASE_SECRET_KEYS: JSON.stringify({ default: s.secret_key }),
  SUPABASE_PUBLISHABLE_KEY: s.publishable_key,
  SUPABASE_SECRET_KEY: s.secret_key,
  SIGNING_KEY_PATH: `${keysDir}/signing_key.json`,
  // npm run eval:memory may aim the functions at another OpenAI-compatible endpoint.
  OPENAI_BASE_URL: (profile === "eval" && Deno.env.get("EVAL_OPENAI_BASE_URL")) ||
    `http://127.0.0.1:${embedPort}/v1`,
  LOCAL_OPENAI_KEY: s.local_openai_key,
  BYOK_KEYS: JSON.stringify(keyring.keys),
  BYOK_ACTIVE_KID: keyring.active_kid,
  DB_POOL_MAX: "10",
  // Every request line: the platform's log limits do not apply locally.
  LOG_SAMPLE_RATE: "1",
  LOG_SAMPLED_PER_10S: "1000000",
  API_PORT: apiPort,
  EMBED_PORT: embedPort,
  // The stack's own Redis: cache and rate limits (docs/cache.md).
  CACHE_URL: `redis://127.0.0.1:${redisPort}`,
  REDIS_PORT: redisPort,
  // The dev stack keeps the defaults users get. Benchmarks, fault scripts and the eval
  // measure throughput, not the limits; tests reach the chat limit in a few messages.
  ...(profile === "dev" ? {} : {
    RATE_LIMIT_CHAT: profile === "test" ? "8/60" : UNLIMITED,
    RATE_LIMIT_MEMORY_WRITE: UNLIMITED,
    RATE_LIMIT_EMBEDDING: UNLIMITED,
    RATE_LIMIT_DEFAULT: UNLIMITED,
  }),
  // Provider calls give up after this; short in tests that inject latency.
  UPSTREAM_TIMEOUT_MS: profile === "test" || profile === "reliability" ? "1500" : "10000",
  // The local server runs the chat sweep on this period, as pg_cron would on hosted;
  // tests call the sweep themselves, when they choose.
  CHAT_SWEEP_INTERVAL_MS: profile === "test" ? "0" : "60000",
  // Tests watch keep-alives and the reply deadline without waiting 15 s or 2 minutes,
  // and give the cache more time than 50 ms: on a loaded 2-core machine a busy event
  // loop would otherwise trip the breaker and make cache hits a matter of luck.
  ...(profile === "test"
    ? { CHAT_KEEPALIVE_MS: "300", CHAT_DEADLINE_MS: "3000", CACHE_TIMEOUT_MS: "250" }
    : {}),
  // Where tests find the logs they scan for leaked secrets.
  STACK_STATE: state,
  STACK_PG_LOG: need("PGLOG"),
  // The CA of the cluster's TLS certificate (scripts/cluster.sh, cluster_tls).
  STACK_PG_CA: `${need("PGLOG").replace(/postgres\.log$/, "")}tls/ca.crt`,
};

// Single quotes keep JSON values intact for `set -a; . stack.env`, dotenv
// parsers and `deno --env-file`; no value contains a single quote.
const lines = Object.entries(settings).map(([k, v]) =>
  /^[A-Za-z0-9_.:/@+-]*$/.test(v) ? `${k}=${v}` : `${k}='${v}'`
);
await writeSecret(`${state}/stack.env`, lines.join("\n") + "\n");

/**
 * The developer stack also writes supabase/functions/.env, once, for the Docker path
 * (`supabase start` + `supabase functions serve`, which reads that file): the dev
 * keyring, and the issuer of the tokens the CLI's Auth issues, which differs from the
 * SUPABASE_URL the functions see there (http://kong:8000). Never overwritten.
 */
async function writeFunctionsEnv() {
  const path = new URL("../supabase/functions/.env", import.meta.url);
  if (await exists(path.pathname)) return;
  const text = [
    "# Written by npm run dev for `supabase functions serve` (see .env.example); kept as edited.",
    "# Delete it to have npm run dev write it again.",
    `BYOK_KEYS='${JSON.stringify(keyring.keys)}'`,
    `BYOK_ACTIVE_KID=${keyring.active_kid}`,
    "AUTH_ISSUER=http://127.0.0.1:54321/auth/v1",
    "",
  ].join("\n");
  await writeSecret(path.pathname, text);
}
if (profile === "dev") await writeFunctionsEnv();
console.log(lines.join("\n"));
