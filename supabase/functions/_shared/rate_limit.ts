// Rate limits per user and per function (docs/cache.md, "Rate limits"), with
// rate-limiter-flexible: counted in the cache store (cache.ts), so every instance of a
// function shares them, with an in-memory insurance limiter per instance that counts
// whenever the store fails or is slow, and per instance alone when there is no store.
// A limit is never lifted by trouble: not by a burst, a slow store or a breaker.
//
// The store counts with a sliding window (the previous window's count weighted by how
// much of it still overlaps the last `seconds`, plus the current one's), run by the
// library as its increment script: no double burst at a window edge. Over the limit:
// 429 with Retry-After, the seconds until a request would be let through.
//
// Classes and defaults (RATE_LIMIT_<CLASS>="<requests>/<seconds>" overrides):
//   chat          20/60    a chat message: a model call with the user's key
//   memory_write  60/60    storing, changing, deleting memories (embeddings, extraction)
//   embedding    120/60    searches: an embeddings call unless cached
//   default      600/60    everything else a signed-in user calls

import { envInt } from "./env.ts";
import { ApiError } from "./errors.ts";
import type { CacheStore } from "./cache.ts";

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
 * The store's counter: a sliding window in one hash per key (window number, its count,
 * the previous window's count). ARGV as the library passes them: points to consume,
 * the window in seconds, the limit. Returns what the library expects, {count, ms}: the
 * weighted count with this request (over the limit: refused, and not counted), and the
 * milliseconds until a refused request would fit (the window's end when it fits).
 */
export const SLIDING_WINDOW_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local add = tonumber(ARGV[1])
local dur = tonumber(ARGV[2]) * 1000
local limit = tonumber(ARGV[3])
local win = math.floor(now / dur)
local s = redis.call('HMGET', KEYS[1], 'w', 'c', 'p')
local w = tonumber(s[1]) or win
local c = tonumber(s[2]) or 0
local p = tonumber(s[3]) or 0
if w == win - 1 then p = c; c = 0 elseif w ~= win then p = 0; c = 0 end
local into = (now - win * dur) / dur
local count = p * (1 - into) + c + add
local ms = (win + 1) * dur - now
if count <= limit then
  c = c + add
elseif c + add > limit then
  ms = ms + math.ceil((1 - (limit - add) / math.max(c, 1)) * dur)
else
  ms = math.ceil(((1 - (limit - c - add) / p) - into) * dur)
end
redis.call('HSET', KEYS[1], 'w', win, 'c', c, 'p', p)
redis.call('PEXPIRE', KEYS[1], 2 * dur)
return {math.ceil(count), math.max(ms, 1)}
`;

interface Limiter {
  consume(key: string, points?: number): Promise<unknown>;
}

/** What the library rejects with when a limit is reached (its RateLimiterRes). */
interface Refusal {
  msBeforeNext: number;
  remainingPoints: number;
}
const isRefusal = (e: unknown): e is Refusal =>
  typeof e === "object" && e !== null && "msBeforeNext" in e && "remainingPoints" in e;

let library: Promise<typeof import("rate-limiter-flexible")> | undefined;

// One limiter per store, function and class, made on first use; without a store, the
// per-instance ones.
const byStore = new WeakMap<object, Map<string, Promise<Limiter>>>();
const withoutStore = new Map<string, Promise<Limiter>>();

async function makeLimiter(store: CacheStore | null, cls: RateClass): Promise<Limiter> {
  const { RateLimiterMemory, RateLimiterRedis, RLWrapperTimeouts } =
    await (library ??= import("rate-limiter-flexible"));
  const { requests: points, seconds: duration } = limitOf(cls);
  // Keys are tripsage:v1:rate:<user>:<fn>:<cls>, like every key of ours naming its user.
  const keyPrefix = "tripsage:v1:rate";
  const insurance = new RateLimiterMemory({ points, duration, keyPrefix });
  if (!store?.redis) return insurance;
  const shared = new RateLimiterRedis({
    storeClient: store.redis,
    points,
    duration,
    keyPrefix,
    customIncrTtlLuaScript: SLIDING_WINDOW_SCRIPT,
    insuranceLimiter: insurance,
  });
  // A slow store is a failed one: the insurance counts instead (RATE_LIMIT_TIMEOUT_MS).
  return new RLWrapperTimeouts({
    limiter: shared,
    timeoutMs: envInt("RATE_LIMIT_TIMEOUT_MS", 500),
    insuranceLimiter: insurance,
  });
}

function limiterFor(store: CacheStore | null, fn: string, cls: RateClass): Promise<Limiter> {
  let map = store ? byStore.get(store) : withoutStore;
  if (!map) byStore.set(store!, map = new Map());
  const key = `${fn}:${cls}`;
  let limiter = map.get(key);
  if (!limiter) map.set(key, limiter = makeLimiter(store, cls));
  return limiter;
}

/** Counts one request of `userId` to `fn` in `cls`; throws the 429 when it is over the limit. */
export async function takeRequest(
  store: CacheStore | null,
  fn: string,
  cls: RateClass,
  userId: string,
): Promise<void> {
  const limiter = await limiterFor(store, fn, cls);
  try {
    await limiter.consume(`${userId}:${fn}:${cls}`);
  } catch (e) {
    if (!isRefusal(e)) throw e; // the store failed and so did the insurance: a bug
    const { requests, seconds } = limitOf(cls);
    throw new ApiError(
      429,
      "RATE_LIMITED",
      `too many requests: at most ${requests} every ${seconds} s for this kind of request`,
      {
        hint: "Retry after the delay in the Retry-After header.",
        headers: { "Retry-After": String(Math.max(1, Math.ceil(e.msBeforeNext / 1000))) },
      },
    );
  }
}
