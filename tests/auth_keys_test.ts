// Where the functions find the project's signing keys and secret API keys
// (supabase/functions/_shared/auth.ts), with real jose keys and a real JWKS endpoint
// over HTTP: each variable's precedence, plain http only to this machine, a key set
// that cannot be fetched is a 503 (not the caller's fault), HS256 only with the
// project's own shared key, and secret keys compared whole. Also: our CORS headers
// stay in step with the list supabase-js sends.

import assert from "node:assert/strict";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { corsHeaders } from "@supabase/supabase-js/cors";
import { verifySecretKey, verifyUser } from "../supabase/functions/_shared/auth.ts";
import { ApiError } from "../supabase/functions/_shared/errors.ts";
import { CORS_HEADERS } from "../supabase/functions/_shared/serve.ts";

const VARS = [
  "SUPABASE_JWKS",
  "SUPABASE_JWKS_URL",
  "SUPABASE_PUBLIC_URL",
  "SUPABASE_URL",
  "SUPABASE_SECRET_KEYS",
  "SUPABASE_SECRET_KEY",
];

/** Runs `fn` with exactly `vars` among VARS set, then puts the process's values back. */
async function withEnv(vars: Record<string, string>, fn: () => Promise<void>) {
  const saved = new Map(VARS.map((v) => [v, Deno.env.get(v)]));
  for (const v of VARS) Deno.env.delete(v);
  for (const [k, v] of Object.entries(vars)) Deno.env.set(k, v);
  try {
    await fn();
  } finally {
    for (const [k, v] of saved) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  }
}

const ISSUER = "http://127.0.0.1:9/auth/v1";
const checks = { audience: "authenticated", issuer: ISSUER };
let serial = 0;

/** A fresh token (never seen, so never answered from the verified-token cache). */
function token(key: CryptoKey | Uint8Array, header: { alg: string; kid?: string }, claims = {}) {
  return new SignJWT({
    role: "authenticated",
    n: ++serial,
    sub: crypto.randomUUID(),
    aud: "authenticated",
    iss: ISSUER,
    ...claims,
  })
    .setProtectedHeader({ typ: "JWT", ...header })
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(key);
}

const bearer = (t: string, extra: Record<string, string> = {}) =>
  new Request("http://localhost/x", { headers: { Authorization: `Bearer ${t}`, ...extra } });

async function failure(p: Promise<unknown>, what = "the call"): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ApiError, `an ApiError, not ${e}`);
    return e;
  }
  assert.fail(`${what}: expected a refusal`);
}

const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
const publicJwk: JWK = { ...await exportJWK(publicKey), kid: "k1", alg: "ES256" };
const keySet = JSON.stringify({ keys: [publicJwk] });

/** A JWKS endpoint on a loopback port; `fail` makes it answer 500. */
function jwksServer(body: () => string, state = { fail: false, hits: 0 }) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    state.hits++;
    return state.fail
      ? new Response("down", { status: 500 })
      : new Response(body(), { headers: { "content-type": "application/json" } });
  });
  return { server, state, url: `http://127.0.0.1:${server.addr.port}` };
}

Deno.test("auth keys: SUPABASE_JWKS inline verifies; a malformed one is not skipped for another source", async () => {
  await withEnv({ SUPABASE_JWKS: keySet }, async () => {
    const claims = await verifyUser(
      bearer(await token(privateKey, { alg: "ES256", kid: "k1" })),
      checks,
    );
    assert.equal(claims.role, "authenticated");
    const stranger = await generateKeyPair("ES256");
    const forged = await failure(
      verifyUser(bearer(await token(stranger.privateKey, { alg: "ES256", kid: "k1" })), checks),
    );
    assert.equal(forged.status, 401);
    assert.equal(forged.code, "INVALID_JWT");
  });
  const { server, url } = jwksServer(() => keySet);
  try {
    await withEnv({ SUPABASE_JWKS: "{not json", SUPABASE_JWKS_URL: `${url}/jwks` }, async () => {
      const e = await failure(
        verifyUser(bearer(await token(privateKey, { alg: "ES256", kid: "k1" })), checks),
      );
      assert.equal(e.status, 500);
      assert.equal(e.code, "AUTH_NOT_CONFIGURED");
    });
  } finally {
    await server.shutdown();
  }
});

