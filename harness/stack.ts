// What tests, benchmarks and reliability runs share to reach the running stack
// (scripts/test.sh, bench.sh and reliability.sh start it and pass its stack.env): its
// variables, an admin pool, users with tokens (made as the `token` command makes
// them), raw requests to the functions, the local OpenAI server's own routes.

import pg from "pg";
import { ensureUser, signAccessToken } from "../scripts/token.ts";

export function env(name: string): string {
  const v = Deno.env.get(name);
  if (!v) {
    throw new Error(
      `${name} is not set: run through npm test, npm run bench or npm run reliability`,
    );
  }
  return v;
}

export const FUNCTIONS_URL = () => env("SUPABASE_FUNCTIONS_URL");

export interface TestUser {
  id: string;
  email: string;
  token: string;
}

const signingKey = () => JSON.parse(Deno.readTextFileSync(env("SIGNING_KEY_PATH")));

/** A fresh user (unique email per call unless one is given) and its access token. */
export async function newUser(label = "user", email?: string): Promise<TestUser> {
  const address = email ?? `${label}.${crypto.randomUUID().slice(0, 8)}@test.local`;
  const id = await ensureUser(env("SUPABASE_DB_URL"), address);
  const token = await signAccessToken(id, address, {
    supabaseUrl: env("SUPABASE_URL"),
    signingKey: signingKey(),
  });
  return { id, email: address, token };
}

/** A token for `user` with claims changed, for tests that forge bad tokens. */
export async function tokenWith(
  user: { id: string; email: string },
  opts: { expiresIn?: number; claims?: Record<string, unknown> },
): Promise<string> {
  return await signAccessToken(user.id, user.email, {
    supabaseUrl: env("SUPABASE_URL"),
    signingKey: signingKey(),
    ...opts,
  });
}

export interface Reply {
  status: number;
  headers: Headers;
  // deno-lint-ignore no-explicit-any -- tests assert on whatever came back
  body: any;
  text: string;
}

/** A raw request to `<functions url><path>` with a bearer token and optional headers. */
export async function request(
  user: { token: string } | null,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const h = new Headers(headers);
  if (user) h.set("Authorization", `Bearer ${user.token}`);
  if (body !== undefined) h.set("content-type", "application/json");
  const res = await fetch(`${FUNCTIONS_URL()}${path}`, {
    method,
    headers: h,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null, text };
}

/** The local OpenAI-compatible server's own routes (/__faults, /__stats, /__responses, /__requests). */
export const localOpenAi = (path: string, init: RequestInit = {}) =>
  fetch(`${env("OPENAI_BASE_URL").replace(/\/v1$/, "")}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${env("LOCAL_OPENAI_KEY")}` },
  });

/** A user whose stored OpenAI key is the one the local OpenAI server accepts. */
export async function userWithKey(label: string): Promise<TestUser> {
  const user = await newUser(label);
  const res = await request(user, "POST", "/api-keys", {
    service_name: "openai",
    key_name: "default",
    value: env("LOCAL_OPENAI_KEY"),
  });
  if (res.status !== 201) throw new Error(`storing the key: ${res.status} ${res.text}`);
  return user;
}

export const adminPool = (max = 8) =>
  new pg.Pool({ connectionString: env("SUPABASE_DB_URL"), max });

export interface BenchUser {
  id: string;
  token: string;
  /** Authorization and content type for calls to the functions. */
  headers: Record<string, string>;
}

/**
 * A user with an hour-long token whose stored OpenAI key is the one the local
 * embeddings server accepts, so memories routes can embed.
 */
export async function benchUser(email: string): Promise<BenchUser> {
  const user = await newUser("bench", email);
  const token = await tokenWith(user, { expiresIn: 3600 });
  // A 409 on a later run (the key already exists) is fine.
  await request({ token }, "POST", "/api-keys", {
    service_name: "openai",
    key_name: "bench",
    value: env("LOCAL_OPENAI_KEY"),
  });
  return {
    id: user.id,
    token,
    headers: { Authorization: `Bearer ${token}`, "content-type": "application/json" },
  };
}
