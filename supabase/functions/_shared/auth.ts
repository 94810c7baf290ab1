// Who is calling: a signed-in user's access token, verified with jose against the
// project's signing keys, or an operator's secret API key. It reads the variables the
// platform and `supabase functions serve` provide, with the precedence Supabase's own
// server library uses (SUPABASE_JWKS, SUPABASE_JWKS_URL, else the project's well-known
// JWKS; SUPABASE_SECRET_KEYS, else SUPABASE_SECRET_KEY).
//
// Why not @supabase/server: its required peer @supabase/supabase-js (with auth-js,
// realtime-js, storage-js, ...) puts 1.9 MB into every deployed function and takes
// ~100 ms to import, for two checks these functions need: docs/benchmarks.md, Startup.
//
// Verified tokens are remembered until they expire (at most JWT_CACHE_SECONDS), as
// PostgREST does (`jwt-cache-max-lifetime`): the signature is checked once per session.

import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  importJWK,
  type JSONWebKeySet,
  type JWTPayload,
  jwtVerify,
  type JWTVerifyGetKey,
} from "jose";
import { ApiError } from "./errors.ts";
import { envNumber } from "./env.ts";

/** A verified access token's claims (Supabase Auth's names). */
export interface JWTClaims extends JWTPayload {
  sub: string;
  role?: string;
  email?: string;
  is_anonymous?: boolean;
  [claim: string]: unknown;
}

/** Clients that parsed @supabase/server's errors find the same code in this header. */
export const ERROR_CODE_HEADER = "x-supabase-server-error";

const authError = (status: 401 | 403, code: string, message: string, hint?: string) =>
  new ApiError(status, code, message, { headers: { [ERROR_CODE_HEADER]: code }, hint });

const invalidToken = (message: string, hint?: string) =>
  authError(401, "INVALID_JWT", message, hint);

/** How to get a fresh token, on the platform and on the local stack. */
const NEW_TOKEN_HINT = "Get a new one: supabase-js refreshes the session itself " +
  "(supabase.auth.refreshSession()); with the local stack, run `npm run -s token -- <email>`.";

/** Verified tokens, each until its `exp` and at most `maxAgeMs` after it was verified. */
export class VerifiedTokens {
  readonly #entries = new Map<string, { claims: JWTClaims; until: number }>();

  constructor(readonly maxEntries: number, readonly maxAgeMs: number) {}

  get size(): number {
    return this.#entries.size;
  }

  get(token: string, now: number): JWTClaims | undefined {
    const hit = this.#entries.get(token);
    if (!hit) return undefined;
    if (hit.until > now) return hit.claims;
    this.#entries.delete(token);
    return undefined;
  }

