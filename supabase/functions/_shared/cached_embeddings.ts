// Embeddings through the cache (docs/cache.md): a text's vector for a model never
// changes, so it is kept per user, model (with its dimensions) and text hash, and a
// repeated search, chat turn or fact costs no second embeddings call. Vectors are stored
// as base64 float32 (2.7 KiB for 512 dimensions), inside the owner envelope of cache.ts.

import { cacheKey, cacheStore, unwrap, wrap } from "./cache.ts";
import type { KeySource } from "./byok.ts";
import { DIMENSIONS, embed, MODEL, type Usage } from "./openai.ts";

/** The vector space: a vector cached at another size is never served. */
export const EMBEDDING_SPACE = `${MODEL}@${DIMENSIONS}`;

/** A day: long enough for repeats, short enough that unused vectors leave. */
const TTL_SECONDS = 24 * 3600;

function toBase64(vector: string): string {
  const floats = Float32Array.from(JSON.parse(vector) as number[]);
  const bytes = new Uint8Array(floats.buffer);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function fromBase64(text: unknown): string | null {
  if (typeof text !== "string") return null;
  try {
    const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    if (bytes.length !== DIMENSIONS * 4) return null;
    const floats = new Float32Array(bytes.buffer);
    return floats.every(Number.isFinite) ? `[${Array.from(floats).join(",")}]` : null;
  } catch {
    return null;
  }
}

/**
 * The vectors of `texts` for `userId` (pgvector text form, input order): cached ones
 * from the store, the rest in one upstream call, then stored. The key is asked for only
 * when something is not cached.
 */
export async function embedForUser(
  userId: string,
  key: KeySource,
  texts: string[],
  usage?: Usage,
): Promise<string[]> {
  const store = await cacheStore();
  if (!store) return await embed(await key(), texts, usage);
  const keys = await Promise.all(
    texts.map((t) => cacheKey("embedding", userId, EMBEDDING_SPACE, t)),
  );
  const cached = (await store.getMany(keys)).map((raw) =>
    fromBase64(unwrap<string>(raw, userId, EMBEDDING_SPACE))
  );
  const missing = [...new Set(texts.filter((_, i) => cached[i] === null))];
  if (missing.length === 0) return cached as string[];
  const fresh = await embed(await key(), missing, usage);
  const byText = new Map(missing.map((t, i) => [t, fresh[i]]));
  // Not awaited: the caller has its vectors; a lost write is a later miss.
  store.setMany(
    missing.map((
      t,
    ) => [keys[texts.indexOf(t)], wrap(userId, EMBEDDING_SPACE, toBase64(byText.get(t)!))]),
    TTL_SECONDS,
  );
  return texts.map((t, i) => cached[i] ?? byText.get(t)!);
}
