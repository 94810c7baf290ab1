// The cache and rate-limit store (docs/cache.md): any Redis-protocol server at
// CACHE_URL (Redis, Valkey, Dragonfly), through ioredis, loaded on first use. Without
// CACHE_URL there is no store and every caller behaves as if each read missed.
//
// It fails open: each command gives up after CACHE_TIMEOUT_MS (default 50), commands
// are never queued while disconnected, and after 3 failures in a row a breaker skips
// the store for CACHE_BREAKER_MS (default 5000) before one request tries it again. A
// slow, paused or stopped store costs a request at most one timeout, then nothing.
//
// Only GET and SET with EX are sent (and the rate limiter's script, rate_limit.ts,
// which does not go through the breaker); every key gets a TTL; no value over
// CACHE_MAX_VALUE_BYTES (default 256 KiB) is written.

import { envInt } from "./env.ts";
import { sha256Hex } from "./sha256.ts";

/** The one call we make of the client: a command and its reply. */
type Send = (args: string[]) => Promise<unknown>;

/** Keys are namespaced and versioned: a change of layout never reads an old one. */
const PREFIX = "tripsage:v1";

export interface CacheStore {
  /** The value, or null on a miss, a timeout or an open breaker. */
  get(key: string): Promise<string | null>;
  /** The values of `keys` (pipelined GETs, one timeout for all), each as `get`. */
  getMany(keys: string[]): Promise<(string | null)[]>;
  /** Best effort: a failure is a no-op. */
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Several SETs pipelined, one timeout for all; best effort. */
  setMany(entries: [key: string, value: string][], ttlSeconds: number): Promise<void>;
  /**
   * The ioredis client itself, for the rate limiter (rate_limit.ts), which runs its own
   * commands and timeouts: a limit must not be skipped by this store's breaker.
   */
  readonly redis?: unknown;
}

/** What the breaker and the commands did, for tests and logs. */
export interface CacheStats {
  hits: number;
  misses: number;
  failures: number;
  skipped: number;
}

export class RedisStore implements CacheStore {
  readonly stats: CacheStats = { hits: 0, misses: 0, failures: 0, skipped: 0 };
  #failuresInRow = 0;
  #openUntil = 0;

  constructor(
    readonly redis: unknown,
    private readonly send: Send,
    /** Ends the connection (tests and benchmarks; a function's store lives as long as it). */
    readonly close: () => Promise<void>,
    private readonly timeoutMs: number,
    private readonly breakerMs: number,
    private readonly maxValueBytes: number,
  ) {}