  remember(token: string, claims: JWTClaims, now: number): void {
    if (this.maxAgeMs <= 0 || this.maxEntries <= 0) return;
    const expires = typeof claims.exp === "number" ? claims.exp * 1000 : Infinity;
    const until = Math.min(expires, now + this.maxAgeMs);
    if (until <= now) return;
    // A Map iterates in insertion order: the first key is the oldest entry.
    while (this.#entries.size >= this.maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    this.#entries.set(token, { claims, until });
  }
}

// One cache per process, shared by every function it serves. JWT_CACHE_SECONDS=0
// turns it off (every request verifies the signature).
const verified = new VerifiedTokens(
  envNumber("JWT_CACHE_MAX_ENTRIES", 10_000),
  envNumber("JWT_CACHE_SECONDS", 60) * 1000,
);

/** Where the signing keys come from; null when nothing usable is configured. */
type KeySource = { local: JSONWebKeySet; raw: string } | { remote: URL };

const isLoopback = (host: string) =>
  host === "localhost" || host.endsWith(".localhost") || host === "[::1]" ||
  /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

/** https, or plain http to this machine only: keys fetched over a network hop in clear could be swapped. */
function keysUrl(raw: string): URL | null {
  try {
    const url = new URL(raw.trim());
    if (url.protocol === "https:") return url;
    return url.protocol === "http:" && isLoopback(url.hostname) ? url : null;
  } catch {
    return null;
  }
}

function parseKeySet(raw: string): JSONWebKeySet | null {
  try {
    const parsed = JSON.parse(raw);
    if (Array.isArray(parsed)) return { keys: parsed };
    return Array.isArray(parsed?.keys) ? parsed : null;
  } catch {
    return null;
  }
}

let parsedInline: { raw: string; local: JSONWebKeySet | null } | undefined;

/** Each variable, once set, is authoritative: a malformed one is not skipped for the next. */
function keySource(): KeySource | null {
  const inline = Deno.env.get("SUPABASE_JWKS")?.trim();
  if (inline) {
    // Parsed once per value of the variable, not per verification.
    if (parsedInline?.raw !== inline) parsedInline = { raw: inline, local: parseKeySet(inline) };
    const { local } = parsedInline;
    return local && { local, raw: inline };
  }
  const explicit = Deno.env.get("SUPABASE_JWKS_URL")?.trim();
  if (explicit) {
    const remote = keysUrl(explicit);
    return remote && { remote };
  }
  const project = Deno.env.get("SUPABASE_PUBLIC_URL")?.trim() || Deno.env.get("SUPABASE_URL");
  if (!project) return null;
  const remote = keysUrl(`${project.replace(/\/+$/, "")}/auth/v1/.well-known/jwks.json`);
  return remote && { remote };
}

// jose's remote key set caches the keys and refetches on an unknown kid (with a
// cooldown): one per URL for the life of the process.
const remoteSets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
const localSets = new Map<string, JWTVerifyGetKey>();

function keyResolver(source: KeySource): JWTVerifyGetKey {
  if ("remote" in source) {
    const href = source.remote.href;
    let set = remoteSets.get(href);
    if (!set) remoteSets.set(href, set = createRemoteJWKSet(source.remote));
    return set;
  }
  // Keyed by the variable's text: a changed SUPABASE_JWKS is a new key set.
  let set = localSets.get(source.raw);
  if (!set) localSets.set(source.raw, set = createLocalJWKSet(source.local));
  return set;
}

/** The shared-secret key of a project still signing with HS256, found by kid in the key set. */
async function hmacKey(source: KeySource, kid: string) {
  const find = (set: JSONWebKeySet | undefined) =>
    set?.keys.find((k) => k.kty === "oct" && k.alg === "HS256" && k.kid === kid);
  let jwk = "local" in source ? find(source.local) : undefined;
  if ("remote" in source) {
    const set = keyResolver(source) as ReturnType<typeof createRemoteJWKSet>;
    if (!set.fresh) await set.reload();
    jwk = find(set.jwks());
  }
  if (!jwk) throw invalidToken("the access token is not signed by a key of this project");
  return await importJWK(jwk, "HS256");
}

// jose's codes for a key set it could not fetch or read: not the caller's fault.
const KEY_SOURCE_FAILURES = new Set(["ERR_JWKS_TIMEOUT", "ERR_JWKS_INVALID", "ERR_JOSE_GENERIC"]);

function verificationError(e: unknown, source: KeySource): ApiError {
  if (e instanceof ApiError) return e;
  const code = (e as { code?: unknown })?.code;
  const sourceFailed = typeof code === "string"
    ? KEY_SOURCE_FAILURES.has(code)
    : "remote" in source; // a fetch that failed outright (network, TLS) has no jose code
  if (sourceFailed) {
    console.error(JSON.stringify({
      level: "error",
      msg: "signing keys unavailable",
      error: e instanceof Error ? e.message : String(e),
    }));
    return new ApiError(503, "AUTH_UNAVAILABLE", "the project's signing keys could not be read", {
      headers: { "Retry-After": "5" },
      hint: "Retry shortly.",
    });
  }
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return invalidToken("the access token has expired", NEW_TOKEN_HINT);
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      return invalidToken("the access token is not for this project");
    default:
      return invalidToken("the access token is invalid or not signed by this project");
  }
}

export interface UserTokenChecks {
  /** Required `aud` (Supabase Auth: "authenticated"). */
  audience: string;
  /** Required `iss` (`<project URL>/auth/v1`); unchecked when undefined. */
  issuer?: string;
}

/** The bearer token of `req`, or a 401 naming what is missing. */
function bearerToken(req: Request): string {
  const header = req.headers.get("authorization");
  if (!header && req.headers.get("apikey")) {
    // supabase-js before a user signs in: the project's API key, no access token.
    throw authError(
      401,
      "UNUSABLE_CREDENTIAL",
      "an API key alone does not sign in: send Authorization: Bearer <a user's access token>",
    );
  }
  if (!header) {
    throw authError(
      401,
      "MISSING_CREDENTIALS",
      "no credentials: send Authorization: Bearer <access token>",
    );
  }
  const token = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
  if (!token) throw invalidToken("the Authorization header must be Bearer <access token>");
  if (token.startsWith("sb_")) {
    // An API key (sb_publishable_..., sb_secret_...) sent as if it were a token.
    throw authError(
      401,
      "UNUSABLE_CREDENTIAL",
      "the Authorization header holds an API key: sign in and send the user's access token",
    );
  }
  return token;
}

