// /functions/v1/chat: conversations with the planner. Sessions (optionally about a trip
// the caller can view) hold messages; sending one streams the reply as server-sent
// events (turn.ts), written by the model with the caller's own OpenAI key, grounded in
// the trip and in the user's memories (prompt.ts); completed turns feed the memory
// pipeline (memory_jobs.ts). The operator route /chat/admin/sweep retries what did
// not finish.

import type { Context } from "hono";
import { allowOnly, defineFunction, type RouteEnv } from "../_shared/function.ts";
import { loadKeyring } from "../_shared/byok_crypto.ts";
import { ApiError, notFound } from "../_shared/errors.ts";
import { envInt } from "../_shared/env.ts";
import { parseBody, parseParams, parseQuery } from "../_shared/validation.ts";
import { embedForUser } from "../_shared/cached_embeddings.ts";
import { CHAT_MODEL, MODEL, streamChat } from "../_shared/openai.ts";
import { type OpenAiKey, openAiKeyFor } from "../_shared/byok.ts";
import { z } from "zod";
import {
  messageListQuery,
  newMessage,
  newSession,
  sessionListQuery,
  sessionParams,
  sessionPatch,
} from "./schemas.ts";
import { buildPrompt, type HistoryMessage, type RecalledMemory, summarizeTrip } from "./prompt.ts";
import { deadlineMs, failBeforeStreaming, replayTurn, streamTurn, type Turn } from "./turn.ts";
import { sweep } from "./memory_jobs.ts";

// Replies use stored keys: no keyring, no function.
const keyring = await loadKeyring();

/** Memories recalled into a prompt, and how similar they must be. */
const RECALL_COUNT = 5;
const RECALL_MIN_SIMILARITY = 0.2;
/** Messages of history read per turn before the token budget trims them. */
const HISTORY_ROWS = 100;

const maxTokens = () => envInt("CHAT_MAX_TOKENS", 1024);
const historyTokens = () => envInt("CHAT_HISTORY_TOKENS", 4000);
/** A reply still streaming after this is taken for a dead one (it blocks no new turn). */
const staleAfter = () => `${Math.ceil(deadlineMs() / 1000) + 60} seconds`;

const fn = defineFunction("chat", {
  // A message is a model call with the caller's key; the rest is reading and filing.
  rateClass: (method, path) =>
    method === "POST" && /\/sessions\/[^/]+\/messages\/?$/.test(path) ? "chat" : "default",
});
const app = fn.routes("user+admin");
type Ctx = Context<RouteEnv<"user+admin">>;

const SESSION_COLUMNS = `jsonb_build_object('id', s.id, 'title', s.title, 'trip_id', s.trip_id,
  'remember', s.remember, 'is_active', s.is_active, 'metadata', s.metadata,
  'last_message_at', s.last_message_at, 'created_at', s.created_at, 'updated_at', s.updated_at)`;

async function readSession(
  c: Ctx,
  id: string,
): Promise<Record<string, unknown>> {
  const [row]: { r: Record<string, unknown> }[] = await c.var.db.queryRaw(
    `select ${SESSION_COLUMNS} as r from public.chat_sessions s where s.id = $1::uuid`,
    [id],
  );
  if (!row) throw notFound("chat session");
  return row.r;
}

// Sessions --------------------------------------------------------------------

app.post("/sessions", async (c) => {
  const body = await parseBody(c, newSession);
  const { db } = c.var;
  if (body.trip_id !== undefined) {
    const trip = await db
      .query`select 1 from public.trips where id = ${body.trip_id}::bigint`;
    if (trip.length === 0) throw notFound("trip");
  }
  const [row]: { id: string }[] = await db.query`
    insert into public.chat_sessions (user_id, trip_id, title, metadata, remember)
    values (auth.uid(), ${body.trip_id ?? null}::bigint, ${body.title ?? null},
            coalesce(${body.metadata ? JSON.stringify(body.metadata) : null}::jsonb, '{}'),
            ${body.remember})
    returning id`;
  return c.json(await readSession(c, row.id), 201);
});

