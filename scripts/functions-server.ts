// Serves every folder of supabase/functions/ (except _shared) at
// /functions/v1/<name>/..., calling each function's own default-export `fetch`
// handler, the contract `supabase functions serve` and the hosted runtime use. As
// there, the function sees the path from /<name> on (hence Hono's basePath).
//
// Like the platform, it offers `EdgeRuntime.waitUntil(promise)` (work that outlives
// its response) and, standing in for a pg_cron schedule, calls the chat sweep every
// CHAT_SWEEP_INTERVAL_MS (0: never).
//
// Env: the platform's variables (SUPABASE_URL, SUPABASE_DB_URL, SUPABASE_JWKS,
// SUPABASE_PUBLISHABLE_KEYS, SUPABASE_SECRET_KEYS, ...) plus API_PORT and, optionally,
// FUNCTIONS (a comma-separated list of the functions to serve).

import { ApiError } from "../supabase/functions/_shared/errors.ts";
import { serveFunction } from "../supabase/functions/_shared/serve.ts";
import { functionNames, functionsDir } from "./function-names.ts";

type Handler = (req: Request) => Promise<Response> | Response;

const port = Number(Deno.env.get("API_PORT") ?? "54321");

// The edge runtime's background work: a long-lived server keeps running it anyway; it
// only has to be caught, so a failure is logged rather than an unhandled rejection.
const runtime = globalThis as { EdgeRuntime?: { waitUntil(p: Promise<unknown>): void } };
runtime.EdgeRuntime ??= {
  waitUntil(p: Promise<unknown>) {
    p.catch((e) =>
      console.error(JSON.stringify({ level: "error", msg: "background work", error: String(e) }))
    );
  },
};

async function loadFunctions(): Promise<Map<string, Handler>> {
  const handlers = new Map<string, Handler>();
  // FUNCTIONS=a,b serves only those: how a test boots one function through its own
  // deno.json (`deno run --config supabase/functions/<name>/deno.json`), as the platform does.
  const only = Deno.env.get("FUNCTIONS")?.split(",").filter(Boolean);
  const names = (await functionNames()).filter((n) => !only || only.includes(n));
  for (const name of names) {
    const mod = await import(new URL(`${name}/index.ts`, functionsDir).href);
    const fetch = mod.default?.fetch;
    if (typeof fetch !== "function") {
      throw new Error(`supabase/functions/${name}/index.ts has no default export { fetch }`);
    }
    handlers.set(name, fetch);
  }
  return handlers;
}

// The server's own answers (no such function, a service it does not run) go through
// the same outer layer as a function's: error envelope, CORS, x-request-id, a log line.
const refuse = (req: Request, error: ApiError) =>
  serveFunction("functions-server", () => {
    throw error;
  })(req);

/**
 * The Supabase services a hosted project (or `supabase start`) serves beside Edge
 * Functions, which this stack does not run, and what to use instead.
 */
const NOT_SERVED: [RegExp, string, string][] = [
  [
    /^\/auth\/v1(\/|$)/,
    "Supabase Auth",
    "locally, get an access token with `npm run -s token -- <email>`; for sign-up and sign-in " +
    "flows use `supabase start` (Docker) or a hosted project",
  ],
  [
    /^\/rest\/v1(\/|$)/,
    "the Data API (PostgREST)",
    "call the functions (/functions/v1/...), or query Postgres directly; the tests check what " +
    "the Data API would allow through SQL as each role; for PostgREST itself use `supabase " +
    "start` (Docker) or a hosted project",
  ],
  [
    /^\/realtime\/v1(\/|$)/,
    "Supabase Realtime",
    "use `supabase start` (Docker) or a hosted project; the broadcast policies are tested at the " +
    'SQL level (docs/api.md, "Live trip updates")',
  ],
  [
    /^\/storage\/v1(\/|$)/,
    "Supabase Storage",
    "use `supabase start` (Docker) or a hosted project",
  ],
  [
    /^\/graphql\/v1(\/|$)/,
    "GraphQL (pg_graphql)",
    "use `supabase start` (Docker) or a hosted project",
  ],
];

function notServed(path: string): ApiError | null {
  const hit = NOT_SERVED.find(([re]) => re.test(path));
  if (!hit) return null;
  const [, service, instead] = hit;
  return new ApiError(
    501,
    "NOT_SERVED_LOCALLY",
    `${service} is not part of this Docker-less local stack, which serves Edge Functions, ` +
      "Postgres, Redis and an OpenAI-compatible server",
    { hint: `Instead: ${instead}.` },
  );
}

const handlers = await loadFunctions();

/** What pg_cron + pg_net do on hosted (README, "Deploying"): POST the chat sweep. */
function scheduleSweep(chat: Handler | undefined) {
  const every = Number(Deno.env.get("CHAT_SWEEP_INTERVAL_MS") ?? "0");
  const secret = Deno.env.get("SUPABASE_SECRET_KEY");
  if (!chat || !secret || !(every > 0)) return;
  setInterval(async () => {
    try {
      const res = await chat(
        new Request(`http://127.0.0.1:${port}/chat/admin/sweep`, {
          method: "POST",
          headers: { apikey: secret, "content-type": "application/json" },
          body: "{}",
        }),
      );
      await res.body?.cancel();
    } catch (e) {
      console.error(JSON.stringify({ level: "error", msg: "chat sweep", error: String(e) }));
    }
  }, every);
}
scheduleSweep(handlers.get("chat"));

Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen: () =>
    console.error(
      `[functions] serving ${
        [...handlers.keys()].join(", ")
      } on http://127.0.0.1:${port}/functions/v1/`,
    ),
}, async (req) => {
  const url = new URL(req.url);
  const unserved = notServed(url.pathname);
  if (unserved) return await refuse(req, unserved);
  const match = url.pathname.match(/^\/functions\/v1\/([^/]+)(\/.*)?$/);
  const available = [...handlers.keys()].sort();
  const listed = {
    hint: `Functions here: ${available.join(", ")}.`,
    details: { functions: available },
  };
  if (!match) {
    return await refuse(
      req,
      new ApiError(
        404,
        "FUNCTION_NOT_FOUND",
        `no route ${url.pathname}; functions live under /functions/v1/<name>`,
        listed,
      ),
    );
  }
  const handler = handlers.get(match[1]);
  if (!handler) {
    return await refuse(
      req,
      new ApiError(404, "FUNCTION_NOT_FOUND", `no function named '${match[1]}'`, listed),
    );
  }
  url.pathname = `/${match[1]}${match[2] ?? ""}`;
  let forwarded: Request;
  try {
    forwarded = new Request(url, req);
  } catch {
    // TRACE, CONNECT and TRACK cannot be carried by a Request at all.
    return await serveFunction("functions-server", () => {
      throw new ApiError(405, "METHOD_NOT_ALLOWED", `${req.method} is not allowed`, {
        headers: { Allow: "GET, POST, PATCH, DELETE, OPTIONS" },
      });
    })(new Request(url, { method: "GET", headers: req.headers }));
  }
  return await handler(forwarded);
});
