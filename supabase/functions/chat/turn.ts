// One chat turn, streamed: the reply goes to the client as server-sent events while
// the model writes it, and is stored once it ends, with the same text.
//
//   event: meta   {user_message_id, assistant_message_id, memory_ids}
//   event: delta  {text}                      as tokens arrive
//   event: done   {finish_reason, usage}      after the reply is stored
//   event: error  {code, message}             the reply failed (stored as error)
//   : keep-alive                              while the model is silent
//
// A client that goes away aborts the model call; the reply is stored as `aborted`.

import type { PostgresApi } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { envInt } from "../_shared/env.ts";
import type { ChatEvent } from "../_shared/openai.ts";
import type { OpenAiKey } from "../_shared/byok.ts";
import { runJobNow } from "./memory_jobs.ts";
import { inBackground } from "../_shared/background.ts";

/** Longest a reply may take, inside the platform's wall-clock limit (150 s on Free). */
export const deadlineMs = () => envInt("CHAT_DEADLINE_MS", 120_000);
const keepAliveMs = () => envInt("CHAT_KEEPALIVE_MS", 15_000);
/** What the database holds of one message. */
const MAX_REPLY_CHARS = 32_000;

export interface Turn {
  userMessageId: number;
  assistantMessageId: number;
  memoryIds: string[];
}

type Status = "complete" | "aborted" | "error";

const encoder = new TextEncoder();
const sse = (event: string, data: unknown) =>
  encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  // Proxies must pass the events on as they come.
  "x-accel-buffering": "no",
};

/** Why a reply stopped early: the abort reasons we give the upstream call. */
class Stop extends Error {
  constructor(readonly why: "client" | "deadline" | "length") {
    super(why);
  }
}

function errorEvent(e: unknown): { code: string; message: string } {
  if (e instanceof ApiError) return { code: e.code, message: e.message };
  return { code: "UPSTREAM_ERROR", message: "the model's reply broke off" };
}

/** Stores the reply's end; the memory job id when the turn is to be learnt from. */
async function finish(
  admin: PostgresApi,
  userId: string,
  turn: Turn,
  text: string,
  status: Status,
  finishReason: string,
  usage: unknown,
): Promise<number | null> {
  const [row]: { job: number | null }[] = await admin.query`
    select private.chat_finish_turn(${userId}::uuid, ${turn.assistantMessageId}::bigint, ${text},
      ${status}::public.chat_message_status, ${finishReason},
      ${usage === null ? null : JSON.stringify(usage)}::jsonb) as job`;
  return row?.job ?? null;
}

/** Marks a turn failed before anything was streamed (the caller answers with the error). */
export async function failBeforeStreaming(
  admin: PostgresApi,
  userId: string,
  turn: Turn,
  e: unknown,
): Promise<void> {
  await finish(
    admin,
    userId,
    turn,
    "",
    "error",
    errorEvent(e).code.toLowerCase(),
    null,
  );
}

/**
 * The SSE response of a started turn. `upstream` yields the reply; `abort` stops it
 * (client gone, deadline, too long). Storing the end and learning from the turn run
 * to completion in the background even when the client has left.
 */
