/**
 * The caller's principal ID in issuer (OIDC) mode: `uuid5(NAMESPACE_URL, issuer + "#" + sub)`, the
 * RFC 9562 name-based UUID (SHA-1), https://www.rfc-editor.org/rfc/rfc9562#section-5.5. Any backend
 * can compute it (Python `uuid.uuid5(uuid.NAMESPACE_URL, issuer + "#" + sub)`, the npm `uuid`
 * package's `v5`) to address a user's topics, whatever the provider's sub looks like (`auth0|…`,
 * `user_…`, 255 characters): the result is always a lower-case UUID, which fits a client ID under the
 * UUID-only `iot:Connect` ceiling, an STS session name and a topic level.
 *
 * Not a secret, and only as stable as the claim it is derived from.
 *
 * The refusals keep the derivation injective and portable:
 * - an issuer with `#` could make `issuer + "#" + sub` ambiguous (`https://a#b` + `c` and
 *   `https://a` + `b#c` would name one string); a query or fragment has no place in an OIDC issuer
 *   (https://openid.net/specs/openid-connect-discovery-1_0.html#IssuerDiscovery);
 * - a sub with a lone surrogate has no UTF-8 form: `TextEncoder` would write U+FFFD for every one, so
 *   distinct subs would share an ID (Python's `uuid5` refuses them).
 */
import { createHash, type Hash } from 'node:crypto';
import { brandErrorClass } from '../signing/error-brand.js';
import { describeValue } from '../signing/errors.js';

/** RFC 9562's namespace ID for URLs (`6ba7b811-9dad-11d1-80b4-00c04fd430c8`), as bytes. */
const NAMESPACE_URL = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');

/** The longest sub accepted, in Unicode code points (OIDC itself caps `sub` at 255 ASCII characters). */
export const MAX_PRINCIPAL_SUB_LENGTH = 1024;

// A URL as printable ASCII without spaces: `new URL` would silently trim or percent-encode anything
// else, and the issuer must be used exactly as the token's `iss` spells it.
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

// A high surrogate not followed by a low one, or a low one not preceded by a high one: what ES2024's
// String.prototype.isWellFormed looks for (the project's ES2022 lib does not declare that method).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// A lower-case http(s) scheme, "//" and the first character of a host.
const SCHEME_AND_HOST = /^https?:\/\/[^/]/;

/** Which input of {@link principalIdFor} was refused. */
export type PrincipalInput = 'issuer' | 'sub';

/**
 * {@link principalIdFor} was given an issuer or a sub it cannot derive a safe, portable ID from.
 * `problem` says why without the value; `received` describes the value (truncated, JSON-quoted). The
 * vending Lambda logs only `problem`, since a sub is personal data.
 */
export class InvalidPrincipalInputError extends Error {
  override readonly name = 'InvalidPrincipalInputError';
  /** The input at fault. */
  readonly input: PrincipalInput;
  /** What is wrong with it, phrased to follow its name, without its value. */
  readonly problem: string;
  /** A printable description of the value received. */
  readonly received: string;

  /**
   * @param input the input at fault
   * @param problem what is wrong, phrased to follow the input's name
   * @param received the description of the value received
   */
  constructor(input: PrincipalInput, problem: string, received: string) {
    super(`Invalid ${input}: ${problem} (received ${received})`);
    this.input = input;
    this.problem = problem;
    this.received = received;
  }
}
// `instanceof` holds across the package's ES module and CommonJS copies.
brandErrorClass(InvalidPrincipalInputError, 'InvalidPrincipalInputError');

/**
 * Why `issuer` cannot be a principal-ID issuer, or `undefined` when it can: an absolute http(s) URL
 * with a host, as printable ASCII, without `#` or `?`. Shared with the Lambda's configuration, which
 * adds its own rules (https, except for loopback hosts).
 */
