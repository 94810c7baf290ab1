// zod at the edge of every route: params, query and body are parsed before any SQL
// runs, and a failure is a 400 that names each failing field by its path.

import type { Context } from "hono";
import { z } from "zod";
import { ApiError } from "./errors.ts";

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

/** Parses the query string; repeated keys are refused rather than guessed. */
export function parseQuery<T extends z.ZodType>(c: Context, schema: T): z.infer<T> {
  const all = c.req.queries();
  const single: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) {
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

/** Parses a JSON body: 415 unless JSON, 400 when malformed or invalid. */
export async function parseBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "send the body as application/json");
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await c.req.text());
  } catch {
    throw new ApiError(400, "INVALID_JSON", "the body is not valid JSON");
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw validationError("body", r.error);
  return r.data;
}

// Shared field schemas.
export const id = z.string().regex(/^[1-9][0-9]{0,15}$/, "must be a positive integer id");
export const uuid = z.uuid();
export const isoDate = z.iso.date({ error: "must be a date as YYYY-MM-DD" });
export const isoDateTime = z.iso.datetime({
  offset: true,
  error: "must be an ISO 8601 date-time with a time zone",
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
