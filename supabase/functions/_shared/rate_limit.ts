// Rate limits per user and per function, counted in the cache store (cache.ts), so
// every instance of a function shares them. Fixed windows: one counter per (function,
// class, user, window), created with the window as its TTL. Over the limit: 429 with
// Retry-After (the seconds left in the window). Without a store, or when it fails, no
// limit applies (fail open: the store is an optimisation, never a dependency).
//
// Classes and defaults (RATE_LIMIT_<CLASS>="<requests>/<seconds>" overrides):
//   chat          20/60    a chat message: a model call with the user's key
//   memory_write  60/60    storing, changing, deleting memories (embeddings, extraction)
//   embedding    120/60    searches: an embeddings call unless cached
//   default      600/60    everything else a signed-in user calls

import { ApiError } from "./errors.ts";
import { cacheKey, type CacheStore } from "./cache.ts";

export const RATE_CLASSES = ["chat", "memory_write", "embedding", "default"] as const;
export type RateClass = typeof RATE_CLASSES[number];

const DEFAULTS: Record<RateClass, string> = {
  chat: "20/60",
  memory_write: "60/60",
  embedding: "120/60",
  default: "600/60",
};

export interface Limit {
  requests: number;
  seconds: number;
}

/** A class's limit from RATE_LIMIT_<CLASS>, else its default; a malformed value is refused. */
export function limitOf(cls: RateClass): Limit {
  const name = `RATE_LIMIT_${cls.toUpperCase()}`;
  const text = Deno.env.get(name) || DEFAULTS[cls];
  const m = /^(\d{1,9})\/(\d{1,6})$/.exec(text.trim());
  if (!m || Number(m[2]) === 0) {
    throw new Error(`${name} must be <requests>/<seconds>, e.g. ${DEFAULTS[cls]}; got "${text}"`);
  }
  return { requests: Number(m[1]), seconds: Number(m[2]) };
}

/**
 * Counts one request of `userId` to `fn` in `cls`; throws the 429 when it is over the
 * limit. `now` is for tests.
 */
export async function takeRequest(
  store: CacheStore | null,
  fn: string,
  cls: RateClass,
  userId: string,
  now = Date.now(),
): Promise<void> {
  if (!store) return;
  const { requests, seconds } = limitOf(cls);
  const window = Math.floor(now / 1000 / seconds);
  const key = await cacheKey("rate", userId, fn, cls, seconds, window);
  const count = await store.increment(key, seconds);
  if (count === null || count <= requests) return;
  const retryAfter = Math.max(1, Math.ceil((window + 1) * seconds - now / 1000));
  throw new ApiError(
    429,
    "RATE_LIMITED",
    `too many requests: at most ${requests} every ${seconds} s for this kind of request`,
    {
      hint: "Retry after the delay in the Retry-After header.",
      headers: { "Retry-After": String(retryAfter) },
    },
  );
}
