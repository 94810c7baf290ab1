// A function = a Hono app under /<name>, behind @supabase/server's JWT check (see
// auth.ts) and an RLS-scoped Postgres client, wrapped by serveFunction (CORS, ids,
// logs, errors).

import "pg"; // optional peer of @supabase/server: must be in the module graph on Deno
import { Hono } from "hono";
import { defineMiddleware, pipeline } from "@supabase/middleware";
import { withSupabase } from "@supabase/server";
import { type PostgresApi, withPostgresClient } from "@supabase/server/middleware/postgres";
import { withPostgresAdminClient } from "@supabase/server/middleware/postgres-admin";
import { withUserClaims } from "./auth.ts";
import { ApiError, toApiError } from "./errors.ts";
import { currentRequest, type FetchHandler, serveFunction } from "./serve.ts";

/** What a user route's handler gets in `c.env`. */
export interface UserContext {
  /** Queries run as `authenticated` with the caller's claims: RLS decides. */
  db: PostgresApi;
  userId: string;
}

export type UserEnv = { Bindings: UserContext };

/**
 * For the few user routes that must also touch what `authenticated` may not read
 * (BYOK ciphertext): `admin` bypasses RLS, so its queries name the caller's id.
 */
export interface PrivilegedUserContext extends UserContext {
  admin: PostgresApi;
}

export type PrivilegedUserEnv = { Bindings: PrivilegedUserContext };

/** What an operator route (secret API key, no user) gets in `c.env`. */
export interface SecretContext {
  admin: PostgresApi;
}

export type SecretEnv = { Bindings: SecretContext };

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

// Equal options share one pool per process, RLS-scoped and admin clients alike. A
// long-lived local server can afford more than the edge default of 4 (DB_POOL_MAX).
// A request waits at most DB_CHECKOUT_TIMEOUT_MS for a connection, then gets a 503.
const pool = () => ({
  max: envInt("DB_POOL_MAX", 4),
  checkoutTimeoutMs: envInt("DB_CHECKOUT_TIMEOUT_MS", 5000),
});

/**
 * SUPABASE_DB_URL with a statement timeout for every session of the pool
 * (DB_STATEMENT_TIMEOUT_MS, default 8 s like the hosted `authenticated` role). The
 * role's own setting does not apply: the middleware switches roles with SET ROLE,
 * which keeps the session's timeout (none), so a query stuck behind a lock would
 * hold its connection, and the pool, forever. A URL that sets `options` is kept.
 */
function databaseUrl(): string | undefined {
  const raw = Deno.env.get("SUPABASE_DB_URL");
  if (!raw) return undefined;
  const url = new URL(raw);
  if (!url.searchParams.has("options")) {
    const ms = envInt("DB_STATEMENT_TIMEOUT_MS", 8000);
    url.searchParams.set("options", `-c statement_timeout=${ms}`);
  }
  return url.toString();
}

/** The options of every Postgres middleware: equal, so they share one pool. */
const database = () => ({ pool: pool(), connectionString: databaseUrl() });

const userAuth = () => withUserClaims({ audience: "authenticated", issuer: issuer() });

/**
 * User routes serve the `authenticated` role only. A genuine token naming another
 * role (service_role, anon, a custom role) is a 403 here, before any query: the
 * Postgres middleware would answer 500, and the admin client trusts `sub` alone.
 */
const withAuthenticatedRole = defineMiddleware<
  "callerRole",
  void,
  { jwtClaims: { role?: unknown } | null },
  "authenticated"
>({
  key: "callerRole",
  run: () => (_req, ctx) => {
    const role = ctx.jwtClaims?.role;
    if (role !== "authenticated") {
      return Promise.resolve(
        new ApiError(
          403,
          "ROLE_NOT_ALLOWED",
          `this endpoint serves signed-in users (role authenticated), not role ${
            JSON.stringify(role ?? null)
          }`,
        ).toResponse(),
      );
    }
    return Promise.resolve({ callerRole: "authenticated" as const });
  },
});

function callerId(userId: string | undefined): string {
  if (!userId) throw new ApiError(401, "INVALID_JWT", "the token carries no user id (sub)");
  const info = currentRequest();
  if (info) info.userId = userId;
  return userId;
}

/** Signed-in users only; every query runs under their identity. */
export function userHandler(app: Hono<UserEnv>): FetchHandler {
  const inner = pipeline(
    [userAuth(), withAuthenticatedRole(), withPostgresClient(database())],
    async (req, ctx) =>
      await app.fetch(req, { db: ctx.postgres, userId: callerId(ctx.jwtClaims?.sub) }),
  );
  return (req) => inner(req);
}

/** Signed-in users, with the admin client beside the RLS-scoped one. */
export function privilegedUserHandler(app: Hono<PrivilegedUserEnv>): FetchHandler {
  const inner = pipeline(
    [
      userAuth(),
      withAuthenticatedRole(),
      withPostgresClient(database()),
      withPostgresAdminClient(database()),
    ],
    async (req, ctx) =>
      await app.fetch(req, {
        db: ctx.postgres,
        admin: ctx.postgresAdmin,
        userId: callerId(ctx.jwtClaims?.sub),
      }),
  );
  return (req) => inner(req);
}

/** Operator routes: the project's secret API key in the `apikey` header, no user. */
export function secretHandler(app: Hono<SecretEnv>): FetchHandler {
  const inner = pipeline(
    [withSupabase({ auth: "secret", cors: "disabled" }), withPostgresAdminClient(database())],
    async (req, ctx) => await app.fetch(req, { admin: ctx.postgresAdmin }),
  );
  return (req) => inner(req);
}

/** Serves `app` to signed-in users only; every query runs under their identity. */
export function serveUserApp(name: string, app: Hono<UserEnv>): FetchHandler {
  return serveFunction(name, userHandler(app));
}