Deno.test("auth keys: the project's well-known JWKS over loopback http; http elsewhere is refused", async () => {
  const { server, state, url } = jwksServer(() => keySet);
  try {
    await withEnv({ SUPABASE_URL: url }, async () => {
      await verifyUser(bearer(await token(privateKey, { alg: "ES256", kid: "k1" })), checks);
      assert.equal(state.hits, 1, "fetched from <SUPABASE_URL>/auth/v1/.well-known/jwks.json");
      await verifyUser(bearer(await token(privateKey, { alg: "ES256", kid: "k1" })), checks);
      assert.equal(state.hits, 1, "the key set is kept between requests");
    });
    // SUPABASE_PUBLIC_URL wins over SUPABASE_URL (self-hosted: kong:8000 is internal).
    await withEnv({ SUPABASE_URL: "http://kong:8000", SUPABASE_PUBLIC_URL: url }, async () => {
      await verifyUser(bearer(await token(privateKey, { alg: "ES256", kid: "k1" })), checks);
    });
    const refused: Record<string, string>[] = [
      { SUPABASE_URL: "http://kong:8000" },
      { SUPABASE_JWKS_URL: "http://example.com/jwks" },
    ];
    for (const vars of refused) {
      await withEnv(vars, async () => {
        const e = await failure(
          verifyUser(bearer(await token(privateKey, { alg: "ES256", kid: "k1" })), checks),
        );
        assert.equal(e.status, 500, JSON.stringify(vars));
        assert.equal(e.code, "AUTH_NOT_CONFIGURED");
      });
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test("auth keys: a key set that cannot be fetched is a 503 with Retry-After, not a 401", async () => {
  const { server, state, url } = jwksServer(() => keySet);
  state.fail = true;
  try {
    await withEnv({ SUPABASE_JWKS_URL: `${url}/down` }, async () => {
      const e = await failure(
        verifyUser(bearer(await token(privateKey, { alg: "ES256", kid: "k1" })), checks),
      );
      assert.equal(e.status, 503);
      assert.equal(e.code, "AUTH_UNAVAILABLE");
      assert.equal(e.toResponse().headers.get("retry-after"), "5");
    });
    const closed = jwksServer(() => keySet);
    const gone = `${closed.url}/gone`;
    await closed.server.shutdown();
    await withEnv({ SUPABASE_JWKS_URL: gone }, async () => {
      const e = await failure(
        verifyUser(bearer(await token(privateKey, { alg: "ES256", kid: "k1" })), checks),
      );
      assert.equal(e.status, 503, "a refused connection");
    });
  } finally {
    await server.shutdown();
  }
});

Deno.test("auth keys: HS256 only with the project's own shared key, found by kid", async () => {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const oct: JWK = {
    kty: "oct",
    k: btoa(String.fromCharCode(...secret)).replace(/\+/g, "-").replace(/\//g, "_").replace(
      /=+$/,
      "",
    ),
    kid: "legacy",
    alg: "HS256",
  };
  await withEnv({ SUPABASE_JWKS: JSON.stringify({ keys: [publicJwk, oct] }) }, async () => {
    await verifyUser(bearer(await token(secret, { alg: "HS256", kid: "legacy" })), checks);
    const wrongKid = await failure(
      verifyUser(bearer(await token(secret, { alg: "HS256", kid: "k1" })), checks),
    );
    assert.equal(wrongKid.status, 401);
    const publicAsSecret = new TextEncoder().encode(JSON.stringify(publicJwk));
    const confused = await failure(
      verifyUser(bearer(await token(publicAsSecret, { alg: "HS256", kid: "k1" })), checks),
    );
    assert.equal(confused.status, 401, "the public key is no HMAC secret");
  });
  await withEnv({ SUPABASE_JWKS: keySet }, async () => {
    const e = await failure(
      verifyUser(bearer(await token(secret, { alg: "HS256", kid: "legacy" })), checks),
    );
    assert.equal(e.status, 401, "no shared key configured: refused");
  });
});

Deno.test("auth keys: what a token must carry (kid, sub, exp, audience, issuer)", async () => {
  await withEnv({ SUPABASE_JWKS: keySet }, async () => {
    const cases: [string, Promise<string>][] = [
      ["no kid", token(privateKey, { alg: "ES256" })],
      ["wrong audience", token(privateKey, { alg: "ES256", kid: "k1" }, { aud: "anon" })],
      [
        "wrong issuer",
        token(privateKey, { alg: "ES256", kid: "k1" }, { iss: "https://evil/auth/v1" }),
      ],
      ["empty sub", token(privateKey, { alg: "ES256", kid: "k1" }, { sub: "" })],
      [
        "expired",
        new SignJWT({ role: "authenticated" }).setProtectedHeader({ alg: "ES256", kid: "k1" })
          .setSubject("u").setAudience("authenticated").setIssuer(ISSUER)
          .setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(privateKey),
      ],
      [
        "no exp",
        new SignJWT({ role: "authenticated", n: ++serial }).setProtectedHeader({
          alg: "ES256",
          kid: "k1",
        })
          .setSubject("u").setAudience("authenticated").setIssuer(ISSUER).sign(privateKey),
      ],
    ];
    for (const [name, t] of cases) {
      const e = await failure(verifyUser(bearer(await t), checks), name);
      assert.equal(e.status, 401, name);
      assert.equal(e.code, "INVALID_JWT", name);
      assert.equal(e.toResponse().headers.get("x-supabase-server-error"), "INVALID_JWT");
    }
    const apiKey = await failure(verifyUser(bearer("sb_secret_abc"), checks));
    assert.equal(apiKey.code, "UNUSABLE_CREDENTIAL");
    const none = await failure(verifyUser(new Request("http://localhost/x"), checks));
    assert.equal(none.code, "MISSING_CREDENTIALS");
  });
});

Deno.test("auth keys: secret API keys, by name or alone; compared whole", async () => {
  const call = (apikey?: string) =>
    verifySecretKey(new Request("http://localhost/x", { headers: apikey ? { apikey } : {} }));
  await withEnv({
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: "sb_secret_one", ci: "sb_secret_two" }),
  }, async () => {
    await call("sb_secret_one");
    await call("sb_secret_two");
    for (
      const wrong of [
        "sb_secret_on",
        "sb_secret_onex",
        "SB_SECRET_ONE",
        "sb_secret_one,sb_secret_two",
      ]
    ) {
      const e = await failure(call(wrong));
      assert.equal(e.status, 401, wrong);
      assert.equal(e.code, "INVALID_API_KEY");
    }
    assert.equal((await failure(call())).code, "MISSING_CREDENTIALS");
  });
  // SUPABASE_SECRET_KEYS wins: when it is set, SUPABASE_SECRET_KEY is not consulted.
  await withEnv(
    { SUPABASE_SECRET_KEYS: "{}", SUPABASE_SECRET_KEY: "sb_secret_single" },
    async () => {
      const e = await failure(call("sb_secret_single"));
      assert.equal(e.status, 500);
      assert.equal(e.code, "AUTH_NOT_CONFIGURED");
    },
  );
  await withEnv({ SUPABASE_SECRET_KEY: "sb_secret_single" }, async () => {
    await call("sb_secret_single");
  });
});

Deno.test("CORS: we allow every header supabase-js sends, and its methods", () => {
  const list = (s: string) => new Set(s.split(",").map((x) => x.trim().toLowerCase()));
  const ours = list(CORS_HEADERS["Access-Control-Allow-Headers"]);
  for (const h of list(corsHeaders["Access-Control-Allow-Headers"])) {
    assert.ok(ours.has(h), `Access-Control-Allow-Headers lacks ${h}`);
  }
  assert.deepEqual(
    list(CORS_HEADERS["Access-Control-Allow-Methods"]),
    list(corsHeaders["Access-Control-Allow-Methods"]),
  );
  assert.equal(
    CORS_HEADERS["Access-Control-Allow-Origin"],
    corsHeaders["Access-Control-Allow-Origin"],
  );
});
