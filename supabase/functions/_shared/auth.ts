// The caller's JWT, verified by @supabase/server's own check (`verifyAuth`, what
// withSupabase({ auth: 'user' }) runs) and remembered until it expires.
//
// Why not withSupabase itself: on user routes it also builds two supabase-js clients
// per request that these functions never use, and it verifies the ES256 signature
// again for every request of the same session. Both showed in the CPU profile of
// GET /trips/:id (~25% of the functions' time). PostgREST caches verified tokens the
// same way (`jwt-cache-max-lifetime`).

import { defineMiddleware } from "@supabase/middleware";
import { ErrorCodeHeader, type JWTClaims } from "@supabase/server";
import { verifyAuth } from "@supabase/server/core";
import { envNumber } from "./env.ts";

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

export interface UserAuthConfig {
  audience?: string;
  issuer?: string;
}

/**
 * Contributes `ctx.jwtClaims` of a signed-in user, or answers with @supabase/server's
 * own 401/500 (same body, status and `x-supabase-server-error` header as withSupabase).
 */
export const withUserClaims = defineMiddleware<"jwtClaims", UserAuthConfig, object, JWTClaims>({
  key: "jwtClaims",
  run: (config) => async (req) => {
    const authorization = req.headers.get("authorization");
    const now = Date.now();
    const cached = authorization ? verified.get(authorization, now) : undefined;
    if (cached) return { jwtClaims: cached };
    const { data, error } = await verifyAuth(req, {
      auth: "user",
      audience: config?.audience,
      issuer: config?.issuer,
    });
    if (error) {
      return Response.json(error.toJSON(), {
        status: error.status,
        headers: { [ErrorCodeHeader]: error.code },
      });
    }
    const claims = data.jwtClaims!;
    // A correctly signed token without an expiry would be valid forever: Supabase Auth
    // always sets exp, so a token without one was not issued for a session.
    if (typeof claims.exp !== "number" || !Number.isFinite(claims.exp)) {
      return Response.json(
        { code: "INVALID_JWT", message: "the access token has no expiry (exp)" },
        { status: 401, headers: { [ErrorCodeHeader]: "INVALID_JWT" } },
      );
    }
    if (authorization) verified.remember(authorization, claims, now);
    return { jwtClaims: claims };
  },
});
