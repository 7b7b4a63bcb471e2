/**
 * When to fetch the next URL. Pure functions, so the timing rules are tested without timers.
 */

/** Start prefetching no later than this long before expiry (enough for a slow network and a retry). */
export const PREFETCH_LEAD_MS = 60_000;
/** First retry delay after a failed refresh; doubles per failure. */
export const RETRY_BASE_MS = 1_000;
/** Longest wait between refresh retries. */
export const RETRY_MAX_MS = 30_000;

/**
 * Delay from receiving a URL to prefetching the next one: at 80 % of its life or 60 s before
 * expiry, whichever is sooner, but never before half of its life (short-lived URLs would otherwise
 * be refreshed in a loop). Up to 10 % of the life is subtracted at random so that many tabs opened
 * together do not all call the API in the same second.
 *
 * @param lifetimeMs the URL's lifetime
 * @param random a number in [0, 1), `Math.random()` in production
 */
export function prefetchDelayMs(lifetimeMs: number, random: number): number {
  const base = Math.max(0.5 * lifetimeMs, Math.min(0.8 * lifetimeMs, lifetimeMs - PREFETCH_LEAD_MS));
  return Math.max(0, Math.round(base - random * 0.1 * lifetimeMs));
}

/**
 * Delay before retrying a failed refresh: exponential from 1 s, capped at 30 s, with jitter, and
 * never shorter than the API's `Retry-After`.
 *
 * @param failures consecutive failures so far (1 after the first)
 * @param retryAfterSeconds the API's `Retry-After`, if any
 * @param random a number in [0, 1)
 */
export function retryDelayMs(failures: number, retryAfterSeconds: number | undefined, random: number): number {
  const exponential = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, failures - 1));
  const jittered = Math.round(exponential * (0.75 + 0.25 * random));
  return Math.max(jittered, (retryAfterSeconds ?? 0) * 1000);
}
