/**
 * When to vend and when to try connecting again. Pure functions, so the timing rules are tested
 * without timers.
 */

/** Start prefetching no later than this long before expiry (enough for a slow network and a retry). */
export const PREFETCH_LEAD_MS = 60_000;
/** First retry delay after a failed vend; doubles per failure. */
export const RETRY_BASE_MS = 1_000;
/** Longest wait between vend retries, and the longest extra wait between connection attempts. */
export const RETRY_MAX_MS = 30_000;
/** Connection attempts that may fail in a row before the next ones are spaced out (see {@link attemptDelayMs}). */
export const ATTEMPTS_BEFORE_BACKOFF = 2;

/**
 * With `prefetch: true` only: delay from receiving a URL to prefetching the next one: at 80 % of its
 * life or 60 s before expiry, whichever is sooner, but never before half of its life (short-lived
 * URLs would otherwise be refreshed in a loop). Up to 10 % of the life is subtracted at random so
 * that many tabs opened together do not all call the API in the same second.
 *
 * @param lifetimeMs the URL's lifetime
 * @param random a number in [0, 1), `Math.random()` in production
 */
export function prefetchDelayMs(lifetimeMs: number, random: number): number {
  const base = Math.max(0.5 * lifetimeMs, Math.min(0.8 * lifetimeMs, lifetimeMs - PREFETCH_LEAD_MS));
  return Math.max(0, Math.round(base - random * 0.1 * lifetimeMs));
}

/** `min(RETRY_MAX_MS, RETRY_BASE_MS · 2^(step − 1))`, jittered down to 75–100 %. */
function backoffMs(step: number, random: number): number {
  const exponential = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, step - 1));
  return Math.round(exponential * (0.75 + 0.25 * random));
}

/**
 * Delay before retrying a failed vend: exponential from 1 s, capped at 30 s, with jitter, and never
 * shorter than the API's `Retry-After` (429 and 503 send one).
 *
 * @param failures consecutive failures so far (1 after the first)
 * @param retryAfterSeconds the API's `Retry-After`, if any
 * @param random a number in [0, 1)
 */
export function retryDelayMs(failures: number, retryAfterSeconds: number | undefined, random: number): number {
  return Math.max(backoffMs(failures, random), (retryAfterSeconds ?? 0) * 1000);
}

/**
 * Extra wait before the next connection attempt after `failedAttempts` attempts in a row that got no
 * CONNACK (endpoint unreachable, handshake refused), on top of mqtt.js's `reconnectPeriod`: none for
 * the first {@link ATTEMPTS_BEFORE_BACKOFF} (a dropped connection comes back at mqtt.js's pace), then
 * 1 s doubling to 30 s, with jitter. A long outage costs a few attempts a minute, not one a second.
 *
 * @param failedAttempts consecutive attempts without CONNACK so far
 * @param random a number in [0, 1)
 */
export function attemptDelayMs(failedAttempts: number, random: number): number {
  if (failedAttempts < ATTEMPTS_BEFORE_BACKOFF) return 0;
  return backoffMs(failedAttempts - ATTEMPTS_BEFORE_BACKOFF + 1, random);
}

/**
 * The window over which the first reconnect after a drop, and the vend it may need, are spread at
 * random, and within which a wake (`online`, a page made visible) reconnects. A whole fleet of tabs
 * loses its connections at once when the endpoint blips or a deploy restarts it; without the spread
 * every tab vends the instant its socket closes and reconnects exactly one `reconnectPeriod` later,
 * a burst of N concurrent Lambda invocations (429s past the stage's burst) and N CONNECTs in one
 * instant against AWS IoT's account-wide CONNECT rate (500 per second by default).
 *
 * 2 s, uniform: the added delay has a median of 1 s (the "about a second" a person does not notice
 * after a drop they did not cause), and N tabs arrive at N / 2 per second: a fleet of up to 1,000
 * tabs per account stays within the default CONNECT rate. A wider window would protect larger
 * fleets at the price of every user's reconnect; measured figures in docs/browser-client.md.
 */
export const HERD_JITTER_WINDOW_MS = 2_000;

/**
 * A uniformly random delay in [0, {@link HERD_JITTER_WINDOW_MS}).
 * @param random a number in [0, 1)
 */
export function herdJitterMs(random: number): number {
  return Math.floor(random * HERD_JITTER_WINDOW_MS);
}