export function streamTurn(opts: {
  admin: PostgresApi;
  db: PostgresApi;
  userId: string;
  key: OpenAiKey;
  turn: Turn;
  upstream: AsyncIterable<ChatEvent>;
  abort: AbortController;
  /** The request's signal: aborted when the client disconnects. */
  clientGone: AbortSignal;
}): Response {
  const { admin, db, userId, key, turn, upstream, abort } = opts;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let open = true;
  let lastWrite = Date.now();
  const write = (bytes: Uint8Array) => {
    if (!open) return;
    try {
      controller.enqueue(bytes);
      lastWrite = Date.now();
    } catch {
      open = false; // the client is gone
    }
  };
  const leave = () => {
    open = false;
    abort.abort(new Stop("client"));
  };
  if (opts.clientGone.aborted) leave();
  else opts.clientGone.addEventListener("abort", leave, { once: true });

  async function pump() {
    write(sse("meta", {
      user_message_id: turn.userMessageId,
      assistant_message_id: turn.assistantMessageId,
      memory_ids: turn.memoryIds,
    }));
    const keepAlive = setInterval(() => {
      if (Date.now() - lastWrite >= keepAliveMs()) {
        write(encoder.encode(": keep-alive\n\n"));
      }
    }, Math.max(50, Math.min(keepAliveMs(), 1000)));
    const deadline = setTimeout(
      () => abort.abort(new Stop("deadline")),
      deadlineMs(),
    );
    let text = "";
    let status: Status = "complete";
    let finishReason = "stop";
    let usage: unknown = null;
    let failure: { code: string; message: string } | null = null;
    try {
      for await (const event of upstream) {
        if (event.type === "text") {
          const room = MAX_REPLY_CHARS - text.length;
          const piece = event.text.slice(0, room);
          text += piece;
          if (piece) write(sse("delta", { text: piece }));
          if (piece.length < event.text.length) abort.abort(new Stop("length"));
        } else {
          finishReason = event.finishReason;
          usage = event.usage;
        }
      }
    } catch (e) {
      const why = e instanceof Stop ? e.why : null;
      if (why === "length") finishReason = "length";
      else if (why === "client") {
        [status, finishReason] = ["aborted", "aborted"];
      } else {
        status = "error";
        finishReason = why === "deadline" ? "deadline" : "error";
        failure = why === "deadline"
          ? {
            code: "UPSTREAM_TIMEOUT",
            message: "the reply took longer than the deadline",
          }
          : errorEvent(e);
      }
    } finally {
      clearInterval(keepAlive);
      clearTimeout(deadline);
    }
    let job: number | null = null;
    try {
      job = await finish(
        admin,
        userId,
        turn,
        text,
        status,
        finishReason,
        usage,
      );
      if (failure) write(sse("error", failure));
      else if (status === "complete") {
        write(sse("done", { finish_reason: finishReason, usage }));
      }
    } catch (e) {
      console.error(JSON.stringify({
        level: "error",
        msg: "storing a chat reply failed",
        message_id: turn.assistantMessageId,
        error: String(e),
      }));
      write(
        sse("error", {
          code: "STORE_FAILED",
          message: "the reply could not be stored",
        }),
      );
    }
    if (open) {
      open = false;
      try {
        controller.close();
      } catch {
        // already closed by the client
      }
    }
    if (job !== null) await runJobNow(admin, db, key, job);
  }

  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      inBackground(
        pump().catch((e) =>
          console.error(
            JSON.stringify({
              level: "error",
              msg: "chat turn",
              error: String(e),
            }),
          )
        ),
      );
    },
    cancel: leave,
  });
  return new Response(body, { headers: SSE_HEADERS });
}

/** A turn sent again with the same client_message_id: what was stored, as events. */
export function replayTurn(stored: {
  user_message_id: number;
  assistant_message_id: number;
  status: Status;
  content: string;
  finish_reason: string | null;
  usage: unknown;
}): Response {
  const parts = [
    sse("meta", {
      user_message_id: stored.user_message_id,
      assistant_message_id: stored.assistant_message_id,
      memory_ids: [],
      replay: true,
    }),
  ];
  if (stored.content) parts.push(sse("delta", { text: stored.content }));
  parts.push(
    stored.status === "complete"
      ? sse("done", {
        finish_reason: stored.finish_reason,
        usage: stored.usage,
      })
      : sse("error", {
        code: stored.status === "aborted" ? "REPLY_ABORTED" : "REPLY_FAILED",
        message: `this turn's reply was ${
          stored.status === "aborted" ? "aborted" : "not completed"
        }`,
      }),
  );
  return new Response(new Blob(parts).stream(), { headers: SSE_HEADERS });
}
