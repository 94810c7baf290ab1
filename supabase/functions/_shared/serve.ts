// The outermost layer of every function: CORS on every response (errors included),
// an x-request-id, a 400 for control characters in the URL, a request-body cap, a JSON
// log line per request (errors and slow ones always, the rest sampled), and the error
// envelope for anything that escaped the inner layers.

import { ApiError, toApiError } from "./errors.ts";
import { envNumber } from "./env.ts";

export type FetchHandler = (req: Request) => Promise<Response>;

/** Largest request body accepted by default, in bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

/** What inner layers learn about a request that the log line reports. */
export interface RequestInfo {
  requestId: string;
  route?: string;
  userId?: string;
}

// Keyed by the Request the inner layers receive (Hono's c.req.raw), so they can fill
// in what the log line reports. A WeakMap rather than AsyncLocalStorage: node:async_hooks
// would load the Node compatibility layer at import (~10 ms of every cold start).
const requests = new WeakMap<Request, RequestInfo>();

/**
 * Which request lines to write. The platform keeps about 100 log events per 10 s per
 * function: server errors (5xx) and slow requests (LOG_SLOW_MS, default 1000) are
 * always written; the rest are sampled (LOG_SAMPLE_RATE, 0..1, default 0.1) and at
 * most LOG_SAMPLED_PER_10S (default 50) of them per 10 s, so a flood of ordinary
 * requests cannot crowd out the errors. Unexpected errors are also logged in full by
 * logUnexpected, always.
 */
export class RequestLog {
  #windowStart = 0;
  #sampled = 0;

  constructor(
    readonly sampleRate: number,
    readonly slowMs: number,
    readonly sampledPer10s: number,
    readonly random: () => number = Math.random,
  ) {}

  keep(status: number, ms: number, now = Date.now()): boolean {
    if (status >= 500 || ms >= this.slowMs) return true;
    if (this.sampleRate <= 0 || this.random() >= this.sampleRate) return false;
    if (now - this.#windowStart >= 10_000) {
      this.#windowStart = now;
      this.#sampled = 0;
    }
    if (this.#sampled >= this.sampledPer10s) return false;
    this.#sampled++;
    return true;
  }
}

const requestLog = new RequestLog(
  Math.min(1, envNumber("LOG_SAMPLE_RATE", 0.1)),
  envNumber("LOG_SLOW_MS", 1000),
  envNumber("LOG_SAMPLED_PER_10S", 50),
);

/** What the log line will report about `req`, for inner layers to fill in (route, user). */
export const requestInfo = (req: Request): RequestInfo | undefined => requests.get(req);

/**
 * The headers supabase-js sends (its `@supabase/supabase-js/cors` list, which a test
 * keeps this in step with) plus x-request-id, from any origin: callers authenticate
 * with a bearer token or an API key, never a cookie.
 */
export const CORS_HEADERS: Record<string, string> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Headers":
    "authorization, x-client-info, apikey, content-type, x-retry-count, traceparent, " +
    "tracestate, baggage, x-request-id, x-region",
  "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
  "Access-Control-Expose-Headers": "x-request-id, retry-after, x-supabase-server-error",
};

// A caller-supplied id is kept only if it is short and plain, so logs stay parseable.
const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * The request with its body capped, not read: nothing is buffered before the inner
 * layers have authenticated the caller, and the body is read only by a handler that
 * needs it. A declared Content-Length over the cap is refused at once; a body that
 * turns out longer (chunked, or a lying header) fails the read with the same 413.
 */
function capBody(req: Request, limit: number): Request {
  if (req.body === null || req.method === "GET" || req.method === "HEAD") return req;
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) throw tooLarge(limit);
  let size = 0;
  const counted = req.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength;
        if (size > limit) controller.error(tooLarge(limit));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new Request(req.url, {
    method: req.method,
    headers: req.headers,
    body: counted,
    signal: req.signal,
    // A streamed request body (RequestInit's duplex is not in Deno's lib types yet).
    ...{ duplex: "half" },
  });
}

