// The one way to build a function: `defineFunction(name)` gives route groups, each
// a Hono app with an auth mode, and serves them behind the shared outer layer
// (serve.ts: CORS, request ids, body cap, logs, error envelope).
//
//   const fn = defineFunction("trips");
//   const app = fn.routes("user");                  // /trips/...
//   app.get("/", (c) => c.var.db.query`...`);
//   export default fn;
//
// Auth modes, and what a handler finds in `c.var`:
//   user        signed-in users (JWT, role `authenticated`): `db` runs each query in
//               a transaction as `authenticated` with the caller's claims, so RLS
//               decides (db.ts); `userId` is the token's `sub`.
//   user+admin  the same plus `admin`, a client that bypasses RLS, for the few
//               reads `authenticated` may not do (BYOK ciphertext): its queries
//               must name `userId` explicitly.
//   secret      operators: the project's secret API key in `apikey`, no user;
//               `admin`, and `asUser(id)`: an RLS-scoped client for a user the
//               operator works for (background jobs), as if that user had called.

import { Hono } from "hono";
import { type JWTClaims, verifySecretKey, verifyUser } from "./auth.ts";
import { adminClient, type PoolOptions, type PostgresApi, rlsClient } from "./db.ts";
import { ApiError, toApiError } from "./errors.ts";
import { type FetchHandler, requestInfo, serveFunction } from "./serve.ts";
import { envInt } from "./env.ts";
import { cacheStore } from "./cache.ts";
import { limitOf, RATE_CLASSES, type RateClass, takeRequest } from "./rate_limit.ts";

export type AuthMode = "user" | "user+admin" | "secret";

/** What a `user` route's handler finds in `c.var`. */
export interface UserVars {
  /** Queries run as `authenticated` with the caller's claims: RLS decides. */
  db: PostgresApi;
  userId: string;
  /** Signed in anonymously (Supabase Auth's is_anonymous claim). */
  anonymous: boolean;
}

/** `user+admin`: `admin` bypasses RLS, so its queries name the caller's id. */
export interface PrivilegedUserVars extends UserVars {
  admin: PostgresApi;
}

/** `secret`: operator routes, no user. */
export interface SecretVars {
  admin: PostgresApi;
  /** Queries as `authenticated` with `userId`'s claims: RLS decides, as for that user. */
  asUser: (userId: string) => PostgresApi;
}

type VarsOf<A extends AuthMode> = A extends "secret" ? SecretVars
  : A extends "user+admin" ? PrivilegedUserVars
  : UserVars;

export type RouteEnv<A extends AuthMode> = { Variables: VarsOf<A> };

