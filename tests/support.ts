// What only the tests use: supabase-js as an app uses it, raw calls, the admin
// client's shape and the Data API's transaction. Reaching the stack (variables, users,
// requests) is harness/stack.ts.

import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import type { PostgresApi } from "../supabase/functions/_shared/db.ts";
import pg from "pg";
import { env, FUNCTIONS_URL, type TestUser } from "../harness/stack.ts";

/** supabase-js as an app would use it, signed in as `user` (or anonymous). */
export function client(user?: TestUser): SupabaseClient {
  return createClient(env("SUPABASE_URL"), env("SUPABASE_PUBLISHABLE_KEY"), {
    auth: { persistSession: false, autoRefreshToken: false },
    ...(user ? { accessToken: () => Promise.resolve(user.token) } : {}),
  });
}

/** A raw HTTP call to a function, for status codes and headers. */
export async function call(
  path: string,
  init: RequestInit & { token?: string } = {},
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("Authorization", `Bearer ${init.token}`);
  if (init.body && !headers.has("content-type")) headers.set("content-type", "application/json");
  const res = await fetch(`${FUNCTIONS_URL()}${path}`, { ...init, headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text so the assertion shows it
  }
  return { status: res.status, headers: res.headers, body };
}

export interface Invoked {
  status: number;
  // deno-lint-ignore no-explicit-any -- tests assert on whatever came back
  body: any;
  headers: Headers;
}

/**
 * Calls a function route the way an app does, with supabase-js functions.invoke,
 * and returns status, headers and parsed body for successes and errors alike.
 */
export async function invoke(
  user: TestUser | undefined,
  path: string,
  method: "GET" | "POST" | "PATCH" | "DELETE" = "GET",
  body?: unknown,
): Promise<Invoked> {
  const { data, error, response } = await client(user).functions.invoke(path, {
    method,
    ...(body === undefined ? {} : { body: body as Record<string, unknown> }),
  });
  if (error) {
    const res: Response | undefined = (error as { context?: Response }).context;
    if (!res) throw error;
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  }
  return {
    status: response?.status ?? 200,
    headers: response?.headers ?? new Headers(),
    body: data,
  };
}

/**
 * Runs `fn` with a PostgresApi over a connection as the database owner, the shape
 * the functions' admin client has, closed afterwards (Deno's sanitizers check).
 */
export async function withAdminDb<T>(fn: (admin: PostgresApi) => Promise<T>): Promise<T> {
  const pool = new pg.Pool({ connectionString: env("SUPABASE_DB_URL"), max: 8 });
  const queryRaw = async <R>(text: string, params: unknown[] = []): Promise<R[]> =>
    (await pool.query(text, params)).rows as R[];
  const api: PostgresApi = {
    query: <R>(strings: TemplateStringsArray, ...values: unknown[]) =>
      queryRaw<R>(strings.reduce((text, part, i) => `${text}$${i}${part}`), values),
    queryRaw,
  };
  try {
    return await fn(api);
  } finally {
    await pool.end();
  }
}

/**
 * One statement as `user` through what the Data API (PostgREST) does: a transaction
 * with the user's claims and role `authenticated`. Resolves to the rows, or to the
 * Postgres error's SQLSTATE (`{ code }`) when it fails.
 */
export async function asDataApi(
  user: TestUser,
  sql: string,
  params: unknown[] = [],
): Promise<{ rows: Record<string, unknown>[]; code?: string }> {
  const db = new pg.Client({ connectionString: env("SUPABASE_DB_URL") });
  await db.connect();
  try {
    await db.query("begin");
    await db.query("select set_config('request.jwt.claims', $1, true)", [
      JSON.stringify({ sub: user.id, role: "authenticated", aud: "authenticated" }),
    ]);
    await db.query("set local role authenticated");
    try {
      return { rows: (await db.query(sql, params)).rows };
    } catch (e) {
      return { rows: [], code: (e as { code?: string }).code };
    } finally {
      await db.query("rollback");
    }
  } finally {
    await db.end();
  }
}
