// Unit tests of the SQLSTATE -> HTTP mapping every function shares.
import assert from "node:assert/strict";
import { ApiError, fromPostgresError, toApiError } from "../supabase/functions/_shared/errors.ts";
import { fromUpstreamStatus, retryAfterSeconds } from "../supabase/functions/_shared/upstream.ts";

const status = (code: string) => fromPostgresError({ code, message: "m" })?.status;

Deno.test("errors: constraint and input SQLSTATEs map to 4xx", () => {
  assert.equal(status("23505"), 409);
  assert.equal(status("23503"), 409);
  assert.equal(status("23514"), 422);
  assert.equal(status("23502"), 422);
  assert.equal(status("22023"), 422);
  assert.equal(status("P0001"), 422);
  assert.equal(status("22P02"), 400);
  assert.equal(status("22008"), 400);
  assert.equal(status("P0002"), 404);
  assert.equal(status("42501"), 403);
});

Deno.test("errors: an unavailable database is 503 with Retry-After", () => {
  for (const code of ["57P01", "57P03", "53300", "08006", "ECONNREFUSED", "40001"]) {
    const err = fromPostgresError({ code });
    assert.ok(err, code);
    assert.equal(err.status, 503, code);
    assert.ok(Number(err.toResponse().headers.get("retry-after")) > 0, code);
  }
  // db.ts's pool errors carry status 503 and a code.
  const pool = toApiError(
    Object.assign(new Error("busy"), { status: 503, code: "POSTGRES_POOL_BUSY" }),
  );
  assert.equal(pool.status, 503);
  // While new connections are paused after a failure, Retry-After is the pause.
  const paused = toApiError(
    Object.assign(new Error("paused"), {
      status: 503,
      code: "POSTGRES_CONNECT_PAUSED",
      details: { retryAfterMs: 3400 },
    }),
  );
  assert.equal(paused.toResponse().headers.get("retry-after"), "4");
  // node-postgres' own errors for a connection lost mid-query carry no code.
  for (const message of ["Connection terminated unexpectedly", "Connection terminated"]) {
    assert.equal(toApiError(new Error(message)).status, 503, message);
  }
  assert.equal(toApiError(new Error("Connection terminated by a typo")).status, 500);
});

Deno.test("errors: our own RPC messages pass through; unknown errors leak nothing", async () => {
  const raised = toApiError({ code: "22023", message: "end_date must not be before start_date" });
  assert.equal(raised.message, "end_date must not be before start_date");
  const leaked = toApiError(new Error('syntax error at or near "selec" in select * from secret'));
  assert.equal(leaked.status, 500);
  const body = await leaked.toResponse().json();
  assert.deepEqual(Object.keys(body).sort(), ["code", "hint", "message"]);
  assert.doesNotMatch(JSON.stringify(body), /selec|secret/);
  const undefinedTable = toApiError({ code: "42P01", message: 'relation "x" does not exist' });
  assert.equal(undefinedTable.status, 500);
});

Deno.test("errors: ApiError bodies have the envelope shape", () => {
  const e = new ApiError(422, "INVALID_INPUT", "bad", { hint: "h", details: { field: "f" } });
  assert.deepEqual(e.toBody(), {
    code: "INVALID_INPUT",
    message: "bad",
    hint: "h",
    details: { field: "f" },
  });
});

Deno.test("errors: Retry-After of a provider's 429 is read, and absent means the default", () => {
  const now = Date.parse("2026-11-25T10:00:00Z");
  assert.equal(retryAfterSeconds("7", 20, now), 7);
  assert.equal(retryAfterSeconds("0.2", 20, now), 1);
  assert.equal(retryAfterSeconds("99999", 20, now), 3600);
  assert.equal(retryAfterSeconds("Wed, 25 Nov 2026 10:01:00 GMT", 20, now), 60);
  // Absent, empty or unreadable: the fallback, never "retry at once".
  for (const h of [null, undefined, "", "  ", "soon", "-5"]) {
    assert.equal(retryAfterSeconds(h, 20, now), 20, `header ${JSON.stringify(h)}`);
  }
  const e = fromUpstreamStatus("OpenAI", 429, null);
  assert.equal(e.status, 429);
  assert.equal(e.toResponse().headers.get("retry-after"), "20");
});
