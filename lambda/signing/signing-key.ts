/**
 * The SigV4 signing key, `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`,
 * and a bounded cache of it. The key only changes with the secret, the UTC day, the region and the
 * service, so deriving it once per combination removes four of the five HMACs from every URL.
 */
import { createHash, createHmac } from 'node:crypto';

/** Derives the signing key without caching. */
export function deriveSigningKey(secretAccessKey: string, dateStamp: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secretAccessKey}`).update(dateStamp).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

/**
 * A least-recently-used cache of signing keys. Entries are keyed by a SHA-256 of the secret so the
 * secret itself is not retained as a map key.
 */
export class SigningKeyCache {
  readonly #maxEntries: number;
  readonly #entries = new Map<string, Buffer>();

  /** @param maxEntries how many keys to keep; the least recently used is dropped beyond it. */
  constructor(maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`SigningKeyCache maxEntries must be a positive integer (received ${String(maxEntries)})`);
    }
    this.#maxEntries = maxEntries;
  }

  /** How many keys are cached. */
  get size(): number {
    return this.#entries.size;
  }

  /** Returns the cached key for the combination, deriving and caching it on a miss. */
  get(secretAccessKey: string, dateStamp: string, region: string, service: string): Buffer {
    const secretId = createHash('sha256').update(secretAccessKey).digest('base64');
    const id = `${secretId}\n${dateStamp}\n${region}\n${service}`;
    const hit = this.#entries.get(id);
    if (hit !== undefined) {
      // Re-inserting moves the entry to the end of the Map's insertion order: most recently used.
      this.#entries.delete(id);
      this.#entries.set(id, hit);
      return hit;
    }
    const key = deriveSigningKey(secretAccessKey, dateStamp, region, service);
    this.#entries.set(id, key);
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return key;
  }

  /** Drops every cached key. */
  clear(): void {
    this.#entries.clear();
  }
}
