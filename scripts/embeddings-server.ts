// An OpenAI-compatible server for the offline stack: POST /v1/embeddings, POST
// /v1/chat/completions (JSON answers, response_format json_schema / json_object,
// `stream: true` as server-sent events) and GET /v1/models on loopback, so the real
// `openai` SDK code path runs in dev and tests. Production points the same code at
// OpenAI instead. The chat model is deterministic rules (scripts/local-llm.ts).
//
// The embedding is lexical and deterministic: hashed features of words (names, the
// capitalised words after the first, weigh double), crude stems, stem pairs, character
// trigrams and a small table of travel concepts (scripts/local-text.ts), signed,
// L2-normalised, 1536 dimensions, or as many as the request's `dimensions` asks (1 to
// 1536, as text-embedding-3-small allows; the features are hashed into that many, so a
// shorter vector is not the prefix of a longer one, unlike OpenAI's). Texts that share
// words, stems, close spellings or a concept are close in cosine distance ("seat
// preference" and "Prefers aisle seats" ~0.78, unrelated texts ~0); it knows no other
// synonyms.
//
// Tests steer it through /__faults (inject latency, a 429 or a 5xx into the next
// requests to /v1/*), queue exact chat answers with /__responses (malformed JSON,
// invented ids, refusals), read the chat requests received with /__requests and the
// number of upstream calls with /__stats, all behind the same key.
//
// Env: EMBED_PORT, LOCAL_OPENAI_KEY (the only key accepted).

import { localAnswer, tokens } from "./local-llm.ts";
import { conceptOf, stem, wordsOf } from "./local-text.ts";

export const DIMENSIONS = 1536;
export const MODEL = "text-embedding-3-small";

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function addFeature(v: Float32Array, feature: string, weight: number) {
  const h = fnv1a(feature);
  // Low bits pick the dimension, the top bit the sign, so collisions cancel out
  // on average instead of piling up.
  v[h % v.length] += (h & 0x80000000 ? -1 : 1) * weight;
}

/** The embedding of one text, `dimensions` long. */
export function embed(text: string, dimensions = DIMENSIONS): Float32Array {
  const v = new Float32Array(dimensions);
  const words = wordsOf(text);
  // Names (capitalised words after the first: places, airports, airlines, codes) weigh
  // double, as they do for a real model: "Heathrow" says more than "is".
  const names = new Set(
    (text.match(/(?<=\S\s+)\p{Lu}[\p{L}\p{N}]*/gu) ?? []).map((n) => n.toLowerCase()),
  );
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    addFeature(v, `w:${w}`, names.has(w) ? 2 : 1);
    addFeature(v, `s:${stem(w)}`, 0.7);
    // Words of one travel concept meet here, as synonyms do in a real model.
    const concept = conceptOf(w);
    if (concept) addFeature(v, `c:${concept}`, 2.5);
    if (i > 0) addFeature(v, `p:${stem(words[i - 1])} ${stem(w)}`, 0.5);
    // Character trigrams of the padded word relate close spellings and shared
    // stems ("seat" and "seats" share 3 of 4); each word's trigrams weigh 0.6 in all.
    const padded = `^${w}$`;
    const grams = Math.max(1, padded.length - 2);
    for (let j = 0; j + 3 <= padded.length; j++) {
      addFeature(v, `g:${padded.slice(j, j + 3)}`, 0.6 / Math.sqrt(grams));
    }
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  if (norm === 0) v[0] = 1; // no words: a fixed unit vector, never NaN
  else for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}

