// Any character but the unreserved set and `/`.
const NEEDS_PERCENT_ENCODING = /[^A-Za-z0-9\-_.~/]/;

/**
 * RFC 3986 percent-encoding as SigV4 requires: every byte except the unreserved set
 * `A-Z a-z 0-9 - _ . ~` is written as `%XX` with upper-case hex.
 *
 * `encodeURIComponent` leaves `! ' ( ) *` alone, which SigV4 does not, so those five are
 * fixed up. See https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 * ("URI-encode each parameter name and value").
 */
export function encodeRfc3986(value: string): string {
  // Most SigV4 names and values need no encoding, and credentials (`AKID/date/region/service/…`)
  // need only their `/` replaced: one scan finds both cases, cheaper than rebuilding the string.
  // Stryker disable next-line ConditionalExpression: the fast path is only an optimisation: `false` (every string takes the general path) encodes identically, so it is equivalent; the same directive also drops its twin `true` (every string takes the fast path), which the "!'()*" cases in test/signer would catch
  if (!NEEDS_PERCENT_ENCODING.test(value)) return value.replaceAll('/', '%2F');
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
