/**
 * RFC 3986 percent-encoding as SigV4 requires: every byte except the unreserved set
 * `A-Z a-z 0-9 - _ . ~` is written as `%XX` with upper-case hex.
 *
 * `encodeURIComponent` leaves `! ' ( ) *` alone, which SigV4 does not, so those five are
 * fixed up. See https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 * ("URI-encode each parameter name and value").
 */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
