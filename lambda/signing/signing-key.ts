/**
 * The SigV4 signing key, `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`,
 * and a bounded cache of it. The key only changes with the secret, the UTC day, the region and the
 * service, so deriving it once per combination removes four of the five HMACs from every URL.
 */
import { createHmac } from 'node:crypto';
import { LruMap } from './lru-map.js';

/** Derives the signing key without caching. */
export function deriveSigningKey(secretAccessKey: string, dateStamp: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secretAccessKey}`).update(dateStamp).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

/**
 * A least-recently-used cache of signing keys, one per secret: the key for the secret's latest
 * credential scope (day, region, service). The secret is the map key itself: hashing it first would
 * cost as much as the HMAC the cache saves, and the credentials object holding it lives in the same
 * process anyway. A secret used for several regions at once simply re-derives on each switch.
 */
export class SigningKeyCache {
  readonly #entries: LruMap<string, { readonly scope: string; readonly key: Buffer }>;

  /** @param maxEntries how many secrets to keep a key for; the least recently used is dropped beyond it. */
  constructor(maxEntries: number) {
    this.#entries = new LruMap(maxEntries);
  }

  /** How many keys are cached. */
  get size(): number {
    return this.#entries.size;
  }

  /** Returns the signing key for the secret and credential scope, deriving and caching it on a miss. */
  get(secretAccessKey: string, dateStamp: string, region: string, service: string): Buffer {
    const scope = `${dateStamp}/${region}/${service}`;
    const hit = this.#entries.get(secretAccessKey);
    if (hit !== undefined && hit.scope === scope) return hit.key;
    const key = deriveSigningKey(secretAccessKey, dateStamp, region, service);
    this.#entries.set(secretAccessKey, { scope, key });
    return key;
  }
}
