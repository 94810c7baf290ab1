// /functions/v1/memories: the planner's memory of a user. Memories are given as
// texts (stored as given) or learnt from a conversation (the extractor: facts, then
// ADD/UPDATE/DELETE/NONE against what is stored; _shared/memory_pipeline.ts). They
// are embedded with the caller's own OpenAI key, searched by cosine similarity under
// RLS, and every change is kept in their history.

import { z } from "zod";
import type { Context } from "hono";
import { allowOnly, defineFunction, type RouteEnv } from "../_shared/function.ts";
import { loadKeyring } from "../_shared/byok_crypto.ts";
import { ApiError, notFound } from "../_shared/errors.ts";
import { parseBody, parseParams, parseQuery, validate } from "../_shared/validation.ts";
import { MODEL } from "../_shared/openai.ts";
import { openAiKeyFor } from "../_shared/byok.ts";
import { embedForUser } from "../_shared/cached_embeddings.ts";
import { cacheKey, cacheStore, readOwned, writeOwned } from "../_shared/cache.ts";
import { inferMemories } from "../_shared/memory_pipeline.ts";
import { registerEmbeddingModel } from "../_shared/embedding_models.ts";
import { reembedAfterSearch } from "../_shared/reembedding.ts";
import { inBackground } from "../_shared/background.ts";
import {
  conversation,
  listQuery,
  memory,
  memoryBatch,
  memoryParams,
  memoryPatch,
  searchBody,
} from "./schemas.ts";
import { sha256Hex } from "../_shared/sha256.ts";

// Memories use stored keys: no keyring, no function.
const keyring = await loadKeyring();

/** A batch of 256 memories of 8,000 characters each, as JSON, fits. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

type Memory = z.infer<typeof memory>;

const fn = defineFunction("memories", {
  maxBodyBytes: MAX_BODY_BYTES,
  // Searches embed a query; every other write embeds or extracts.
  rateClass: (method, path) =>
    method === "GET" ? "default" : /\/search\/?$/.test(path) ? "embedding" : "memory_write",
});
const app = fn.routes("user+admin");

type Ctx = Context<RouteEnv<"user+admin">>;

app.post("/", async (c) => {
  const raw = await parseBody(c, z.unknown());
  const has = (k: string) => typeof raw === "object" && raw !== null && k in raw;
  if (has("messages")) {
    const conv = validate(conversation, raw);
    if (!conv.infer) {
      // Stored as given: each user message is a memory of its own.
      const items = conv.messages.filter((m) => m.role === "user").map((m) => ({
        content: m.content,
        content_type: "conversation" as const,
        metadata: conv.metadata,
      }));
      if (items.length === 0) return c.json({ ids: [], created: 0, deduplicated: 0 });
      return await storeAsGiven(c, items);
    }
    const key = await openAiKeyFor(c.var.admin, keyring, c.var.userId);
    await registerEmbeddingModel(c.var.admin);
    const out = await inferMemories(c.var.db, c.var.userId, key, conv.messages, {
      metadata: conv.metadata,
    });
    return c.json(out);
  }
  const items: Memory[] = has("memories")
    ? validate(memoryBatch, raw).memories
    : [validate(memory, raw)];
  return await storeAsGiven(c, items);
});

/** Texts stored as given (source user); one embedding call for what is not stored yet. */
async function storeAsGiven(c: Ctx, items: Memory[]) {
  const { db, admin, userId } = c.var;

  // The database's content_hash is the same SHA-256 of the UTF-8 text. A deleted
  // memory stored again counts as fresh: insert_memories restores it.
  const hashes = await Promise.all(items.map((m) => sha256Hex(m.content)));
  const ids = new Map<string, string>();
  const existing: { id: string; content_hash: string }[] = await db.query`
    select id, content_hash from public.memory_embeddings
     where user_id = auth.uid() and model = ${MODEL} and deleted_at is null
       and content_hash = any(${hashes}::text[])`;
  for (const r of existing) ids.set(r.content_hash, r.id);

  // First occurrence of each content not stored yet: these, and only these, are embedded.
  const fresh = new Map<string, Memory>();
  items.forEach((m, i) => {
    if (!ids.has(hashes[i]) && !fresh.has(hashes[i])) fresh.set(hashes[i], m);
  });
  let created = 0;
  if (fresh.size > 0) {
    const todo = [...fresh.values()];
    const key = () => openAiKeyFor(admin, keyring, userId);
    await registerEmbeddingModel(admin);
    const vectors = await embedForUser(userId, key, todo.map((m) => m.content));
    const rows: { id: string; content_hash: string; created: boolean }[] = await db.query`
      select * from public.insert_memories(${MODEL}, ${todo.map((m) => m.content)}::text[],
        ${todo.map((m) => m.content_type)}::text[],
        ${todo.map((m) => JSON.stringify(m.metadata))}::jsonb[],
        ${vectors}::extensions.vector[])`;
    for (const r of rows) {
      ids.set(r.content_hash, r.id);
      if (r.created) created++;
    }
    // Stored by a concurrent request between our insert's snapshot and now: read it.
    const missing = [...fresh.keys()].filter((h) => !ids.has(h));
    if (missing.length > 0) {
      const late: { id: string; content_hash: string }[] = await db.query`
        select id, content_hash from public.memory_embeddings
         where user_id = auth.uid() and model = ${MODEL} and content_hash = any(${missing}::text[])`;
      for (const r of late) ids.set(r.content_hash, r.id);
    }
  }
  const body = {
    ids: hashes.map((h) => ids.get(h)!),
    created,
    deduplicated: items.length - created,
  };
  return c.json(body, created > 0 ? 201 : 200);
}