/** Sessions newest first; the cursor is the last item's (created_at, id). */
app.get("/sessions", async (c) => {
  const q = parseQuery(c, sessionListQuery);
  let after: [string, string] | null = null;
  if (q.cursor) {
    try {
      const decoded = JSON.parse(
        atob(q.cursor.replace(/-/g, "+").replace(/_/g, "/")),
      );
      if (Array.isArray(decoded) && decoded.length === 2) {
        after = decoded as [string, string];
      }
    } catch {
      // not ours
    }
    if (
      !after || !z.string().datetime({ offset: true }).safeParse(after[0]).success ||
      !z.string().uuid().safeParse(after[1]).success
    ) {
      throw new ApiError(
        400,
        "VALIDATION_FAILED",
        "invalid query: cursor: is not a cursor from this API",
      );
    }
  }
  const rows: { r: Record<string, unknown>; created_at: string; id: string }[] = await c.var.db
    .queryRaw(
      `select ${SESSION_COLUMNS} as r, to_json(s.created_at)#>>'{}' as created_at, s.id
         from public.chat_sessions s
        where $1::timestamptz is null or (s.created_at, s.id) < ($1::timestamptz, $2::uuid)
        order by s.created_at desc, s.id desc
        limit $3`,
      [after?.[0] ?? null, after?.[1] ?? null, q.limit + 1],
    );
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  const next = rows.length > q.limit && last
    ? btoa(JSON.stringify([last.created_at, last.id])).replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "")
    : null;
  return c.json({ items: page.map((r) => r.r), next_cursor: next });
});
allowOnly(app, "/sessions", ["GET", "POST"]);

app.get("/sessions/:id", async (c) => {
  const { id } = parseParams(c, sessionParams);
  return c.json(await readSession(c, id));
});

app.patch("/sessions/:id", async (c) => {
  const { id } = parseParams(c, sessionParams);
  const patch = await parseBody(c, sessionPatch);
  const rows = await c.var.db.query`
    update public.chat_sessions
       set title = case when ${"title" in patch} then ${patch.title ?? null} else title end,
           metadata = coalesce(${patch.metadata ? JSON.stringify(patch.metadata) : null}::jsonb,
                               metadata)
     where id = ${id}::uuid
    returning id`;
  if (rows.length === 0) throw notFound("chat session");
  return c.json(await readSession(c, id));
});

app.delete("/sessions/:id", async (c) => {
  const { id } = parseParams(c, sessionParams);
  const rows = await c.var.db
    .query`delete from public.chat_sessions where id = ${id}::uuid
    returning id`;
  if (rows.length === 0) throw notFound("chat session");
  return c.body(null, 204);
});
allowOnly(app, "/sessions/:id", ["GET", "PATCH", "DELETE"]);

// Messages --------------------------------------------------------------------

/** Messages oldest first; the cursor is the last item's id. */
app.get("/sessions/:id/messages", async (c) => {
  const { id } = parseParams(c, sessionParams);
  const q = parseQuery(c, messageListQuery);
  await readSession(c, id);
  const rows: { r: Record<string, unknown>; id: string }[] = await c.var.db
    .query`
    select jsonb_build_object('id', m.id, 'role', m.role, 'content', m.content,
             'status', m.status, 'model', m.model, 'usage', m.usage,
             'finish_reason', m.finish_reason, 'client_message_id', m.client_message_id,
             'reply_to', m.reply_to, 'created_at', m.created_at) as r, m.id::text as id
      from public.chat_messages m
     where m.session_id = ${id}::uuid and m.id > coalesce(${q.cursor ?? null}::bigint, 0)
     order by m.id
     limit ${q.limit + 1}`;
  const page = rows.slice(0, q.limit);
  return c.json({
    items: page.map((r) => r.r),
    next_cursor: rows.length > q.limit ? page.at(-1)!.id : null,
  });
});