/** The claims of the caller's access token, verified, or an ApiError (401, 500, 503). */
export async function verifyUser(req: Request, checks: UserTokenChecks): Promise<JWTClaims> {
  const token = bearerToken(req);
  const now = Date.now();
  const cached = verified.get(token, now);
  if (cached) return cached;
  const source = keySource();
  if (!source) {
    throw new ApiError(500, "AUTH_NOT_CONFIGURED", "no signing keys are configured", {
      hint: "Set SUPABASE_JWKS, SUPABASE_JWKS_URL (https) or SUPABASE_URL (the platform does).",
    });
  }
  let alg: string | undefined;
  let kid: string | undefined;
  try {
    ({ alg, kid } = decodeProtectedHeader(token));
  } catch {
    throw invalidToken("the access token is not a JWT");
  }
  // Supabase Auth's signing keys always name themselves: no kid, no key to trust.
  if (!alg || !kid) throw invalidToken("the access token names no signing key (kid)");
  let payload: JWTPayload;
  try {
    const options = { audience: checks.audience, issuer: checks.issuer };
    payload = alg === "HS256"
      ? (await jwtVerify(token, await hmacKey(source, kid), { ...options, algorithms: ["HS256"] }))
        .payload
      : (await jwtVerify(token, keyResolver(source), {
        ...options,
        algorithms: ["ES256", "RS256", "EdDSA"],
      })).payload;
  } catch (e) {
    throw verificationError(e, source);
  }
  if (typeof payload.sub !== "string" || payload.sub === "") {
    throw invalidToken("the access token names no user (sub)");
  }
  // A correctly signed token without an expiry would be valid forever: Supabase Auth
  // always sets exp, so a token without one was not issued for a session.
  if (typeof payload.exp !== "number" || !Number.isFinite(payload.exp)) {
    throw invalidToken("the access token has no expiry (exp)");
  }
  const claims = payload as JWTClaims;
  verified.remember(token, claims, now);
  return claims;
}

/** The configured secret keys by name (SUPABASE_SECRET_KEYS as JSON, else SUPABASE_SECRET_KEY). */
function secretKeys(): string[] {
  const plural = Deno.env.get("SUPABASE_SECRET_KEYS");
  if (plural) {
    try {
      const parsed = JSON.parse(plural);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
        return Object.values(parsed).filter((v): v is string => typeof v === "string" && v !== "");
      }
    } catch {
      // fall through: malformed is the same as unset, and reported as such
    }
    return [];
  }
  const single = Deno.env.get("SUPABASE_SECRET_KEY");
  return single ? [single] : [];
}

const encoder = new TextEncoder();

/**
 * Equal without telling how much of it matched: both sides are HMACed with a key
 * made for this comparison, and the digests compared in full.
 */
async function sameSecret(a: string, b: string): Promise<boolean> {
  const key = await crypto.subtle.importKey(
    "raw",
    crypto.getRandomValues(new Uint8Array(32)),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const [x, y] = await Promise.all([
    crypto.subtle.sign("HMAC", key, encoder.encode(a)),
    crypto.subtle.sign("HMAC", key, encoder.encode(b)),
  ]);
  const u = new Uint8Array(x);
  const v = new Uint8Array(y);
  let diff = 0;
  for (let i = 0; i < u.length; i++) diff |= u[i] ^ v[i];
  return diff === 0;
}

/** Passes when the `apikey` header holds one of the project's secret keys; else 401 or 500. */
export async function verifySecretKey(req: Request): Promise<void> {
  const apikey = req.headers.get("apikey");
  if (!apikey) {
    throw authError(
      401,
      "MISSING_CREDENTIALS",
      "no credentials: send the project's secret key in the apikey header",
    );
  }
  const keys = secretKeys();
  if (keys.length === 0) {
    throw new ApiError(500, "AUTH_NOT_CONFIGURED", "no secret API key is configured", {
      hint: "Set SUPABASE_SECRET_KEYS or SUPABASE_SECRET_KEY (the platform does).",
    });
  }
  // Every key is compared, matched or not: the time does not tell which one matched.
  const matches = await Promise.all(keys.map((k) => sameSecret(apikey, k)));
  if (!matches.includes(true)) {
    throw authError(
      401,
      "INVALID_API_KEY",
      "the apikey header holds no key valid for this endpoint",
    );
  }
}
