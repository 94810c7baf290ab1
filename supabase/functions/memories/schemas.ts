// Request schemas of the memories function.

import { z } from "zod";
import { Constants } from "../_shared/database.types.ts";
import { jsonObject, uuid } from "../_shared/validation.ts";

/** From the database enum public.memory_content_type (npm run gen:types). */
export const CONTENT_TYPES = Constants.public.Enums.memory_content_type;

/** Memories per POST, and characters of content per POST (~150k tokens upstream). */
export const MAX_BATCH = 256;
export const MAX_BATCH_CHARS = 600_000;

const contentType = z.enum(CONTENT_TYPES, {
  message: `must be one of ${CONTENT_TYPES.join(", ")}`,
});
const content = z.string().trim().min(1, "must not be empty").max(8000);

export const memory = z.strictObject({
  content,
  content_type: contentType.default("note"),
  metadata: jsonObject.default({}),
});

export const memoryBatch = z.strictObject({
  memories: z.array(memory).min(1, "must hold at least one memory").max(MAX_BATCH),
}).refine(
  (b) => b.memories.reduce((n, m) => n + m.content.length, 0) <= MAX_BATCH_CHARS,
  {
    path: ["memories"],
    message: `must hold at most ${MAX_BATCH_CHARS} characters of content in all`,
  },
);

export const memoryParams = z.object({ id: uuid });

/** A conversation for the extractor (POST /memories with messages). */
export const MAX_TURNS = 50;
export const MAX_CONVERSATION_CHARS = 32_000;

export const conversation = z.strictObject({
  messages: z.array(z.strictObject({
    role: z.enum(["user", "assistant"], { message: "must be user or assistant" }),
    content,
  })).min(1, "must hold at least one message").max(MAX_TURNS),
  infer: z.boolean().default(true),
  metadata: jsonObject.default({}),
}).refine(
  (b) => b.messages.reduce((n, m) => n + m.content.length, 0) <= MAX_CONVERSATION_CHARS,
  {
    path: ["messages"],
    message: `must hold at most ${MAX_CONVERSATION_CHARS} characters in all`,
  },
);

export const memoryPatch = z.strictObject({
  content: content.optional(),
  content_type: contentType.optional(),
  metadata: jsonObject.optional(),
}).refine((p) => Object.keys(p).length > 0, { message: "must change at least one field" });

export const searchBody = z.strictObject({
  query: content,
  // hybrid: keyword and vector ranks fused; vector: similarity only; keyword: words only
  // (no embeddings call).
  mode: z.enum(["hybrid", "vector", "keyword"]).default("hybrid"),
  match_count: z.number().int().min(1).max(100).default(10),
  // Absent: no threshold (cosine similarity can be negative; 0 would drop those).
  min_similarity: z.number().min(0).max(1).optional(),
  content_type: contentType.optional(),
  metadata: jsonObject.optional(),
});

// A query string carries the metadata filter as JSON text.
const metadataParam = z.string().max(4096).transform((text, ctx) => {
  try {
    const v = JSON.parse(text);
    if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      return v as Record<string, unknown>;
    }
  } catch {
    // reported below
  }
  ctx.addIssue({ code: "custom", message: 'must be a JSON object, e.g. {"trip_id":1001}' });
  return z.NEVER;
});

export const listQuery = z.strictObject({
  content_type: contentType.optional(),
  metadata: metadataParam.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(512).optional(),
});
