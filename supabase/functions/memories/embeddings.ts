// Embeddings with the `openai` SDK, with the caller's own key (or the deployment's),
// at OPENAI_BASE_URL when set (the local stack's embeddings server) or OpenAI.

import type OpenAI from "openai";
import type { PostgresApi } from "../_shared/db.ts";
import { useApiKey } from "../_shared/byok.ts";
import type { Keyring } from "../_shared/byok_crypto.ts";
import { ApiError } from "../_shared/errors.ts";
import {
  fromUpstreamStatus,
  upstreamFailed,
  upstreamTimeout,
  upstreamTimeoutMs,
  upstreamUnreachable,
} from "../_shared/upstream.ts";

export const DIMENSIONS = 1536;
export const MODEL = Deno.env.get("OPENAI_EMBEDDING_MODEL") || "text-embedding-3-small";

/** Whose key an upstream call uses: a refused server key is our fault, not the user's. */
export interface OpenAiKey {
  value: string;
  owner: "user" | "server";
}

/** The caller's active OpenAI key, else the deployment's OPENAI_API_KEY, else 424. */
export async function openAiKeyFor(
  admin: PostgresApi,
  keyring: Keyring,
  userId: string,
): Promise<OpenAiKey> {
  const own = await useApiKey(admin, keyring, userId, "openai");
  if (own) return { value: own.value, owner: "user" };
  const server = Deno.env.get("OPENAI_API_KEY");
  if (server) return { value: server, owner: "server" };
  throw new ApiError(
    424,
    "OPENAI_KEY_REQUIRED",
    "memories need an OpenAI key: add yours with POST /functions/v1/api-keys " +
      '{"service_name":"openai","key_name":"default","value":"sk-..."}',
  );
}

/**
 * The SDK, loaded on the first upstream call: it is the heaviest module of the
 * function (~50 ms to import on 2 cores), and most requests (lists, reads, errors)
 * never need it (docs/benchmarks.md, startup).
 */
let sdk: Promise<typeof OpenAI> | undefined;
const openAiSdk = () => (sdk ??= import("openai").then((m) => m.default));

function upstreamError(
  OpenAI: typeof import("openai").default,
  e: unknown,
  key: OpenAiKey,
): unknown {
  if (e instanceof OpenAI.APIConnectionTimeoutError) return upstreamTimeout("OpenAI");
  if (e instanceof OpenAI.APIConnectionError) return upstreamUnreachable("OpenAI");
  if (e instanceof OpenAI.APIError && e.status) {
    if ((e.status === 401 || e.status === 403) && key.owner === "server") {
      console.error(
        JSON.stringify({ level: "error", msg: "OPENAI_API_KEY was refused", status: e.status }),
      );
      return upstreamFailed("OpenAI", e.status);
    }
    if (e.status === 400) {
      return new ApiError(
        422,
        "UPSTREAM_REJECTED_INPUT",
        "OpenAI refused to embed this input (HTTP 400)",
      );
    }
    return fromUpstreamStatus("OpenAI", e.status, e.headers?.get("retry-after"));
  }
  return e;
}

/** One upstream call for all `texts`; vectors in input order, pgvector text form. */
export async function embed(key: OpenAiKey, texts: string[]): Promise<string[]> {
  const OpenAI = await openAiSdk();
  const client = new OpenAI({
    apiKey: key.value,
    baseURL: Deno.env.get("OPENAI_BASE_URL") || undefined,
    timeout: upstreamTimeoutMs(),
    // A 429 goes back to the caller with Retry-After instead of holding the request.
    maxRetries: 0,
  });
  let data: { index: number; embedding: number[] }[];
  try {
    const res = await client.embeddings.create({
      model: MODEL,
      input: texts,
      ...(MODEL.startsWith("text-embedding-3") ? { dimensions: DIMENSIONS } : {}),
    });
    data = res.data;
  } catch (e) {
    throw upstreamError(OpenAI, e, key);
  }
  const vectors: (string | undefined)[] = Array(texts.length).fill(undefined);
  for (const d of data) {
    if (d.embedding.length === DIMENSIONS && Number.isInteger(d.index) && d.index < texts.length) {
      vectors[d.index] = `[${d.embedding.join(",")}]`;
    }
  }
  if (data.length !== texts.length || vectors.some((v) => v === undefined)) {
    throw new ApiError(502, "UPSTREAM_ERROR", "OpenAI returned embeddings of an unexpected shape");
  }
  return vectors as string[];
}