app.post("/sessions/:id/messages", async (c) => {
  const { id } = parseParams(c, sessionParams);
  const body = await parseBody(c, newMessage);
  const { db, admin, userId } = c.var;
  // The key first: without one nothing is stored.
  const key = await openAiKeyFor(admin, keyring, userId);
  const [begun]: { r: Record<string, unknown> }[] = await admin.query`
    select private.chat_begin_turn(${userId}::uuid, ${id}::uuid, ${body.content},
      ${body.client_message_id ?? null}, ${CHAT_MODEL}, ${staleAfter()}::interval) as r`;
  const r = begun.r;
  if (r.state === "expired") {
    throw new ApiError(
      409,
      "SESSION_EXPIRED",
      "this chat session has expired",
      {
        hint: "Sessions close after 24 hours without messages; start a new one.",
      },
    );
  }
  if (
    r.state === "busy" || (r.state === "repeat" && r.status === "streaming")
  ) {
    throw new ApiError(
      409,
      "TURN_IN_PROGRESS",
      "a reply in this session is still being written",
      {
        hint: "Wait for it to finish, then send again.",
      },
    );
  }
  if (r.state === "repeat") {
    return replayTurn(r as Parameters<typeof replayTurn>[0]);
  }

  const turn: Turn = {
    userMessageId: Number(r.user_message_id),
    assistantMessageId: Number(r.assistant_message_id),
    memoryIds: [],
  };
  const abort = new AbortController();
  try {
    const prompt = await promptFor(db, key, {
      userId,
      sessionId: id,
      tripId: r.trip_id === null ? null : String(r.trip_id),
      before: turn.userMessageId,
      message: body.content,
    });
    turn.memoryIds = prompt.memoryIds;
    const upstream = await streamChat(key, prompt.messages, {
      signal: abort.signal,
      maxTokens: maxTokens(),
    });
    return streamTurn({
      admin,
      db,
      userId,
      key,
      turn,
      upstream,
      abort,
      clientGone: c.req.raw.signal,
    });
  } catch (e) {
    await failBeforeStreaming(admin, userId, turn, e);
    throw e;
  }
});
allowOnly(app, "/sessions/:id/messages", ["GET", "POST"]);

/** The prompt of a turn, and the memories it recalled. */
async function promptFor(
  db: Ctx["var"]["db"],
  key: OpenAiKey,
  t: {
    userId: string;
    sessionId: string;
    tripId: string | null;
    before: number;
    message: string;
  },
) {
  const [trip, memories, history] = await Promise.all([
    t.tripId === null ? null : tripSummary(db, t.tripId),
    recall(db, t.userId, key, t.message),
    db.query<HistoryMessage>`
      select role::text as role, content from (
        select m.id, m.role, m.content from public.chat_messages m
         where m.session_id = ${t.sessionId}::uuid and m.id < ${t.before}::bigint
           and m.role in ('user', 'assistant') and m.content <> ''
         order by m.id desc limit ${HISTORY_ROWS}) h
      order by h.id`,
  ]);
  return {
    memoryIds: memories.map((m) => m.id),
    messages: buildPrompt({
      today: new Date().toISOString().slice(0, 10),
      trip,
      memories,
      history,
      message: t.message,
      historyTokens: historyTokens(),
    }),
  };
}

/** The linked trip, if the caller can still view it. */
async function tripSummary(db: Ctx["var"]["db"], tripId: string) {
  try {
    const [row]: { r: Record<string, unknown> }[] = await db.query`
      select public.get_trip(${tripId}::bigint) as r`;
    return row ? summarizeTrip(row.r) : null;
  } catch (e) {
    if ((e as { code?: string }).code === "P0002") return null; // no longer shared
    throw e;
  }
}

/**
 * The user's memories for the message, by hybrid retrieval (none stored: no embeddings
 * call): those about the same thing (similarity at least RECALL_MIN_SIMILARITY) or
 * sharing a word with it (a name, a place, a code). An off-topic message recalls none.
 */
async function recall(db: Ctx["var"]["db"], userId: string, key: OpenAiKey, message: string) {
  const any = await db.query`
    select 1 from public.memory_embeddings
     where user_id = auth.uid() and model = ${MODEL} and deleted_at is null limit 1`;
  if (any.length === 0) return [];
  const [vector] = await embedForUser(userId, () => Promise.resolve(key), [message]);
  return await db.query<RecalledMemory>`
    select m.id, m.content, (m.created_at at time zone 'utc')::date::text as remembered_on
      from public.search_memories(${message}, ${vector}::extensions.vector, ${RECALL_COUNT},
                                  'hybrid', null, null, null, ${MODEL}) m
     where m.similarity >= ${RECALL_MIN_SIMILARITY}::float8 or m.keyword_rank is not null
     order by m.score desc`;
}

// Operators -------------------------------------------------------------------

const ops = fn.routes("secret", "/admin");
const sweepBody = z.strictObject({
  limit: z.number().int().min(1).max(100).default(20),
});

ops.post("/sweep", async (c) => {
  const { limit } = await parseBody(c, sweepBody);
  return c.json(
    await sweep(c.var.admin, c.var.asUser, keyring, {
      limit,
      staleAfter: staleAfter(),
    }),
  );
});
allowOnly(ops, "/sweep", ["POST"]);

export default fn;