  /**
   * Runs commands (pipelined: sent together) unless the breaker is open; null when one
   * failed, took longer than the timeout, or was skipped. A timed-out command is left
   * to finish on its own; nobody waits for it.
   */
  async #run(...commands: string[][]): Promise<unknown[] | null> {
    if (Date.now() < this.#openUntil) {
      this.stats.skipped++;
      return null;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const replies = await Promise.race([
        Promise.all(commands.map((c) => this.send(c))),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("cache timeout")), this.timeoutMs);
        }),
      ]);
      this.#failuresInRow = 0;
      return replies;
    } catch (e) {
      this.stats.failures++;
      // Commands already in flight when the breaker opened do not count again.
      if (Date.now() < this.#openUntil) return null;
      if (++this.#failuresInRow >= 3) {
        this.#openUntil = Date.now() + this.breakerMs;
        this.#failuresInRow = 0;
        // Once per opening: the operator's sign that the store is slow or gone.
        console.error(JSON.stringify({
          level: "warn",
          msg: "cache store failing: skipped for a while",
          skip_ms: this.breakerMs,
          error: e instanceof Error ? e.message : String(e),
        }));
      }
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  async get(key: string): Promise<string | null> {
    return (await this.getMany([key]))[0];
  }

  async getMany(keys: string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    const replies = await this.#run(...keys.map((k) => ["GET", k]));
    return keys.map((_, i) => {
      const value = typeof replies?.[i] === "string" ? replies[i] as string : null;
      if (value === null) this.stats.misses++;
      else this.stats.hits++;
      return value;
    });
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.setMany([[key, value]], ttlSeconds);
  }

  async setMany(entries: [string, string][], ttlSeconds: number): Promise<void> {
    // (UTF-16 units: a lower bound of the bytes)
    const kept = entries.filter(([, value]) => value.length <= this.maxValueBytes);
    if (kept.length === 0) return;
    const ttl = String(seconds(ttlSeconds));
    await this.#run(...kept.map(([key, value]) => ["SET", key, value, "EX", ttl]));
  }
}

const seconds = (ttl: number) => Math.max(1, Math.ceil(ttl));

let store: Promise<CacheStore | null> | undefined;

/** The process's store (one connection, shared by every request), or null without CACHE_URL. */
export function cacheStore(): Promise<CacheStore | null> {
  return store ??= openStore(Deno.env.get("CACHE_URL"));
}

/** A store for `url` (tests build their own against a given server). */
export async function openStore(url: string | undefined): Promise<RedisStore | null> {
  if (!url) return null;
  const { Redis } = await import("ioredis");
  const timeout = envInt("CACHE_TIMEOUT_MS", 50);
  const connectTimeout = Math.max(timeout, 1000);
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout,
    // Fail at once while disconnected rather than queue behind a reconnect, and never
    // resend a command after one: a late answer is worth nothing to a request.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // Reconnect in the background, never faster than every 500 ms.
    retryStrategy: (times: number) => Math.min(500 * times, 5000),
    // Commands issued together (getMany, setMany) leave in one write.
    enableAutoPipelining: true,
  });
  // Connection errors surface as failed commands; the event only needs a listener.
  client.on("error", () => {});
  // The first request waits for the connection, at most connectTimeout: commands are
  // not queued, so without this the first few after a cold start would all miss. A
  // store that is down leaves the client reconnecting in the background.
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    client.connect().catch(() => {}),
    new Promise((resolve) => (timer = setTimeout(resolve, connectTimeout))),
  ]);
  clearTimeout(timer);
  return new RedisStore(
    client,
    ([command, ...args]) => client.call(command, ...args),
    () => Promise.resolve(client.disconnect()),
    timeout,
    envInt("CACHE_BREAKER_MS", 5000),
    envInt("CACHE_MAX_VALUE_BYTES", 256 * 1024),
  );
}

/**
 * A key of `kind` for `userId` (the verified token's subject, never client input):
 * the parts are hashed, so no text a user sent appears in a key.
 */
export async function cacheKey(kind: string, userId: string, ...parts: unknown[]): Promise<string> {
  return `${PREFIX}:${kind}:${userId}:${await sha256Hex(JSON.stringify(parts))}`;
}

interface Envelope<T> {
  u: string;
  v: string;
  d: T;
}

/**
 * A cached value of `userId` at `version`, or null: a miss, garbage, or a value whose
 * owner or version is not the one expected (never served). The version may still be
 * on its way (a database read): the store is asked meanwhile.
 */
export async function readOwned<T>(
  store: CacheStore | null,
  key: string,
  userId: string,
  version: string | Promise<string>,
): Promise<T | null> {
  if (!store) return null;
  const [raw, expected] = await Promise.all([store.get(key), version]);
  return unwrap<T>(raw, userId, expected);
}

/** The data of an envelope that is `userId`'s at `version`, else null. */
export function unwrap<T>(raw: string | null, userId: string, version: string): T | null {
  if (raw === null) return null;
  try {
    const e = JSON.parse(raw) as Envelope<T>;
    return e && e.u === userId && e.v === version && "d" in e ? e.d : null;
  } catch {
    return null;
  }
}

/** The envelope of `data`: its owner and version travel with it. */
export const wrap = (userId: string, version: string, data: unknown) =>
  JSON.stringify({ u: userId, v: version, d: data });

/**
 * Stores `data` for `userId` at `version`, with its owner and version inside. Callers
 * need not wait: it never throws, and a lost write is only a later miss.
 */
export async function writeOwned(
  store: CacheStore | null,
  key: string,
  userId: string,
  version: string,
  data: unknown,
  ttlSeconds: number,
): Promise<void> {
  if (!store) return;
  await store.set(key, wrap(userId, version, data), ttlSeconds);
}
