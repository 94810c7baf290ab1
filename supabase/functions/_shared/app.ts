// A function = a Hono app under /<name>, behind @supabase/server's JWT check and an
// RLS-scoped Postgres client, wrapped by serveFunction (CORS, ids, logs, errors).

import "pg"; // optional peer of @supabase/server: must be in the module graph on Deno
import { Hono } from "hono";
import { pipeline } from "@supabase/middleware";
import { withSupabase } from "@supabase/server";
import { type PostgresApi, withPostgresClient } from "@supabase/server/middleware/postgres";
import { ApiError, toApiError } from "./errors.ts";
import { currentRequest, type FetchHandler, serveFunction } from "./serve.ts";

/** What a user route's handler gets in `c.env`. */
export interface UserContext {
  /** Queries run as `authenticated` with the caller's claims: RLS decides. */
  db: PostgresApi;
  userId: string;
}

export type UserEnv = { Bindings: UserContext };

/** A Hono app mounted at /<name>, answering every failure with the error envelope. */
export function createApp<E extends { Bindings: object }>(name: string): Hono<E> {
  // strict: false so that /trips and /trips/ are the same route.
  const app = new Hono<E>({ strict: false }).basePath(`/${name}`);
  app.notFound((c) =>
    new ApiError(404, "ROUTE_NOT_FOUND", `no route ${c.req.method} ${c.req.path}`).toResponse()
  );
  app.onError((e) => {
    const err = toApiError(e);
    if (err.status === 500) throw e; // serveFunction logs it and answers 500
    return err.toResponse();
  });
  app.use(async (c, next) => {
    await next();
    const info = currentRequest();
    if (info) info.route = `${c.req.method} ${c.req.routePath}`;
  });
  return app;
}

/** Answers 405 (with Allow) for methods a path does not serve; register after its routes. */
export function allowOnly<E extends { Bindings: object }>(
  app: Hono<E>,
  path: string,
  methods: string[],
) {
  const allow = [...methods, "OPTIONS"].join(", ");
  app.all(
    path,
    (c) =>
      new ApiError(
        405,
        "METHOD_NOT_ALLOWED",
        `${c.req.method} is not allowed here; use ${methods.join(" or ")}`,
        {
          headers: { Allow: allow },
        },
      ).toResponse(),
  );
}

function envInt(name: string, fallback: number): number {
  const v = Number(Deno.env.get(name));
  return Number.isInteger(v) && v > 0 ? v : fallback;
}

/**
 * Tokens must be for `authenticated` users of this project: audience
 * `authenticated`, issuer `<SUPABASE_URL>/auth/v1` (what Supabase Auth issues).
 * AUTH_ISSUER overrides it where the function sees a different URL than the
 * issuer (`supabase functions serve`, where SUPABASE_URL is http://kong:8000).
 */
function issuer(): string | undefined {
  const explicit = Deno.env.get("AUTH_ISSUER");
  if (explicit) return explicit;
  const url = Deno.env.get("SUPABASE_URL");
  return url ? `${url.replace(/\/+$/, "")}/auth/v1` : undefined;
}

/** Serves `app` to signed-in users only; every query runs under their identity. */
export function serveUserApp(name: string, app: Hono<UserEnv>): FetchHandler {
  const inner = pipeline(
    [
      withSupabase({ auth: "user", audience: "authenticated", issuer: issuer(), cors: "disabled" }),
      // A long-lived local server can afford more than the edge default of 4.
      withPostgresClient({ pool: { max: envInt("DB_POOL_MAX", 4), checkoutTimeoutMs: 5000 } }),
    ],
    async (req, ctx) => {
      const userId = ctx.userClaims?.id;
      if (!userId) {
        throw new ApiError(401, "INVALID_JWT", "the token carries no user id (sub)");
      }
      const info = currentRequest();
      if (info) info.userId = userId;
      return await app.fetch(req, { db: ctx.postgres, userId });
    },
  );
  return serveFunction(name, (req) => inner(req));
}
