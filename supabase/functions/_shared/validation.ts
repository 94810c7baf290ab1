// zod at the edge of every route: params, query and body are parsed before any SQL
// runs, and a failure is a 400 that names each failing field by its path.

import type { Context } from "hono";
import { z } from "zod";
import { ApiError } from "./errors.ts";
import { bodyReadError } from "./serve.ts";

export interface FieldError {
  field: string;
  message: string;
}

function validationError(where: string, error: z.ZodError): ApiError {
  const fields: FieldError[] = error.issues.map((i) => ({
    field: i.path.length ? i.path.map(String).join(".") : where,
    message: i.message,
  }));
  const first = fields[0];
  return new ApiError(
    400,
    "VALIDATION_FAILED",
    `invalid ${where}: ${first.field}: ${first.message}`,
    { details: { fields } },
  );
}

/** Validates an already parsed value; a failure is the same 400 as parseBody's. */
export function validate<T extends z.ZodType>(
  schema: T,
  value: unknown,
  where = "body",
): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(where, r.error);
  return r.data;
}

/**
 * Query parameters a client library adds on its own and every route accepts and
 * ignores: supabase-js's `region` option sends `forceFunctionRegion` (the platform's
 * routing hint, meaningless once a request has reached its function).
 */
const CLIENT_PARAMETERS = new Set(["forceFunctionRegion"]);

/** Parses the path parameters of the matched route. */
export function parseParams<T extends z.ZodType>(c: Context, schema: T): z.infer<T> {
  const r = schema.safeParse(c.req.param());
  if (!r.success) {
    // A malformed id names nothing that could exist: same answer as a missing row.
    throw new ApiError(404, "NOT_FOUND", "resource not found", {
      details: { fields: r.error.issues.map((i) => i.path.join(".")) },
    });
  }
  return r.data;
}

/**
 * Parses the query string: repeated keys are refused rather than guessed, and the
 * client libraries' own parameters are ignored.
 */
export function parseQuery<T extends z.ZodType>(c: Context, schema: T): z.infer<T> {
  const all = c.req.queries();
  const single: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) {
    if (CLIENT_PARAMETERS.has(k)) continue;
    if (v.length > 1) {
      throw new ApiError(400, "VALIDATION_FAILED", `invalid query: ${k} is given more than once`, {
        details: { fields: [{ field: k, message: "given more than once" }] },
      });
    }
    single[k] = v[0];
  }
  const r = schema.safeParse(single);
  if (!r.success) throw validationError("query", r.error);
  return r.data;
}

/** The request body as text; over the function's cap, the 413 of serve.ts. */
export async function readBody(c: Context): Promise<string> {
  try {
    return await c.req.text();
  } catch (e) {
    throw bodyReadError(e);
  }
}

/**
 * The path of the first string (key or value) holding U+0000, if any. Iterative: a
 * body may nest thousands of levels deep (JSON.parse accepts it; recursion would not).
 */
function pathWithNul(root: unknown): string | undefined {
  const todo: [unknown, string][] = [[root, ""]];
  while (todo.length > 0) {
    const [v, path] = todo.pop()!;
    if (typeof v === "string") {
      if (v.includes("\u0000")) return path || "body";
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => todo.push([x, path ? `${path}.${i}` : String(i)]));
    } else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        const here = path ? `${path}.${k}` : k;
        if (k.includes("\u0000")) return here;
        todo.push([x, here]);
      }
    }
  }
  return undefined;
}

/** 415 unless the body is declared as JSON. */
export function requireJson(c: Context): void {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "send the body as application/json");
  }
}

/** JSON text as a value: 400 when malformed, or when a string holds what Postgres refuses. */
export function parseJson(text: string): unknown {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ApiError(400, "INVALID_JSON", "the body is not valid JSON");
  }
  const nul = pathWithNul(raw);
  if (nul !== undefined) {
    // Postgres text cannot hold U+0000: refuse it here, before any upstream call.
    throw new ApiError(400, "VALIDATION_FAILED", `invalid body: ${nul}: must not contain NUL`, {
      details: { fields: [{ field: nul, message: "must not contain the NUL character" }] },
    });
  }
  return raw;
}

/** Parses a JSON body: 415 unless JSON, 400 when malformed or invalid. */
export async function parseBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  requireJson(c);
  return validate(schema, parseJson(await readBody(c)));
}

// Shared field schemas.
export const id = z.string().regex(/^[1-9][0-9]{0,15}$/, "must be a positive integer id");
export const uuid = z.string().uuid();
export const isoDate = z.string().date("must be a date as YYYY-MM-DD");
export const isoDateTime = z.string().datetime({
  offset: true,
  message: "must be an ISO 8601 date-time with a time zone",
});
export const currency = z.string().regex(
  /^[A-Z]{3}$/,
  "must be a 3-letter ISO 4217 code such as EUR",
);
/** At most two decimals, judged on the JSON text of the number (no float rounding). */
export const cents = (n: number) => /^-?\d+(\.\d{1,2})?$/.test(String(n));
/** Largest amount a numeric(precision, 2) column holds: numeric(12,2) -> 9999999999.99. */
export const maxAmount = (precision: number) => Number(`${"9".repeat(precision - 2)}.99`);
/** A price: numeric(12,2) in the database. */
export const money = z.number().min(0).max(maxAmount(12)).refine(
  cents,
  "must have at most 2 decimals",
);
/** A JSON object, bounded so that nesting cannot be used to exhaust the server. */
export const jsonObject = z.record(z.string(), z.unknown()).refine(
  (o) => JSON.stringify(o).length <= 16_384,
  "must be at most 16 KiB as JSON",
);
