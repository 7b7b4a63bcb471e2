/**
 * Fairness between users inside one Lambda instance: a token bucket per `sub`. HTTP APIs throttle per
 * stage only (every user shares one bucket) and offer no per-client throttling, so without this one
 * signed-in user could drive STS calls and cost without limit and starve the others of the stage's
 * rate. Buckets are kept in a bounded LRU, like sessions; a forgotten bucket comes back full, which
 * errs towards the user and costs at most one burst. Pure apart from the injected clock.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html
 */
import { LruMap } from '../signing/lru-map.js';

/** How a caller's vends are limited (`USER_RATE_PER_SECOND`, `USER_RATE_BURST`). */
export interface RateLimitSettings {
  /** Tokens added per second; 0 turns the limiter off. */
  readonly perSecond: number;
  /** The bucket's size: how many vends in a row a rested caller may make. */
  readonly burst: number;
}

/** The answer for one request: allowed, or refused with the seconds until a token is back. */
export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

/** Takes one token from a caller's bucket, or says how long to wait. */
export type RateLimiter = (key: string) => RateDecision;

interface Bucket {
  tokens: number;
  updatedAtMs: number;
}

const ALLOWED: RateDecision = Object.freeze({ allowed: true });

/**
 * A limiter with one bucket per key, at most `maxKeys` buckets.
 * @param now the clock, epoch milliseconds
 */
export function createRateLimiter(settings: RateLimitSettings, maxKeys: number, now: () => number = Date.now): RateLimiter {
  if (settings.perSecond === 0) return () => ALLOWED;
  const buckets = new LruMap<string, Bucket>(maxKeys);
  const perMs = settings.perSecond / 1000;
  return (key) => {
    const at = now();
    let bucket = buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: settings.burst, updatedAtMs: at };
      buckets.set(key, bucket);
    } else {
      // A clock that steps back adds nothing (and takes nothing away).
      bucket.tokens = Math.min(settings.burst, bucket.tokens + Math.max(0, at - bucket.updatedAtMs) * perMs);
      bucket.updatedAtMs = at;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return ALLOWED;
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / settings.perSecond)) };
  };
}
