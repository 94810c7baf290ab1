// Key validation against each provider's API, answered by a local HTTP server that
// speaks the part of each protocol the probe uses (the real hosts are unreachable).
import assert from "node:assert/strict";
import { checkWithProvider } from "../supabase/functions/api-keys/providers.ts";
import type { Service } from "../supabase/functions/_shared/byok.ts";
import { ApiError } from "../supabase/functions/_shared/errors.ts";

const GOOD = "good-key-0123456789";

// Each route checks the key where that provider expects it.
function fakeProviders(req: Request): Response | Promise<Response> {
  const url = new URL(req.url);
  const h = req.headers;
  const deny = (status: number) =>
    Response.json({ error: { message: `bad key ${GOOD}` } }, { status });
  switch (url.pathname) {
    case "/openai/models":
      return h.get("authorization") === `Bearer ${GOOD}` ? Response.json({ data: [] }) : deny(401);
    case "/anthropic/v1/models":
      if (h.get("anthropic-version") !== "2023-06-01") return deny(400);
      return h.get("x-api-key") === GOOD ? Response.json({ data: [] }) : deny(401);
    case "/duffel/air/airlines":
      if (h.get("duffel-version") !== "v2") return deny(400);
      return h.get("authorization") === `Bearer ${GOOD}` ? Response.json({ data: [] }) : deny(401);
    case "/owm/data/2.5/weather":
      return url.searchParams.get("appid") === GOOD ? Response.json({ name: "" }) : deny(401);
    case "/gmaps/maps/api/geocode/json":
      // Google answers 200 either way and puts the verdict in the body.
      return Response.json(
        url.searchParams.get("key") === GOOD
          ? { status: "OK", results: [] }
          : { status: "REQUEST_DENIED", error_message: "The provided API key is invalid." },
      );
    case "/slow/models":
      return new Promise((r) => setTimeout(() => r(Response.json({})), 1500));
    case "/broken/models":
      return new Response("upstream exploded", { status: 500 });
    case "/limited/models":
      return new Response("slow down", { status: 429, headers: { "retry-after": "12" } });
    case "/redirect/models":
      return Response.redirect("http://example.invalid/steal", 302);
  }
  return new Response("no such route", { status: 404 });
}

const BASES = {
  OPENAI_BASE_URL: "openai",
  ANTHROPIC_BASE_URL: "anthropic",
  DUFFEL_BASE_URL: "duffel",
  OPENWEATHERMAP_BASE_URL: "owm",
  GOOGLE_MAPS_BASE_URL: "gmaps",
};

async function withProviders(fn: (origin: string) => Promise<void>) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, fakeProviders);
  const origin = `http://127.0.0.1:${server.addr.port}`;
  const saved = new Map<string, string | undefined>();
  for (const [name, path] of Object.entries({ ...BASES, UPSTREAM_TIMEOUT_MS: "" })) {
    saved.set(name, Deno.env.get(name));
    if (path) Deno.env.set(name, `${origin}/${path}`);
  }
  Deno.env.set("UPSTREAM_TIMEOUT_MS", "500");
  try {
    await fn(origin);
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
    await server.shutdown();
  }
}

async function failsWith(service: Service, key: string, status: number, code: string) {
  await assert.rejects(checkWithProvider(service, key), (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.status, status, `${service}: ${e.message}`);
    assert.equal(e.code, code);
    assert.ok(
      !e.message.includes(key),
      "the provider's message (which quotes the key) is not passed on",
    );
    return true;
  });
}

Deno.test("providers: each service accepts its good key and refuses a bad one", async () => {
  await withProviders(async () => {
    for (
      const service of ["openai", "anthropic", "duffel", "openweathermap", "google_maps"] as const
    ) {
      await checkWithProvider(service, GOOD);
      await failsWith(service, "bad-key-0123456789", 422, "API_KEY_REJECTED");
    }
  });
});

Deno.test("providers: slow, failing, rate-limited, redirecting and unreachable upstreams", async () => {
  await withProviders(async (origin) => {
    Deno.env.set("OPENAI_BASE_URL", `${origin}/slow`);
    await failsWith("openai", GOOD, 504, "UPSTREAM_TIMEOUT");
    Deno.env.set("OPENAI_BASE_URL", `${origin}/broken`);
    await failsWith("openai", GOOD, 502, "UPSTREAM_ERROR");
    Deno.env.set("OPENAI_BASE_URL", `${origin}/limited`);
    await assert.rejects(checkWithProvider("openai", GOOD), (e: unknown) => {
      assert.ok(e instanceof ApiError && e.status === 429);
      assert.equal(e.extra.headers?.["Retry-After"], "12");
      return true;
    });
    Deno.env.set("OPENAI_BASE_URL", `${origin}/redirect`);
    await failsWith("openai", GOOD, 502, "UPSTREAM_UNREACHABLE");
    // A port nobody listens on.
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const closed = (probe.addr as Deno.NetAddr).port;
    probe.close();
    Deno.env.set("OPENAI_BASE_URL", `http://127.0.0.1:${closed}/v1`);
    await failsWith("openai", GOOD, 502, "UPSTREAM_UNREACHABLE");
  });
});