/** Answers 405 (with Allow) for methods a path does not serve; register after its routes. */
export function allowOnly<E extends object>(app: Hono<E>, path: string, methods: string[]) {
  const allow = [...methods, "OPTIONS"].join(", ");
  app.all(path, (c) =>
    new ApiError(
      405,
      "METHOD_NOT_ALLOWED",
      `${c.req.method} is not allowed here; use ${methods.join(" or ")}`,
      { headers: { Allow: allow } },
    ).toResponse());
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

/**
 * DB_URL, when set, is a pooler URL (Supavisor, transaction mode, port 6543): it wins
 * over SUPABASE_DB_URL, the direct connection the platform provides (SUPABASE_ names
 * are reserved for secrets, hence a name of our own).
 */
function databaseUrl(): string {
  const url = Deno.env.get("DB_URL") || Deno.env.get("SUPABASE_DB_URL");
  if (!url) {
    throw new ApiError(500, "DATABASE_NOT_CONFIGURED", "no database URL is configured", {
      hint: "Set SUPABASE_DB_URL (the platform does) or DB_URL.",
    });
  }
  return url;
}

// One pool per process and connection string, RLS-scoped and admin clients alike. A
// long-lived local server can afford more than the edge default of 4 (DB_POOL_MAX).
// A query waits at most DB_CHECKOUT_TIMEOUT_MS for a connection, then gets a 503. Every
// transaction sets statement_timeout (DB_STATEMENT_TIMEOUT_MS, default 8 s like the
// hosted `authenticated` role), so a query stuck behind a lock cannot hold its
// connection, and the pool, forever: db.ts.
const poolOptions = (): PoolOptions => ({
  max: envInt("DB_POOL_MAX", 4),
  checkoutTimeoutMs: envInt("DB_CHECKOUT_TIMEOUT_MS", 5000),
  statementTimeoutMs: envInt("DB_STATEMENT_TIMEOUT_MS", 8000),
});

/**
 * User routes serve the `authenticated` role only. A genuine token naming another
 * role (service_role, anon, a custom role) is a 403 here, before any query: RLS would
 * run as a role these routes were not written for, and the admin client trusts `sub`.
 */
function requireAuthenticatedRole(claims: JWTClaims): void {
  if (claims.role !== "authenticated") {
    throw new ApiError(
      403,
      "ROLE_NOT_ALLOWED",
      `this endpoint serves signed-in users (role authenticated), not role ${
        JSON.stringify(claims.role ?? null)
      }`,
    );
  }
}

function callerId(req: Request, claims: JWTClaims): string {
  const info = requestInfo(req);
  if (info) info.userId = claims.sub;
  return claims.sub;
}

/** Authenticates a request for an auth mode: what its handlers find in `c.var`. */
function authenticator(auth: AuthMode): (req: Request) => Promise<Record<string, unknown>> {
  const checks = { audience: "authenticated", issuer: issuer() };
  const db = (claims: Record<string, unknown>) =>
    rlsClient(databaseUrl(), poolOptions(), claims, "authenticated");
  const admin = () => adminClient(databaseUrl(), poolOptions());
  const user = async (req: Request) => {
    const claims = await verifyUser(req, checks);
    requireAuthenticatedRole(claims);
    return {
      db: db(claims),
      userId: callerId(req, claims),
      anonymous: claims.is_anonymous === true,
    };
  };
  switch (auth) {
    case "user":
      return user;
    case "user+admin":
      return async (req) => ({ ...await user(req), admin: admin() });
    case "secret":
      return async (req) => {
        await verifySecretKey(req);
        return {
          admin: admin(),
          asUser: (userId: string) =>
            db({ sub: userId, role: "authenticated", aud: "authenticated" }),
        };
      };
  }
}

interface RouteGroup {
  prefix: string;
  auth: AuthMode;
  app: Hono<RouteEnv<AuthMode>>;
}

/** A function under construction: add route groups, then export it as the default. */
export interface FunctionDefinition {
  readonly name: string;
  /**
   * A Hono app for the routes under `/<name><path>` with one auth mode. Groups with
   * a longer path take their requests first (e.g. "/admin" before "").
   */
  routes<A extends AuthMode>(auth: A, path?: string): Hono<RouteEnv<A>>;
  /** The handler `supabase functions serve`, the platform and our server call. */
  fetch: FetchHandler;
  /** Every route registered so far (not the 405 catch-alls), for tests and tooling. */
  routeList(): RouteInfo[];
}

export interface RouteInfo {
  method: string;
  /** Hono's path with the function's name, e.g. /trips/:id/flights/:childId. */
  path: string;
  auth: AuthMode;
}

export interface FunctionOptions {
  /** Largest request body accepted, in bytes (default serve.ts's MAX_BODY_BYTES). */
  maxBodyBytes?: number;
  /** The rate-limit class of a user request (rate_limit.ts); default "default". */
  rateClass?: (method: string, path: string) => RateClass;
}

export function defineFunction(name: string, opts: FunctionOptions = {}): FunctionDefinition {
  const groups: RouteGroup[] = [];
  // A malformed RATE_LIMIT_* stops the function at boot, not one request later.
  for (const cls of RATE_CLASSES) limitOf(cls);
  const rateClass = opts.rateClass ?? (() => "default" as const);

  const routes = <A extends AuthMode>(auth: A, path = ""): Hono<RouteEnv<A>> => {
    const prefix = `/${name}${path}`;
    // strict: false so that /trips and /trips/ are the same route.
    const app = new Hono<RouteEnv<A>>({ strict: false }).basePath(prefix);
    app.notFound((c) =>
      new ApiError(404, "ROUTE_NOT_FOUND", `no route ${c.req.method} ${c.req.path}`).toResponse()
    );
    app.onError((e, c) => {
      const err = toApiError(e);
      if (err.status === 500) throw e; // serveFunction logs it and answers 500
      return err.toResponse(requestInfo(c.req.raw)?.requestId);
    });
    const authenticate = authenticator(auth);
    // Authentication comes first; the clients it yields go to c.var.
    app.use(async (c, next) => {
      const v = await authenticate(c.req.raw);
      for (const [k, x] of Object.entries(v)) c.set(k as never, x as never);
      // Signed-in users are counted per function and class (operators are not).
      if (typeof v.userId === "string") {
        await takeRequest(await cacheStore(), name, rateClass(c.req.method, c.req.path), v.userId);
      }
      await next();
      const info = requestInfo(c.req.raw);
      if (info) info.route = `${c.req.method} ${c.req.routePath}`;
    });
    groups.push({ prefix, auth, app: app as unknown as Hono<RouteEnv<AuthMode>> });
    groups.sort((a, b) => b.prefix.length - a.prefix.length);
    return app;
  };

  const dispatch: FetchHandler = async (req) => {
    const path = new URL(req.url).pathname;
    const group = groups.find((g) => path === g.prefix || path.startsWith(`${g.prefix}/`)) ??
      groups[groups.length - 1];
    if (!group) throw new ApiError(404, "ROUTE_NOT_FOUND", `no route ${req.method} ${path}`);
    return await group.app.fetch(req);
  };

  const routeList = () =>
    groups.flatMap((g) =>
      g.app.routes
        .filter((r) => r.method !== "ALL") // middleware and allowOnly's 405s
        .map((r) => ({ method: r.method, path: r.path, auth: g.auth }))
    );

  return { name, routes, fetch: serveFunction(name, dispatch, opts), routeList };
}
