// /functions/v1/memories: the planner's memory of a user. Memories are embedded
// with the caller's own OpenAI key (one upstream call per batch; content already
// stored is not embedded again) and searched by cosine similarity under RLS.

import { z } from "zod";
import { allowOnly, defineFunction } from "../_shared/function.ts";
import { loadKeyring } from "../_shared/byok_crypto.ts";
import { notFound } from "../_shared/errors.ts";
import { parseBody, parseParams, parseQuery, validate } from "../_shared/validation.ts";
import { embed, MODEL, openAiKeyFor } from "./embeddings.ts";
import { listQuery, memory, memoryBatch, memoryParams, searchBody } from "./schemas.ts";

// Memories use stored keys: no keyring, no function.
const keyring = await loadKeyring();

/** A batch of 256 memories of 8,000 characters each, as JSON, fits. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

type Memory = z.infer<typeof memory>;

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const fn = defineFunction("memories", { maxBodyBytes: MAX_BODY_BYTES });
const app = fn.routes("user+admin");

app.post("/", async (c) => {
  const raw = await parseBody(c, z.unknown());
  const batch = typeof raw === "object" && raw !== null && "memories" in raw;
  const items: Memory[] = batch ? validate(memoryBatch, raw).memories : [validate(memory, raw)];
  const { db, admin, userId } = c.var;

  // The database's content_hash is the same SHA-256 of the UTF-8 text.
  const hashes = await Promise.all(items.map((m) => sha256Hex(m.content)));
  const ids = new Map<string, string>();
  const existing: { id: string; content_hash: string }[] = await db.query`
    select id, content_hash from public.memory_embeddings
     where user_id = auth.uid() and model = ${MODEL} and content_hash = any(${hashes}::text[])`;
  for (const r of existing) ids.set(r.content_hash, r.id);

  // First occurrence of each content not stored yet: these, and only these, are embedded.
  const fresh = new Map<string, Memory>();
  items.forEach((m, i) => {
    if (!ids.has(hashes[i]) && !fresh.has(hashes[i])) fresh.set(hashes[i], m);
  });
  let created = 0;
  if (fresh.size > 0) {
    const todo = [...fresh.values()];
    const key = await openAiKeyFor(admin, keyring, userId);
    const vectors = await embed(key, todo.map((m) => m.content));
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
});

app.get("/", async (c) => {
  const q = parseQuery(c, listQuery);
  const [row]: { r: unknown }[] = await c.var.db.query`
    select public.list_memories(${q.content_type ?? null}, ${
    q.metadata ? JSON.stringify(q.metadata) : null
  }::jsonb,
      ${q.limit}, ${q.cursor ?? null}) as r`;
  return c.json(row.r);
});
allowOnly(app, "/", ["GET", "POST"]);

app.post("/search", async (c) => {
  const q = await parseBody(c, searchBody);
  const { db, admin, userId } = c.var;
  const key = await openAiKeyFor(admin, keyring, userId);
  const [vector] = await embed(key, [q.query]);
  // Built in SQL, in the function's order, so dates look like every other list's.
  const [row]: { items: unknown }[] = await db.query`
    select coalesce(jsonb_agg(jsonb_build_object('id', m.id, 'content', m.content,
             'content_type', m.content_type, 'metadata', m.metadata, 'similarity', m.similarity,
             'created_at', m.created_at) order by m.ord), '[]'::jsonb) as items
      from public.match_memories(${vector}::extensions.vector, ${q.match_count}, ${
    q.min_similarity ?? null
  }::float8,
             ${q.content_type ?? null}, ${q.metadata ? JSON.stringify(q.metadata) : null}::jsonb,
             ${MODEL}) with ordinality as m(id, content, content_type, metadata, similarity, created_at, ord)`;
  return c.json({ items: row.items, next_cursor: null });
});
allowOnly(app, "/search", ["POST"]);

app.get("/:id", async (c) => {
  const { id } = parseParams(c, memoryParams);
  const [row]: { r: unknown }[] = await c.var.db.query`
    select jsonb_build_object('id', id, 'content', content_text, 'content_type', content_type,
             'metadata', metadata, 'model', model, 'created_at', created_at) as r
      from public.memory_embeddings where id = ${id}::uuid`;
  if (!row) throw notFound("memory");
  return c.json(row.r);
});

app.delete("/:id", async (c) => {
  const { id } = parseParams(c, memoryParams);
  const rows = await c.var.db.query`
    delete from public.memory_embeddings where id = ${id}::uuid returning id`;
  if (rows.length === 0) throw notFound("memory");
  return c.body(null, 204);
});
allowOnly(app, "/:id", ["GET", "DELETE"]);

export default fn;
