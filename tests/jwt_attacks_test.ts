// Forged, stale and misused credentials against every function: each is refused
// with 401 (or 403 where the token is genuine but its role is not allowed), with
// CORS headers, the error envelope, and no data.
import assert from "node:assert/strict";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { env, FUNCTIONS_URL, newUser, tokenWith } from "../harness/stack.ts";

const b64url = (s: string) => btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const decode = (part: string) => JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/")));

// A read route of each function; a successful answer would carry the caller's data.
const ROUTES: [string, string, unknown?][] = [
  ["GET", "/health"],
  ["GET", "/trips"],
  ["GET", "/trips/1001"],
  ["GET", "/api-keys"],
  ["GET", "/memories"],
  ["POST", "/memories/search", { query: "ramen" }],
];

Deno.test("jwt attacks: every forged or misused credential is refused on every function", async () => {
  const user = await newUser("jwt-victim");
  const valid = await tokenWith(user, {});
  const [header, payload, signature] = valid.split(".");
  const signingKey = JSON.parse(await Deno.readTextFile(env("SIGNING_KEY_PATH")));
  const { d: _d, key_ops: _k, ...publicJwk } = signingKey;
  const now = Math.floor(Date.now() / 1000);
  const claims = decode(payload);

  const stranger = await generateKeyPair("ES256", { extractable: true });
  const signWith = (key: CryptoKey, kid: string, body = claims) =>
    new SignJWT(body).setProtectedHeader({ alg: "ES256", kid, typ: "JWT" }).sign(key);
  const hs256WithPublicKey = await new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", kid: signingKey.kid, typ: "JWT" })
    .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
  void exportJWK;

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const attacks: [string, Record<string, string>, number][] = [
    ["no credentials", {}, 401],
    ["garbage", bearer("not-a-jwt"), 401],
    ["three garbage parts", bearer("aaa.bbb.ccc"), 401],
    ["empty bearer", { Authorization: "Bearer " }, 401],
    ["basic auth", { Authorization: `Basic ${btoa("user:pass")}` }, 401],
    [
      "alg none",
      bearer(
        `${b64url(JSON.stringify({ alg: "none", typ: "JWT", kid: signingKey.kid }))}.${payload}.`,
      ),
      401,
    ],
    [
      "alg none, signature kept",
      bearer(`${b64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${payload}.${signature}`),
      401,
    ],
    ["HS256 signed with the public key", bearer(hs256WithPublicKey), 401],
    ["unknown key, real kid", bearer(await signWith(stranger.privateKey, signingKey.kid)), 401],
    ["unknown key, unknown kid", bearer(await signWith(stranger.privateKey, "attacker")), 401],
    [
      "wrong kid",
      bearer(
        `${b64url(JSON.stringify({ ...decode(header), kid: "nope" }))}.${payload}.${signature}`,
      ),
      401,
    ],
    [
      "expired",
      bearer(await tokenWith(user, { claims: { exp: now - 120, iat: now - 3720 } })),
      401,
    ],
    ["not yet valid", bearer(await tokenWith(user, { claims: { nbf: now + 3600 } })), 401],
    // Correctly signed, but without an expiry it would be valid forever.
    ["no exp", bearer(await tokenWith(user, { claims: { exp: undefined } })), 401],
    ["wrong audience", bearer(await tokenWith(user, { claims: { aud: "someone-else" } })), 401],
    [
      "wrong issuer",
      bearer(await tokenWith(user, { claims: { iss: "https://evil.example/auth/v1" } })),
      401,
    ],
    [
      "tampered payload",
      bearer(
        `${header}.${b64url(JSON.stringify({ ...claims, sub: crypto.randomUUID() }))}.${signature}`,
      ),
      401,
    ],
    ["tampered signature", bearer(`${header}.${payload}.${signature.slice(0, -4)}AAAA`), 401],
    ["publishable key as bearer", bearer(env("SUPABASE_PUBLISHABLE_KEY")), 401],
    ["publishable key as apikey", { apikey: env("SUPABASE_PUBLISHABLE_KEY") }, 401],
    ["secret key as bearer", bearer(env("SUPABASE_SECRET_KEY")), 401],
    [
      "service_role claim",
      bearer(await tokenWith(user, { claims: { role: "service_role" } })),
      403,
    ],
    ["custom role claim", bearer(await tokenWith(user, { claims: { role: "admin" } })), 403],
    ["anon role claim", bearer(await tokenWith(user, { claims: { role: "anon" } })), 403],
  ];

  const failures: string[] = [];
  for (const [method, path, body] of ROUTES) {
    // The genuine token works, so every refusal below is about the credential.
    const ok = await fetch(`${FUNCTIONS_URL()}${path}`, {
      method,
      headers: { ...bearer(valid), "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    await ok.body?.cancel();
    assert.ok(ok.status < 500, `${path} with a valid token: ${ok.status}`);
    for (const [name, headers, expected] of attacks) {
      const res = await fetch(`${FUNCTIONS_URL()}${path}`, {
        method,
        headers: { ...headers, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: { code?: unknown; message?: unknown; hint?: unknown } = {};
      try {
        parsed = JSON.parse(text);
      } catch {
        // reported below
      }
      const problems = [];
      if (res.status !== expected) problems.push(`status ${res.status}`);
      if (res.headers.get("access-control-allow-origin") !== "*") problems.push("no CORS");
      if (typeof parsed.code !== "string" || typeof parsed.message !== "string") {
        problems.push("not the error shape");
      }
      if (/"items"|"user_id"|"pgvector"/.test(text)) problems.push("data in the body");
      // An expired token says how to get a new one.
      if (name === "expired" && !/npm run -s token|refreshSession/.test(String(parsed.hint))) {
        problems.push("no hint for a new token");
      }
      if (problems.length) {
        failures.push(`${method} ${path} / ${name}: ${problems.join(", ")} ${text.slice(0, 160)}`);
      }
    }
  }
  assert.deepEqual(failures, []);
});
