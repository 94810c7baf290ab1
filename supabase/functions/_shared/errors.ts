// One error shape for every response: { code, message, hint?, details? }, the shape
// Supabase's server library uses for its auth errors, so clients parse one thing.

export interface ErrorBody {
  code: string;
  message: string;
  hint?: string;
  details?: unknown;
  /** The request's x-request-id, to quote when reporting a problem. */
  request_id?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: { hint?: string; details?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "ApiError";
  }

  toBody(requestId?: string): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.extra.hint) body.hint = this.extra.hint;
    if (this.extra.details !== undefined) body.details = this.extra.details;
    if (requestId) body.request_id = requestId;
    return body;
  }

  /** The error as a response; `requestId` (the x-request-id) is repeated in the body. */
  toResponse(requestId?: string): Response {
    return Response.json(this.toBody(requestId), {
      status: this.status,
      headers: this.extra.headers,
    });
  }
}

export const notFound = (what = "resource") => new ApiError(404, "NOT_FOUND", `${what} not found`);

/** Seconds a client should wait before retrying when the database is unavailable. */
export const RETRY_AFTER_SECONDS = 2;

const unavailable = (message: string, retryAfter = RETRY_AFTER_SECONDS) =>
  new ApiError(503, "SERVICE_UNAVAILABLE", message, {
    hint: "Retry after the delay in the Retry-After header.",
    headers: { "Retry-After": String(retryAfter) },
  });

interface PgLikeError {
  code?: string;
  message?: string;
  constraint?: string;
  column?: string;
  detail?: string;
  hint?: string;
}

// Network-level failures reported by node:net / pg before any SQLSTATE exists.
const CONNECTION_ERRNOS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EHOSTUNREACH",
]);

// node-postgres reports a connection lost mid-query (a crashed or restarted server)
// with these plain messages and no code.
const LOST_CONNECTION = new RegExp(
  "^(Connection terminated( unexpectedly| due to connection timeout)?" +
    "|Client has encountered a connection error and is not queryable" +
    "|Client was closed and is not queryable|timeout expired" +
    "|timeout exceeded when trying to connect)$",
);

/**
 * Maps a Postgres error (SQLSTATE) to an ApiError. Messages raised by our own SQL
 * (22023, P0001, P0002) are meant for the caller and pass through; anything else
 * says what kind of rule failed, never the SQL or a stack.
 */
export function fromPostgresError(e: PgLikeError): ApiError | null {
  const code = e.code ?? "";
  if (CONNECTION_ERRNOS.has(code)) return unavailable("the database is unreachable");
  if (!code && LOST_CONNECTION.test(e.message ?? "")) {
    return unavailable("the connection to the database was lost");
  }
  if (!/^[0-9A-Z]{5}$/.test(code)) return null;
  const cls = code.slice(0, 2);
  switch (code) {
    case "23505":
      return new ApiError(409, "CONFLICT", "a row with these values already exists", {
        details: e.constraint ? { constraint: e.constraint } : undefined,
      });
    case "23503":
      return new ApiError(409, "CONFLICT", "the row references, or is referenced by, another row", {
        details: e.constraint ? { constraint: e.constraint } : undefined,
      });
    case "23514":
      return new ApiError(
        422,
        "CONSTRAINT_VIOLATION",
        "the values break a rule of the data model",
        {
          details: e.constraint ? { constraint: e.constraint } : undefined,
        },
      );
    case "54000":
      // Our own limits (migration ..._limits): the message names the limit.
      return new ApiError(409, "LIMIT_REACHED", e.message ?? "a limit was reached", {
        hint: e.hint ?? "Delete some before adding more.",
      });
    case "55000":
      // A state that forbids the action (an invitation already answered or expired).
      return new ApiError(
        409,
        "CONFLICT",
        e.message ?? "the resource is not in a state that allows this",
        {
          hint: e.hint,
        },
      );
    case "23502":
      return new ApiError(422, "CONSTRAINT_VIOLATION", "a required value is missing", {
        details: e.column ? { field: e.column } : undefined,
      });
    case "22023":
    case "P0001":
      // Our RPCs name the offending field in the error's COLUMN (private.invalid).
      return new ApiError(422, "INVALID_INPUT", e.message ?? "invalid input", {
        hint: e.hint,
        details: e.column ? { field: e.column } : undefined,
      });
    case "P0002":
      return notFound(e.message?.replace(/ not found$/, "") || "resource");
    case "42501": {
      // Our RPCs explain the refusal; Postgres' own texts name tables and policies.
      // A grant hint for developers (as pg or a pooler may append) is not for the caller.
      const own = e.message?.replace(/ \(RLS-scoped queries run as .*\)$/s, "");
      return new ApiError(
        403,
        "FORBIDDEN",
        own && !/^(permission denied|new row violates)/.test(own)
          ? own
          : "you do not have permission to do this",
      );
    }
    case "40001":
    case "40P01":
      return unavailable("the request conflicted with a concurrent one");
    case "53300":
    case "57P01":
    case "57P02":
    case "57P03":
      return unavailable("the database is unavailable");
    case "57014":
      return unavailable("the query took too long");
  }
  if (cls === "22") return new ApiError(400, "INVALID_INPUT", "a value has the wrong format");
  if (cls === "08") return unavailable("the database connection failed");
  return null;
}

/** Anything thrown inside a handler, as the ApiError to answer with. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e && typeof e === "object") {
    const err = e as { status?: unknown; code?: unknown; details?: { retryAfterMs?: unknown } };
    // The pool's errors (db.ts: POSTGRES_POOL_BUSY, POSTGRES_CONNECT_PAUSED): 503.
    // After a failed connect the pool pauses new ones (backoff up to 5 s) and says
    // for how long: Retry-After tells the caller the same.
    if (err.status === 503 && typeof err.code === "string") {
      const pausedMs = err.details?.retryAfterMs;
      if (typeof pausedMs === "number" && pausedMs > 0) {
        return unavailable("the database is unreachable", Math.ceil(pausedMs / 1000));
      }
      return unavailable(
        err.code === "POSTGRES_POOL_BUSY"
          ? "every database connection is busy"
          : "the database is busy or unavailable",
      );
    }
    const mapped = fromPostgresError(e as PgLikeError);
    if (mapped) return mapped;
  }
  return new ApiError(500, "INTERNAL_ERROR", "an unexpected error occurred", {
    hint: "The request id in x-request-id identifies this failure in the logs.",
  });
}
