// Asking a provider whether a key works, with the cheapest authenticated read each
// offers. Base URLs are configurable so that tests and the local stack answer
// instead of the real providers (OPENAI_BASE_URL is the local embeddings server).

import type { Service } from "../_shared/byok.ts";
import {
  fromUpstreamStatus,
  keyRejected,
  upstreamFailed,
  upstreamTimeout,
  upstreamTimeoutMs,
  upstreamUnreachable,
} from "../_shared/upstream.ts";

interface Probe {
  url: string;
  headers?: Record<string, string>;
  /** For providers that answer 200 to a refused key (Google). */
  refused?: (body: unknown) => boolean;
}

const base = (name: string, fallback: string) =>
  (Deno.env.get(name) || fallback).replace(/\/+$/, "");

const PROBES: Record<Service, (key: string) => Probe> = {
  openai: (key) => ({
    url: `${base("OPENAI_BASE_URL", "https://api.openai.com/v1")}/models`,
    headers: { Authorization: `Bearer ${key}` },
  }),
  anthropic: (key) => ({
    url: `${base("ANTHROPIC_BASE_URL", "https://api.anthropic.com")}/v1/models?limit=1`,
    headers: { "x-api-key": key, "anthropic-version": "2023-06-01" },
  }),
  duffel: (key) => ({
    url: `${base("DUFFEL_BASE_URL", "https://api.duffel.com")}/air/airlines?limit=1`,
    headers: { Authorization: `Bearer ${key}`, "Duffel-Version": "v2" },
  }),
  openweathermap: (key) => ({
    url: `${base("OPENWEATHERMAP_BASE_URL", "https://api.openweathermap.org")}` +
      `/data/2.5/weather?lat=0&lon=0&appid=${encodeURIComponent(key)}`,
  }),
  google_maps: (key) => ({
    url: `${base("GOOGLE_MAPS_BASE_URL", "https://maps.googleapis.com")}` +
      `/maps/api/geocode/json?address=Paris&key=${encodeURIComponent(key)}`,
    refused: (body) => (body as { status?: unknown } | null)?.status === "REQUEST_DENIED",
  }),
};

/**
 * Resolves when `service` accepts `key`; otherwise throws the ApiError to answer:
 * 422 refused, 429 rate limited, 504 timeout, 502 unreachable or failing.
 */
export async function checkWithProvider(service: Service, key: string): Promise<void> {
  const probe = PROBES[service](key);
  let res: Response;
  try {
    res = await fetch(probe.url, {
      headers: { Accept: "application/json", ...probe.headers },
      // A redirect could carry the key to another host: treat it as a failure.
      redirect: "error",
      signal: AbortSignal.timeout(upstreamTimeoutMs()),
    });
  } catch (e) {
    if (isTimeout(e)) throw upstreamTimeout(service);
    throw upstreamUnreachable(service);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw fromUpstreamStatus(service, res.status, res.headers.get("retry-after"));
  }
  if (!probe.refused) {
    await res.body?.cancel();
    return;
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch (e) {
    if (isTimeout(e)) throw upstreamTimeout(service);
    throw upstreamFailed(service, res.status);
  }
  if (probe.refused(body)) throw keyRejected(service, res.status);
}

const isTimeout = (e: unknown) => e instanceof DOMException && e.name === "TimeoutError";