/** The ApiError a failed body read stands for: the cap's 413 if that is what stopped it. */
export function bodyReadError(e: unknown): unknown {
  return e instanceof ApiError
    ? e
    : (e as { cause?: unknown })?.cause instanceof ApiError
    ? (e as { cause: ApiError }).cause
    : e;
}

const tooLarge = (limit: number) =>
  new ApiError(413, "PAYLOAD_TOO_LARGE", `the request body exceeds ${limit} bytes`);

/** What every response carries besides CORS: API answers are never cached or sniffed. */
const HYGIENE_HEADERS: Record<string, string> = {
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
};

function finish(res: Response, requestId: string): Response {
  // Responses from fetch() or Response.error() have immutable headers: copy once.
  const out = new Response(res.body, res);
  for (const [k, v] of Object.entries(CORS_HEADERS)) out.headers.set(k, v);
  for (const [k, v] of Object.entries(HYGIENE_HEADERS)) out.headers.set(k, v);
  out.headers.set("x-request-id", requestId);
  return out;
}

/** Control characters (C0 and DEL): Postgres refuses NUL, and none belongs in a URL value. */
// deno-lint-ignore no-control-regex -- matching them is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

const controlError = (where: "path" | "query", field: string) =>
  new ApiError(
    400,
    "VALIDATION_FAILED",
    `invalid ${where}: ${field}: must not contain control characters`,
    {
      details: { fields: [{ field, message: "must not contain control characters" }] },
    },
  );

/**
 * 400 naming the query parameter or path segment of `url` that holds a control
 * character once decoded: every route refuses them before any query or upstream call
 * (serveFunction runs this before anything else), whether or not it reads that parameter.
 */
export function refuseControlCharacters(url: URL): void {
  for (const [name, value] of url.searchParams) {
    if (CONTROL.test(name)) throw controlError("query", JSON.stringify(name));
    if (CONTROL.test(value)) throw controlError("query", name);
  }
  url.pathname.split("/").forEach((segment, i) => {
    let decoded = segment;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      // malformed escapes are the route's to judge (a 404 like any unknown id)
    }
    if (CONTROL.test(decoded)) throw controlError("path", `segment ${i}`);
  });
}

/** Wraps a function's handler with the cross-cutting behaviour every function shares. */
export function serveFunction(
  name: string,
  inner: FetchHandler,
  opts: { maxBodyBytes?: number } = {},
): FetchHandler {
  const limit = opts.maxBodyBytes ?? MAX_BODY_BYTES;
  return async (req: Request) => {
    const started = performance.now();
    const supplied = req.headers.get("x-request-id");
    const info: RequestInfo = {
      requestId: supplied && REQUEST_ID.test(supplied) ? supplied : crypto.randomUUID(),
    };
    let res: Response;
    if (req.method === "OPTIONS") {
      // Preflights carry no credentials: answer before auth.
      res = new Response(null, { status: 204 });
    } else {
      try {
        refuseControlCharacters(new URL(req.url));
        const capped = capBody(req, limit);
        requests.set(capped, info);
        res = await inner(capped);
      } catch (e) {
        const err = toApiError(e);
        if (err.status === 500) logUnexpected(name, info, e);
        res = err.toResponse(info.requestId);
      }
    }
    const out = finish(res, info.requestId);
    const ms = Math.round((performance.now() - started) * 10) / 10;
    if (requestLog.keep(res.status, ms)) {
      console.log(JSON.stringify({
        level: res.status >= 500 ? "error" : "info",
        fn: name,
        method: req.method,
        route: info.route ?? new URL(req.url).pathname,
        status: res.status,
        ms,
        user_id: info.userId ?? null,
        request_id: info.requestId,
      }));
    }
    return out;
  };
}

function logUnexpected(name: string, info: RequestInfo, e: unknown) {
  // The stack goes to the server log only, never into the response.
  const detail = e instanceof Error ? (e.stack ?? e.message) : String(e);
  console.error(JSON.stringify({
    level: "error",
    fn: name,
    request_id: info.requestId,
    error: detail,
  }));
}