export function issuerProblem(issuer: unknown): string | undefined {
  if (typeof issuer !== 'string' || !PRINTABLE_ASCII.test(issuer)) return 'must be an absolute http(s) URL of printable ASCII without spaces';
  if (issuer.includes('#')) return 'must not hold "#" (a fragment, or a separator that would make issuer + "#" + sub ambiguous)';
  if (issuer.includes('?')) return 'must not hold a query ("?")';
  // WHATWG URL parsing forgives `https:host` and `HTTPS://`, but a token's `iss` is compared as written.
  if (!SCHEME_AND_HOST.test(issuer)) return 'must be an absolute http(s) URL, starting with https:// (or http://) and a host';
  let url: URL;
  try {
    // Refuses what the scheme test lets through but no URL is: a bad port, an unclosed IPv6 host.
    url = new URL(issuer);
  } catch {
    return 'must be an absolute http(s) URL with a valid host and port';
  }
  if (url.username !== '' || url.password !== '') return 'must not hold user information ("user@")';
  return undefined;
}

/**
 * Why `sub` cannot be a principal-ID sub, or `undefined` when it can: a string of 1 to
 * {@link MAX_PRINCIPAL_SUB_LENGTH} code points, well-formed UTF-16.
 */
export function subProblem(sub: unknown): string | undefined {
  if (typeof sub !== 'string' || sub.length === 0) return 'must be a non-empty string';
  // Code units bound code points from above, so only a long string needs counting.
  // Stryker disable next-line ConditionalExpression,EqualityOperator: the length test only spares short subs the count, which decides alone
  if (sub.length > MAX_PRINCIPAL_SUB_LENGTH && codePointCount(sub) > MAX_PRINCIPAL_SUB_LENGTH) {
    return `must be at most ${MAX_PRINCIPAL_SUB_LENGTH} characters (received ${codePointCount(sub)})`;
  }
  if (LONE_SURROGATE.test(sub)) return 'must be well-formed UTF-16 (it holds a lone surrogate, which has no UTF-8 form)';
  return undefined;
}

function codePointCount(text: string): number {
  let count = 0;
  // A string iterates by code point: a surrogate pair once, a lone surrogate once too.
  for (const _ of text) count++;
  return count;
}

/**
 * The principal ID of `sub` at `issuer`: `uuid5(NAMESPACE_URL, issuer + "#" + sub)`, lower case.
 *
 * @example
 * ```ts
 * principalIdFor('https://example.us.auth0.com/', 'auth0|64f1a2b3c4d5e6f7a8b9c0d1');
 * ```
 * @param issuer the issuer exactly as the token's `iss` (a trailing slash matters)
 * @param sub the claim the deployment derives principals from (`sub` by default)
 * @throws InvalidPrincipalInputError when the issuer is not an absolute http(s) URL or holds `#` or
 *   a query, or the sub is empty, over 1,024 characters, or not well-formed UTF-16
 */
export function principalIdFor(issuer: string, sub: string): string {
  return principalIdDeriver(issuer)(sub);
}

/**
 * {@link principalIdFor} for one issuer, checked once: the SHA-1 state after the namespace and
 * `issuer + "#"` is kept, so each call only hashes the sub (the vending Lambda's hot path).
 *
 * @throws InvalidPrincipalInputError when the issuer is refused (see {@link principalIdFor})
 * @returns the deriver, which throws InvalidPrincipalInputError for a refused sub
 */
export function principalIdDeriver(issuer: string): (sub: string) => string {
  const problem = issuerProblem(issuer);
  if (problem !== undefined) throw new InvalidPrincipalInputError('issuer', problem, describeValue(issuer));
  // Strings are hashed as UTF-8 (Node's default), as RFC 9562 and Python's uuid5 encode the name.
  const prefix: Hash = createHash('sha1').update(NAMESPACE_URL).update(`${issuer}#`);
  return (sub) => {
    const refused = subProblem(sub);
    if (refused !== undefined) throw new InvalidPrincipalInputError('sub', refused, describeValue(sub));
    return uuidFromSha1(prefix.copy().update(sub).digest());
  };
}

/** The version 5 UUID of a SHA-1 digest (RFC 9562 section 5.5): its first 16 bytes, version and variant set. */
function uuidFromSha1(digest: Buffer): string {
  // Version 5 in the high nibble of byte 6; variant 10 in the two high bits of byte 8.
  digest[6] = ((digest[6] ?? 0) & 0x0f) | 0x50;
  digest[8] = ((digest[8] ?? 0) & 0x3f) | 0x80;
  const hex = digest.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
