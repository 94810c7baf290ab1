// The functions' Postgres clients: RLS-scoped (the caller's claims and role) and
// admin, over one pool per connection string. Every query is one transaction of its
// own that also sets the statement timeout locally, so the timeout holds on a direct
// connection and through a transaction pooler (Supavisor forwards no startup options
// but search_path) alike, and never leaks to another client.
//
// One round trip, as PostgREST does: the connections are in node-postgres' pipeline
// mode, which writes a transaction's statements without waiting for each answer:
// BEGIN; set_config of the claims, the role and the timeout (local); the query with its
// bind parameters; COMMIT. Values travel as parameters of unnamed statements (which
// transaction poolers accept), never in the SQL text. An error rolls it all back (the
// COMMIT of a failed transaction is a ROLLBACK) and leaves the connection clean.
// (@supabase/server's withPostgresClient waits for each of its five statements and
// cannot set the timeout inside its transaction.)

import type { Pool as PgPool, PoolClient, QueryResult } from "pg";

/** What handlers use: a tagged template (values become bind parameters) or text + params. */
export interface PostgresApi {
  query<R = Record<string, unknown>>(
    strings: TemplateStringsArray,
    ...values: unknown[]
  ): Promise<R[]>;
  queryRaw<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
}

export interface PoolOptions {
  /** Connections of this pool (per process). */
  max: number;
  /** How long a query waits for a free connection before a 503. */
  checkoutTimeoutMs: number;
  /** Statement timeout, set in every transaction. */
  statementTimeoutMs: number;
}

/** A 503 the error mapping turns into Retry-After. */
class PoolError extends Error {
  readonly status = 503;
  constructor(readonly code: string, message: string, readonly details?: { retryAfterMs: number }) {
    super(message);
  }
}

/**
 * A pool that admits at most `max` queries at once (the rest wait up to the checkout
 * timeout), and after a failed connect pauses new connects for a growing delay
 * (0.5 s doubling to 5 s) instead of hammering a database that is down.
 */
class Pool {
  #pool: Promise<PgPool> | undefined;
  #admitted = 0;
  readonly #waiters: (() => void)[] = [];
  #failures = 0;
  #pausedUntil = 0;

  constructor(readonly connectionString: string, readonly options: PoolOptions) {}

  /** pg is loaded with the first query, not at import: a function's cold start is shorter. */
  #pg(): Promise<PgPool> {
    return this.#pool ??= import("pg").then(({ default: pg }) => {
      const pool = new pg.Pool({
        connectionString: this.connectionString,
        max: this.options.max,
        pipeline: true,
      });
      // An idle connection that breaks must not crash the process.
      pool.on("error", () => {});
      return pool;
    });
  }

  async #admit(): Promise<void> {
    if (this.#admitted < this.options.max) {
      this.#admitted++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(wake), 1);
        reject(
          new PoolError(
            "POSTGRES_POOL_BUSY",
            `all ${this.options.max} connections stayed busy for ${this.options.checkoutTimeoutMs}ms`,
          ),
        );
      }, this.options.checkoutTimeoutMs);
      this.#waiters.push(wake);
    });
  }

  #leave() {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#admitted--;
  }

  /** Runs `work` on one connection; the connection is destroyed if `work` left it unusable. */
  async with<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const pool = await this.#pg();
    await this.#admit();
    try {
      const paused = this.#pausedUntil - Date.now();
      if (paused > 0 && pool.idleCount === 0) {
        throw new PoolError("POSTGRES_CONNECT_PAUSED", "the database could not be reached", {
          retryAfterMs: paused,
        });
      }
      let client: PoolClient;
      try {
        client = await pool.connect();
        this.#failures = 0;
      } catch (e) {
        // Connects that fail together (every waiting request at once) are one failed
        // round: only the first after a pause makes the next pause longer. Capped at
        // 5 s, so a database that is back is found within 5 s.
        if (Date.now() >= this.#pausedUntil) {
          this.#failures++;
          this.#pausedUntil = Date.now() + Math.min(5_000, 500 * 2 ** (this.#failures - 1));
        }
        throw e;
      }
      let broken: Error | boolean = false;
      // The pool listens for errors of idle connections only: one that fails while
      // checked out but between queries (the server shut down) would otherwise be an
      // uncaught 'error' event that ends the process. It is destroyed on release.
      const onError = () => (broken = true);
      client.on("error", onError);
      try {
        return await work(client);
      } catch (e) {
        if ((e as { broken?: boolean }).broken) broken = true;
        throw e;
      } finally {
        client.off("error", onError);
        client.release(broken);
      }
    } finally {
      this.#leave();
    }
  }
}