function toBase64(v: Float32Array): string {
  const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

// OpenAI's error body: { error: { message, type, param, code } }.
function openAiError(status: number, message: string, type: string, code: string | null) {
  return Response.json({ error: { message, type, param: null, code } }, { status });
}

function authorized(req: Request, key: string): boolean {
  return req.headers.get("authorization") === `Bearer ${key}`;
}

/** What /__faults injects into requests to /v1/*. */
export interface Faults {
  /** Delay before answering, in ms. */
  latency_ms?: number;
  /** Answer with this status instead (429 or 5xx), with OpenAI's error body. */
  status?: number;
  /** Retry-After seconds sent with a 429. */
  retry_after?: number;
  /** How many requests the faults apply to; absent: until DELETE /__faults. */
  count?: number;
  /** Only requests to this /v1 path ("chat/completions", "embeddings"); absent: all. */
  path?: string;
  /** Streams: silence after the headers before the first token, in ms. */
  first_token_ms?: number;
  /** Streams: pause between tokens, in ms. */
  chunk_ms?: number;
  /** Streams: the connection breaks after this many tokens. */
  fail_after_chunks?: number;
}

export interface Stats {
  embeddings_requests: number;
  embedded_inputs: number;
  models_requests: number;
  chat_requests: number;
}

/**
 * A chat answer queued by a test: exactly this content, or a refusal, or an error
 * status; or the broken answers real endpoints give: a message whose content is null,
 * no choices at all, a 200 whose body is not JSON. `delay_ms` holds it back first
 * (a timeout of this one call).
 */
export interface QueuedAnswer {
  content?: string;
  refusal?: string;
  status?: number;
  null_content?: true;
  no_choices?: true;
  raw_body?: string;
  delay_ms?: number;
}

/** How many received chat requests /__requests keeps (oldest dropped first). */
const KEPT_REQUESTS = 100;

function parseQueued(body: unknown): QueuedAnswer[] | string {
  const list = (body as { responses?: unknown })?.responses;
  if (!Array.isArray(list) || list.length === 0 || list.length > 100) {
    return "send {responses: [{content} | {refusal} | {status} | ..., ...]} (1 to 100)";
  }
  for (const r of list) {
    const ok = typeof r === "object" && r !== null &&
      (typeof r.content === "string" || typeof r.refusal === "string" ||
        (Number.isInteger(r.status) && r.status >= 400 && r.status <= 599) ||
        r.null_content === true || r.no_choices === true || typeof r.raw_body === "string") &&
      (r.delay_ms === undefined || (Number.isInteger(r.delay_ms) && r.delay_ms >= 0));
    if (!ok) {
      return "each response has a string content, a string refusal, a 4xx/5xx status, " +
        "null_content: true, no_choices: true or a string raw_body (and an optional delay_ms)";
    }
  }
  return list as QueuedAnswer[];
}

function completion(body: Record<string, unknown>, answer: QueuedAnswer | string, n: number) {
  const content = typeof answer === "string" ? answer : answer.content ?? null;
  const refusal = typeof answer === "string" ? null : answer.refusal ?? null;
  const prompt = tokens(JSON.stringify(body.messages ?? []));
  const completionTokens = tokens(content ?? refusal ?? "");
  return {
    id: `chatcmpl-local-${n}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: typeof body.model === "string" ? body.model : "local-chat",
    choices: [{
      index: 0,
      message: { role: "assistant", content, refusal },
      logprobs: null,
      finish_reason: "stop",
    }],
    usage: {
      prompt_tokens: prompt,
      completion_tokens: completionTokens,
      total_tokens: prompt + completionTokens,
    },
  };
}

/** The same answer as server-sent chunks, word by word, then [DONE], paced by `f`. */
function streamed(
  full: ReturnType<typeof completion>,
  includeUsage: boolean,
  f: Faults = {},
  signal?: AbortSignal,
): Response {
  const text = full.choices[0].message.content ?? "";
  const base = {
    id: full.id,
    object: "chat.completion.chunk",
    created: full.created,
    model: full.model,
  };
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  const events = [
    chunk({ role: "assistant", content: "" }, null),
    ...(text.match(/\S+\s*/g) ?? []).map((piece) => chunk({ content: piece }, null)),
    chunk({}, "stop"),
    ...(includeUsage ? [{ ...base, choices: [], usage: full.usage }] : []),
  ];
  const encoder = new TextEncoder();
  const send = (c: ReadableStreamDefaultController<Uint8Array>, e: unknown) =>
    c.enqueue(encoder.encode(`data: ${JSON.stringify(e)}\n\n`));
  const isToken = (e: unknown) =>
    (e as { choices: { delta: { content?: string } }[] }).choices[0]?.delta?.content !==
      undefined;
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      try {
        send(controller, events[0]);
        if (f.first_token_ms) await sleep(f.first_token_ms, signal);
        let sent = 0;
        for (const e of events.slice(1)) {
          if (isToken(e)) {
            if (f.fail_after_chunks !== undefined && sent >= f.fail_after_chunks) {
              // Let what was sent reach the client first: error() drops queued chunks.
              await sleep(50, signal);
              controller.error(new Error("injected failure mid-stream"));
              return;
            }
            if (sent > 0 && f.chunk_ms) await sleep(f.chunk_ms, signal);
            sent++;
          }
          send(controller, e);
        }
        controller.enqueue(encoder.encode("data: [DONE]\n\n"));
        controller.close();
      } catch {
        // the client went away (signal): nothing more to send
      }
    },
  });
  return new Response(body, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
  });
}

function parseFaults(body: unknown): Faults | string {
  if (typeof body !== "object" || body === null) return "send a JSON object";
  const f = body as Record<string, unknown>;
  const nat = (v: unknown) => v === undefined || (Number.isInteger(v) && (v as number) >= 0);
  const counts = [
    "latency_ms",
    "count",
    "retry_after",
    "first_token_ms",
    "chunk_ms",
    "fail_after_chunks",
  ];
  if (!counts.every((k) => nat(f[k]))) return `${counts.join(", ")} are non-negative integers`;
  if (f.path !== undefined && f.path !== "chat/completions" && f.path !== "embeddings") {
    return 'path is "chat/completions" or "embeddings"';
  }
  if (
    f.status !== undefined &&
    !(f.status === 429 || (Number(f.status) >= 500 && Number(f.status) <= 599))
  ) {
    return "status must be 429 or 5xx";
  }
  return f as Faults;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });

const FAULT_MESSAGES: Record<string, [string, string]> = {
  "429": ["Rate limit reached for requests. Please try again later.", "rate_limit_exceeded"],
  "5xx": [
    "The server had an error while processing your request. Sorry about that!",
    "server_error",
  ],
};

export function createHandler(acceptedKey: string) {
  let faults: Faults | null = null;
  const stats: Stats = {
    embeddings_requests: 0,
    embedded_inputs: 0,
    models_requests: 0,
    chat_requests: 0,
  };
  let queued: QueuedAnswer[] = [];
  let received: unknown[] = [];

  // Applies the current faults to one /v1 request: a Response when it must fail, else
  // the pacing of a stream (the faults, when they apply to this request).
  async function injected(path: string): Promise<Response | Faults> {
    if (!faults) return {};
    const f = faults;
    if (f.path && `/v1/${f.path}` !== path) return {};
    if (f.count !== undefined) {
      if (f.count <= 0) return {};
      f.count -= 1;
    }
    if (f.latency_ms) await sleep(f.latency_ms);
    if (!f.status) return f;
    const [message, code] = FAULT_MESSAGES[f.status === 429 ? "429" : "5xx"];
    const res = openAiError(
      f.status,
      message,
      f.status === 429 ? "requests" : "server_error",
      code,
    );
    if (f.status === 429) res.headers.set("retry-after", String(f.retry_after ?? 1));
    return res;
  }

  return async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    if (url.pathname === "/health") return Response.json({ ok: true });
    if (!authorized(req, acceptedKey)) {
      return openAiError(
        401,
        "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
        "invalid_request_error",
        "invalid_api_key",
      );
    }
    if (url.pathname === "/__faults") {
      if (req.method === "DELETE") {
        faults = null;
        return Response.json({ faults });
      }
      if (req.method === "GET") return Response.json({ faults });
      if (req.method === "POST") {
        const parsed = parseFaults(await req.json().catch(() => null));
        if (typeof parsed === "string") {
          return openAiError(400, parsed, "invalid_request_error", null);
        }
        faults = parsed;
        return Response.json({ faults });
      }
    }
    if (url.pathname === "/__stats" && req.method === "GET") return Response.json(stats);
    if (url.pathname === "/__responses") {
      if (req.method === "DELETE") queued = [];
      else if (req.method === "POST") {
        const parsed = parseQueued(await req.json().catch(() => null));
        if (typeof parsed === "string") {
          return openAiError(400, parsed, "invalid_request_error", null);
        }
        queued.push(...parsed);
      }
      return Response.json({ responses: queued });
    }
    if (url.pathname === "/__requests") {
      if (req.method === "DELETE") received = [];
      return Response.json({ items: received });
    }
    let pacing: Faults = {};
    if (url.pathname.startsWith("/v1/")) {
      const applied = await injected(url.pathname);
      if (applied instanceof Response) return applied;
      pacing = applied;
    }
    if (req.method === "GET" && url.pathname === "/v1/models") {
      stats.models_requests += 1;
      return Response.json({
        object: "list",
        data: [{ id: MODEL, object: "model", created: 1705948997, owned_by: "system" }],
      });
    }
    if (req.method === "POST" && url.pathname === "/v1/chat/completions") {
      const body = await req.json().catch(() => null);
      if (
        typeof body !== "object" || body === null || !Array.isArray(body.messages) ||
        body.messages.length === 0
      ) {
        return openAiError(
          400,
          "'messages' must be a non-empty array.",
          "invalid_request_error",
          null,
        );
      }
      stats.chat_requests += 1;
      received.push(body);
      if (received.length > KEPT_REQUESTS) received = received.slice(-KEPT_REQUESTS);
      const next = queued.shift();
      if (next?.delay_ms) await sleep(next.delay_ms, req.signal).catch(() => {});
      if (next?.status) {
        return openAiError(next.status, "Queued failure.", "server_error", null);
      }
      if (next?.raw_body !== undefined) {
        return new Response(next.raw_body, { headers: { "content-type": "application/json" } });
      }
      const full = completion(body, next ?? localAnswer(body), stats.chat_requests);
      if (next?.no_choices) full.choices = [];
      if (body.stream === true) {
        return streamed(full, body.stream_options?.include_usage === true, pacing, req.signal);
      }
      return Response.json(full);
    }
    if (req.method === "POST" && url.pathname === "/v1/embeddings") {
      let body: {
        input?: unknown;
        model?: unknown;
        encoding_format?: unknown;
        dimensions?: unknown;
      };
      try {
        body = await req.json();
      } catch {
        return openAiError(
          400,
          "We could not parse the JSON body of your request.",
          "invalid_request_error",
          null,
        );
      }
      const inputs = typeof body.input === "string" ? [body.input] : body.input;
      if (
        !Array.isArray(inputs) || inputs.length === 0 || inputs.length > 2048 ||
        !inputs.every((s) => typeof s === "string" && s.length > 0)
      ) {
        return openAiError(
          400,
          "'input' must be a non-empty string or an array of 1 to 2048 non-empty strings.",
          "invalid_request_error",
          null,
        );
      }
      const dimensions = body.dimensions ?? DIMENSIONS;
      if (
        typeof dimensions !== "number" || !Number.isInteger(dimensions) || dimensions < 1 ||
        dimensions > DIMENSIONS
      ) {
        return openAiError(
          400,
          `'dimensions' must be an integer from 1 to ${DIMENSIONS} for this model.`,
          "invalid_request_error",
          null,
        );
      }
      stats.embeddings_requests += 1;
      stats.embedded_inputs += inputs.length;
      const base64 = body.encoding_format === "base64";
      let tokens = 0;
      const data = inputs.map((text: string, index: number) => {
        tokens += Math.ceil(text.length / 4);
        const v = embed(text, dimensions);
        return { object: "embedding", index, embedding: base64 ? toBase64(v) : Array.from(v) };
      });
      return Response.json({
        object: "list",
        data,
        model: typeof body.model === "string" ? body.model : MODEL,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      });
    }
    return openAiError(
      404,
      `Unknown request URL: ${req.method} ${url.pathname}.`,
      "invalid_request_error",
      "unknown_url",
    );
  };
}

if (import.meta.main) {
  const key = Deno.env.get("LOCAL_OPENAI_KEY");
  if (!key) throw new Error("LOCAL_OPENAI_KEY is not set");
  const port = Number(Deno.env.get("EMBED_PORT") ?? "54330");
  Deno.serve({
    hostname: "127.0.0.1",
    port,
    onListen: () =>
      console.error(`[embeddings] OpenAI-compatible API on http://127.0.0.1:${port}/v1`),
  }, createHandler(key));
}
