const UNRESERVED_AND_SLASH = /^[A-Za-z0-9\-_.~/]*$/;

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
  if (UNRESERVED_AND_SLASH.test(value)) return value.includes('/') ? value.replaceAll('/', '%2F') : value;
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