const pools = new Map<string, Pool>();

function poolFor(connectionString: string, options: PoolOptions): Pool {
  const key =
    `${connectionString}|${options.max}|${options.checkoutTimeoutMs}|${options.statementTimeoutMs}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = new Pool(connectionString, options);
    pools.set(key, pool);
  }
  return pool;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** node-postgres' socket: a Node stream, which buffers writes while corked. */
interface CorkableStream {
  cork?(): void;
  uncork?(): void;
}

/** A statement and its bind parameters. */
export interface Statement {
  text: string;
  values: unknown[];
}

/**
 * `settings`, then the query, as one transaction on `client` (a connection in pipeline
 * mode: every statement is written before the first answer is read). The first error
 * is thrown; a broken connection is marked so that it is not reused.
 */
export async function transaction<R>(
  client: PoolClient,
  settings: Statement,
  query: Statement,
): Promise<R[]> {
  // The four statements leave in one write: node-postgres writes each as it is queued
  // (corked per statement), and a write is a system call, which costs more than the
  // statement's own work on the client. A corked socket holds them until uncork.
  const socket = (client as unknown as { connection?: { stream?: CorkableStream } }).connection
    ?.stream;
  socket?.cork?.();
  let sent: Promise<QueryResult>[];
  try {
    sent = [
      client.query("begin"),
      client.query(settings.text, settings.values),
      client.query(query.text, query.values),
      client.query("commit"),
    ];
  } finally {
    socket?.uncork?.();
  }
  const answers = await Promise.allSettled(sent);
  const failed = answers.find((a) => a.status === "rejected");
  if (failed) {
    const e = failed.reason as Error & { code?: string };
    // A server error leaves the connection clean (the transaction is rolled back);
    // anything else (a broken connection) must not go back to the pool.
    if (!SQLSTATE.test(e.code ?? "")) throw Object.assign(e, { broken: true });
    throw e;
  }
  return (answers[2] as PromiseFulfilledResult<QueryResult>).value.rows as R[];
}

function api(run: (text: string, params: unknown[]) => Promise<unknown[]>): PostgresApi {
  return {
    query: <R>(strings: TemplateStringsArray, ...values: unknown[]) =>
      run(strings.reduce((text, part, i) => `${text}$${i}${part}`), values) as Promise<R[]>,
    queryRaw: <R>(text: string, params: unknown[] = []) => run(text, params) as Promise<R[]>,
  };
}

/** Queries as `role` with the caller's verified claims: RLS decides. */
export function rlsClient(
  connectionString: string,
  options: PoolOptions,
  claims: Record<string, unknown>,
  role: string,
): PostgresApi {
  const pool = poolFor(connectionString, options);
  const settings = rlsSettings(claims, role, options.statementTimeoutMs);
  return api((text, values) => pool.with((c) => transaction(c, settings, { text, values })));
}

/**
 * What an RLS-scoped query runs after, in its transaction: the caller's claims, the
 * role and the statement timeout, all local to the transaction.
 */
export function rlsSettings(
  claims: Record<string, unknown>,
  role: string,
  statementTimeoutMs: number,
): Statement {
  return {
    text: "select pg_catalog.set_config('request.jwt.claims', $1, true), " +
      "pg_catalog.set_config('role', $2, true), pg_catalog.set_config('statement_timeout', $3, true)",
    values: [JSON.stringify(claims), role, String(Math.trunc(statementTimeoutMs))],
  };
}

/** Queries as the connection's own role: RLS does not apply, so every query names its user. */
export function adminClient(connectionString: string, options: PoolOptions): PostgresApi {
  const pool = poolFor(connectionString, options);
  const settings: Statement = {
    text: "select pg_catalog.set_config('statement_timeout', $1, true)",
    values: [String(Math.trunc(options.statementTimeoutMs))],
  };
  return api((text, values) => pool.with((c) => transaction(c, settings, { text, values })));
}
