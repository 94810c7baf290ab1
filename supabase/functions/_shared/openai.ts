// OpenAI through the `openai` SDK: embeddings and JSON chat completions, with the
// caller's own key (or the deployment's), at OPENAI_BASE_URL when set (the local
// stack's OpenAI-compatible server) or OpenAI. Every call reports its token usage.

import type OpenAI from "openai";
import type { OpenAiKey } from "./byok.ts";
import { ApiError } from "./errors.ts";
import { jsonInText } from "./model_json.ts";
import {
  fromUpstreamStatus,
  upstreamFailed,
  upstreamTimeout,
  upstreamTimeoutMs,
  upstreamUnreachable,
} from "./upstream.ts";

/**
 * Stored and searched embeddings are 512 numbers: text-embedding-3 models return
 * that many when asked (`dimensions`), at a small cost in quality and a third of the
 * bytes and work per search (memory_vectors, supabase/schemas/13_memories.sql). Only
 * those models take it.
 */
export const DIMENSIONS = 512;
export const MODEL = Deno.env.get("OPENAI_EMBEDDING_MODEL") || "text-embedding-3-small";
/** The model of chat completions (memory extraction, chat). */
export const CHAT_MODEL = Deno.env.get("OPENAI_CHAT_MODEL") || "gpt-4o-mini";

/** Tokens an upstream call used, as OpenAI reports them. */
export interface Usage {
  calls: number;
  prompt_tokens: number;
  completion_tokens: number;
}

export const noUsage = (): Usage => ({ calls: 0, prompt_tokens: 0, completion_tokens: 0 });

export function addUsage(total: Usage, u: { prompt_tokens?: number; completion_tokens?: number }) {
  total.calls += 1;
  total.prompt_tokens += u.prompt_tokens ?? 0;
  total.completion_tokens += u.completion_tokens ?? 0;
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
      return new ApiError(422, "UPSTREAM_REJECTED_INPUT", "OpenAI refused this input (HTTP 400)");
    }
    return fromUpstreamStatus("OpenAI", e.status, e.headers?.get("retry-after"));
  }
  return e;
}

async function clientFor(key: OpenAiKey) {
  const OpenAI = await openAiSdk();
  const client = new OpenAI({
    apiKey: key.value,
    baseURL: Deno.env.get("OPENAI_BASE_URL") || undefined,
    timeout: upstreamTimeoutMs(),
    // A 429 goes back to the caller with Retry-After instead of holding the request.
    maxRetries: 0,
  });
  return { OpenAI, client };
}

/**
 * One upstream call for all `texts`; vectors in input order, pgvector text form.
 * `usage`, when given, gets the call's tokens added.
 */
export async function embed(key: OpenAiKey, texts: string[], usage?: Usage): Promise<string[]> {
  const { OpenAI, client } = await clientFor(key);
  let data: { index: number; embedding: number[] }[];
  try {
    const res = await client.embeddings.create({
      model: MODEL,
      input: texts,
      ...(MODEL.startsWith("text-embedding-3") ? { dimensions: DIMENSIONS } : {}),
    });
    data = res.data;
    if (usage) addUsage(usage, { prompt_tokens: res.usage?.prompt_tokens });
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

/** A chat completion asked for JSON: the messages, and the schema its answer must follow. */
export interface JsonRequest {
  system: string;
  user: string;
  schemaName: string;
  schema: Record<string, unknown>;
  maxTokens?: number;
}

/**
 * What a JSON chat completion gave: the JSON value found in its text (model_json.ts:
 * bare, fenced or beside prose), or why there is none. A refusal is a reason, never
 * an empty answer.
 */
export type ModelAnswer =
  | { value: unknown }
  | { reason: "refusal" | "no_choice" | "null_content" | "not_json" | "non_json_body" };

/**
 * One chat completion asked for a JSON answer of `schema` (structured outputs). Upstream
 * failures (HTTP errors, timeouts) throw their ApiError; an answer without usable JSON
 * is returned as a reason, for the caller to retry or refuse out loud.
 */
export async function completeJson(
  key: OpenAiKey,
  req: JsonRequest,
  usage: Usage,
): Promise<ModelAnswer> {
  const { OpenAI, client } = await clientFor(key);
  let content: string | null | undefined;
  try {
    const res = await client.chat.completions.create({
      model: CHAT_MODEL,
      temperature: 0,
      max_completion_tokens: req.maxTokens ?? 1000,
      messages: [{ role: "system", content: req.system }, { role: "user", content: req.user }],
      response_format: {
        type: "json_schema",
        json_schema: { name: req.schemaName, schema: req.schema, strict: true },
      },
    });
    addUsage(usage, res.usage ?? {});
    const message = Array.isArray(res.choices) ? res.choices[0]?.message : undefined;
    if (!message) return { reason: "no_choice" };
    if (message.refusal) return { reason: "refusal" };
    content = message.content;
  } catch (e) {
    // A 200 whose body is not JSON: the SDK's parse error, not an HTTP failure.
    if (e instanceof SyntaxError) return { reason: "non_json_body" };
    throw upstreamError(OpenAI, e, key);
  }
  if (typeof content !== "string") return { reason: "null_content" };
  const value = jsonInText(content);
  return value === undefined ? { reason: "not_json" } : { value };
}

/** One message of a chat completion. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** What a streamed reply yields: text as it arrives, then how it ended and its usage. */
export type ChatEvent =
  | { type: "text"; text: string }
  | {
    type: "end";
    finishReason: string;
    usage: { prompt_tokens: number; completion_tokens: number };
  };

/**
 * A streamed chat completion. Resolves once the upstream has answered with its headers
 * (so a refused key, a 429 or a timeout before the first byte is an ApiError here, and
 * the caller can still answer with a status); the iterator then yields the text as it
 * arrives. An error while iterating (the connection broke, `signal` aborted) is thrown
 * from the iterator as the mapped ApiError or the abort reason.
 */
export async function streamChat(
  key: OpenAiKey,
  messages: ChatMessage[],
  opts: { signal: AbortSignal; maxTokens: number },
): Promise<AsyncIterable<ChatEvent>> {
  const { OpenAI, client } = await clientFor(key);
  let stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>;
  try {
    stream = await client.chat.completions.create({
      model: CHAT_MODEL,
      messages,
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: opts.maxTokens,
    }, { signal: opts.signal });
  } catch (e) {
    if (opts.signal.aborted) throw opts.signal.reason;
    throw upstreamError(OpenAI, e, key);
  }
  return (async function* () {
    let finishReason = "stop";
    const usage = { prompt_tokens: 0, completion_tokens: 0 };
    try {
      for await (const chunk of stream) {
        const choice = chunk.choices?.[0];
        const text = choice?.delta?.content;
        if (text) yield { type: "text" as const, text };
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        if (chunk.usage) {
          usage.prompt_tokens = chunk.usage.prompt_tokens ?? 0;
          usage.completion_tokens = chunk.usage.completion_tokens ?? 0;
        }
      }
    } catch (e) {
      if (opts.signal.aborted) throw opts.signal.reason;
      throw upstreamError(OpenAI, e, key);
    }
    // The SDK ends the iteration quietly when aborted: that is not a finished reply.
    if (opts.signal.aborted) throw opts.signal.reason;
    yield { type: "end" as const, finishReason, usage };
  })();
}
