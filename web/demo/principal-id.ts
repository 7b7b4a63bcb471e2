/**
 * The caller's principal ID in issuer mode, computed in the browser so the page can suggest the
 * user's own topics (`users/<principal>/…`) right after sign-in, before any URL is vended:
 * `uuid5(NAMESPACE_URL, issuer + "#" + sub)`, the RFC 9562 name-based UUID (SHA-1), the same
 * derivation as the Lambda's `principalIdFor` (`lambda/vending/principal-id.ts`), which needs
 * `node:crypto` and so cannot be bundled for the page. The vend answer's `principalId` is the
 * authority; this is only a preview, and the page says which one it shows.
 *
 * Needs `crypto.subtle`, which browsers offer in secure contexts only; the local stack's loopback
 * origins are secure contexts.
 */

/** RFC 9562's namespace ID for URLs, `6ba7b811-9dad-11d1-80b4-00c04fd430c8`, as bytes. */
const NAMESPACE_URL = new Uint8Array([0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8]);

/**
 * `uuid5(NAMESPACE_URL, issuer + "#" + sub)`, lower case.
 * @param issuer the exact `iss` of the user's token (a trailing slash matters)
 * @param sub the token's `sub`
 * @throws Error when `crypto.subtle` is missing (not a secure context)
 */
export async function derivePrincipalId(issuer: string, sub: string): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) throw new Error('crypto.subtle is not available (the page is not in a secure context)');
  const name = new TextEncoder().encode(`${issuer}#${sub}`);
  const input = new Uint8Array(NAMESPACE_URL.length + name.length);
  input.set(NAMESPACE_URL);
  input.set(name, NAMESPACE_URL.length);
  const digest = new Uint8Array(await subtle.digest('SHA-1', input));
  // Version 5 in the high nibble of byte 6; variant 10 in the two high bits of byte 8.
  digest[6] = ((digest[6] ?? 0) & 0x0f) | 0x50;
  digest[8] = ((digest[8] ?? 0) & 0x3f) | 0x80;
  const hex = [...digest.subarray(0, 16)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
