/**
 * Keeps secrets out of everything `verify` prints: tokens, presigned URLs, signatures and session
 * tokens are replaced by `[redacted]` in any text before it reaches stdout or stderr, whether it
 * came from our own messages or from a library's error.
 */

/** What is put in place of a secret. */
export const REDACTED = '[redacted]';

const PATTERNS: readonly RegExp[] = [
  // A presigned URL, whole (its query holds the signature and the session token).
  /wss?:\/\/[^\s"']*\?[^\s"']*/gi,
  /X-Amz-(?:Signature|Security-Token|Credential)=[^&\s"']*/gi,
  // JWTs (header.payload.signature, base64url).
  /eyJ[\w-]*\.[\w-]+\.[\w-]*/g,
];

/**
 * `text` with every known secret and every secret-shaped string replaced.
 * @param secrets exact values to remove (tokens, URLs); empty strings are ignored
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  // Longest first, so a URL is removed whole before a token inside it.
  for (const secret of [...secrets].filter((value) => value.length >= 4).sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join(REDACTED);
  }
  for (const pattern of PATTERNS) out = out.replace(pattern, REDACTED);
  return out;
}