app.delete("/", async (c) => {
  // All of the caller's memories, however many, in bounded statements.
  let deleted = 0;
  for (;;) {
    const rows = await c.var.db.query`
      delete from public.memory_embeddings where id in (
        select id from public.memory_embeddings where user_id = auth.uid() limit 2000)
      returning 1`;
    deleted += rows.length;
    if (rows.length < 2000) break;
  }
  return c.json({ deleted });
});

/**
 * The caller's memory version (private.memory_versions): cached searches and lists are
 * keyed by it, and every committed change of their memories moves it (docs/cache.md).
 */
async function memoryVersion(c: Ctx): Promise<string> {
  const [row]: { v: string }[] = await c.var.admin.query`
    select private.memory_version(${c.var.userId}::uuid)::text as v`;
  return row.v;
}

/** Cached answers live 5 minutes at most; a new version makes them unreachable sooner. */
const ANSWER_TTL_SECONDS = 300;

app.get("/", async (c) => {
  const q = parseQuery(c, listQuery);
  const { db, userId } = c.var;
  const store = await cacheStore();
  const version = store ? memoryVersion(c) : "";
  const key = await cacheKey("memory-list", userId, MODEL, q);
  const hit = await readOwned<unknown>(store, key, userId, version);
  if (hit) return c.json(hit);
  const [row]: { r: unknown }[] = await db.query`
    select public.list_memories(${q.content_type ?? null}, ${
    q.metadata ? JSON.stringify(q.metadata) : null
  }::jsonb,
      ${q.limit}, ${q.cursor ?? null}) as r`;
  writeOwned(store, key, userId, await version, row.r, ANSWER_TTL_SECONDS);
  return c.json(row.r);
});
allowOnly(app, "/", ["GET", "POST", "DELETE"]);

app.post("/search", async (c) => {
  const q = await parseBody(c, searchBody);
  const { db, admin, userId } = c.var;
  const store = await cacheStore();
  const version = store ? memoryVersion(c) : "";
  const cached = await cacheKey("memory-search", userId, MODEL, q);
  const hit = await readOwned<SearchAnswer>(store, cached, userId, version);
  if (hit) return c.json(hit);
  // Keyword search needs no embedding: no key, no upstream call.
  const vector = q.mode === "keyword"
    ? null
    : (await embedForUser(userId, () => openAiKeyFor(admin, keyring, userId), [q.query]))[0];
  // Built in SQL, in the function's order, so dates look like every other list's.
  // With the caller's memories of another embedding model, if any: not searchable until
  // embedded again (the answer says how many; a batch starts now, the sweep does the rest).
  const [row]: { items: unknown; reembedding: Reembedding | null }[] = await db.query`
    select coalesce(jsonb_agg(jsonb_build_object('id', m.id, 'content', m.content,
             'content_type', m.content_type, 'metadata', m.metadata, 'similarity', m.similarity,
             'keyword_rank', m.keyword_rank, 'score', m.score, 'created_at', m.created_at)
             order by m.ord), '[]'::jsonb) as items,
           private.my_reembedding(${MODEL}) as reembedding
      from public.search_memories(${q.query}, ${vector}::extensions.vector, ${q.match_count},
             ${q.mode}, ${q.min_similarity ?? null}::float8, ${q.content_type ?? null},
             ${q.metadata ? JSON.stringify(q.metadata) : null}::jsonb, ${MODEL})
           with ordinality as m(id, content, content_type, metadata, similarity, keyword_rank,
                                score, created_at, ord)`;
  const answer: SearchAnswer = {
    items: row.items,
    next_cursor: null,
    ...(row.reembedding ? { reembedding: row.reembedding } : {}),
  };
  if (row.reembedding) inBackground(reembedAfterSearch(admin, keyring, userId));
  else writeOwned(store, cached, userId, await version, answer, ANSWER_TTL_SECONDS);
  return c.json(answer);
});
allowOnly(app, "/search", ["POST"]);

