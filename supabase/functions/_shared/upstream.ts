// How a provider's failure reaches our caller: the key was refused -> 422, rate
// limited -> 429 with Retry-After, too slow -> 504, down or broken -> 502. The
// provider's own message is never passed on: it can quote the key.

import { envInt } from "./env.ts";
import { ApiError } from "./errors.ts";

/** Milliseconds to wait for a provider (UPSTREAM_TIMEOUT_MS, default 10 s). */
export const upstreamTimeoutMs = (): number => envInt("UPSTREAM_TIMEOUT_MS", 10_000);

/**
 * Seconds from a Retry-After header (delta-seconds or an HTTP date), clamped to
 * 1..3600; `fallback` when the header is absent, empty or unreadable (a missing
 * header must not read as "retry at once": Number(null) is 0).
 */
export function retryAfterSeconds(
  header: string | null | undefined,
  fallback = 20,
  now = Date.now(),
): number {
  const text = header?.trim() ?? "";
  let seconds = NaN;
  if (/^\d+(\.\d+)?$/.test(text)) seconds = Number(text);
  // An HTTP date names its weekday and month in letters ("Wed, 25 Nov 2026 ...").
  else if (/[a-z]/i.test(text) && Number.isFinite(Date.parse(text))) {
    seconds = (Date.parse(text) - now) / 1000;
  }
  return Number.isFinite(seconds) ? Math.min(3600, Math.max(1, Math.ceil(seconds))) : fallback;
}

export const keyRejected = (provider: string, status: number) =>
  new ApiError(
    422,
    "API_KEY_REJECTED",
    `your ${provider} key was rejected (HTTP ${status}): check that it is correct and active`,
  );

export const rateLimited = (provider: string, retryAfter: number) =>
  new ApiError(429, "UPSTREAM_RATE_LIMITED", `${provider} is rate limiting this key`, {
    hint: "Retry after the delay in the Retry-After header.",
    headers: { "Retry-After": String(retryAfter) },
  });

export const upstreamTimeout = (provider: string) =>
  new ApiError(504, "UPSTREAM_TIMEOUT", `${provider} did not answer in time`);

export const upstreamUnreachable = (provider: string) =>
  new ApiError(502, "UPSTREAM_UNREACHABLE", `${provider} could not be reached`);

export const upstreamFailed = (provider: string, status: number) =>
  new ApiError(502, "UPSTREAM_ERROR", `${provider} answered HTTP ${status}`);

/** Maps an HTTP status other than success from a provider. */
export function fromUpstreamStatus(
  provider: string,
  status: number,
  retryAfter?: string | null,
): ApiError {
  if (status === 401 || status === 403) return keyRejected(provider, status);
  if (status === 429) return rateLimited(provider, retryAfterSeconds(retryAfter));
  return upstreamFailed(provider, status);
}