/** Memories not searchable yet: of another embedding model, being embedded again. */
interface Reembedding {
  model: string;
  pending: number;
  done: number;
  total: number;
}

interface SearchAnswer {
  items: unknown;
  next_cursor: null;
  reembedding?: Reembedding;
}

async function readMemory(c: Ctx, id: string) {
  const [row]: { r: Record<string, unknown> }[] = await c.var.db.query`
    select jsonb_build_object('id', id, 'content', content_text, 'content_type', content_type,
             'metadata', metadata, 'model', model, 'source', source, 'deleted_at', deleted_at,
             'created_at', created_at, 'updated_at', updated_at) as r
      from public.memory_embeddings where id = ${id}::uuid`;
  if (!row) throw notFound("memory");
  return row.r;
}

app.get("/:id", async (c) => {
  const { id } = parseParams(c, memoryParams);
  return c.json(await readMemory(c, id));
});

app.patch("/:id", async (c) => {
  const { id } = parseParams(c, memoryParams);
  const patch = await parseBody(c, memoryPatch);
  const current = await readMemory(c, id);
  if (current.deleted_at) {
    throw new ApiError(409, "CONFLICT", "this memory is deleted", {
      hint: `Restore it first: POST /memories/${id}/restore`,
    });
  }
  const { db, admin, userId } = c.var;
  // A new text is embedded again; an edit makes the memory the user's (the
  // extractor never changes it afterwards).
  const text = patch.content !== undefined && patch.content !== current.content
    ? patch.content
    : null;
  const vector = text === null
    ? null
    : (await embedForUser(userId, () => openAiKeyFor(admin, keyring, userId), [text]))[0];
  // The vector is in graph 0 or the caller's own graph: named as values, so that Postgres
  // plans the update for those two partitions only. Then one statement: the text and its
  // vector change together.
  const [{ graph }]: { graph: number }[] = vector === null
    ? [{ graph: 0 }]
    : await db.query`select private.my_memory_graph() as graph`;
  await db.query`
    with vector as (
      update public.memory_vectors set embedding = ${vector}::extensions.vector
       where ${vector}::extensions.vector is not null and id = ${id}::uuid
         and graph = any(${[0, graph]}::smallint[]))
    update public.memory_embeddings
       set content_text = coalesce(${text}, content_text),
           content_type = coalesce(${
    patch.content_type ?? null
  }::public.memory_content_type, content_type),
           metadata = coalesce(${
    patch.metadata ? JSON.stringify(patch.metadata) : null
  }::jsonb, metadata),
           source = 'user'
     where id = ${id}::uuid`;
  return c.json(await readMemory(c, id));
});

app.delete("/:id", async (c) => {
  const { id } = parseParams(c, memoryParams);
  // Kept, with its history, until restored or all memories are deleted.
  const rows = await c.var.db.query`
    update public.memory_embeddings set deleted_at = coalesce(deleted_at, now())
     where id = ${id}::uuid returning id`;
  if (rows.length === 0) throw notFound("memory");
  return c.body(null, 204);
});
allowOnly(app, "/:id", ["GET", "PATCH", "DELETE"]);

app.post("/:id/restore", async (c) => {
  const { id } = parseParams(c, memoryParams);
  const rows = await c.var.db.query`
    update public.memory_embeddings set deleted_at = null
     where id = ${id}::uuid and deleted_at is not null returning id`;
  if (rows.length === 0) await readMemory(c, id); // 404 unless it exists (and is active)
  return c.json(await readMemory(c, id));
});
allowOnly(app, "/:id/restore", ["POST"]);

app.get("/:id/history", async (c) => {
  const { id } = parseParams(c, memoryParams);
  await readMemory(c, id);
  const [row]: { items: unknown }[] = await c.var.db.query`
    select coalesce(jsonb_agg(jsonb_build_object('id', h.id, 'event', h.event,
             'old_memory', h.old_memory, 'new_memory', h.new_memory, 'actor', h.actor,
             'session_id', h.session_id, 'message_id', h.message_id, 'created_at', h.created_at)
             order by h.id), '[]'::jsonb) as items
      from public.memory_history h where h.memory_id = ${id}::uuid`;
  return c.json({ items: row.items, next_cursor: null });
});
allowOnly(app, "/:id/history", ["GET"]);

export default fn;
