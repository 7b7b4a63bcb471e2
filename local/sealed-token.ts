/**
 * The local identity stand-ins' refresh tokens (`cognito.ts`, `oidc-issuer.ts`): a JSON payload
 * sealed with HMAC-SHA256, `<base64url JSON>.<base64url MAC>`. Nothing is stored, so a refresh token
 * outlives a restart of `npm run dev`; each stand-in seals under its own fixed key and checks its own
 * claims (who, which client, until when) after opening.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** A fixed sealing key derived from `label`, the same on every start. */
export function sealingKey(label: string): Buffer {
  return createHash('sha256').update(label).digest();
}

/** Seals `claims` under `key`. */
export function sealToken(key: Buffer, claims: Readonly<Record<string, unknown>>): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`;
}

/**
 * The claims of a token sealed under `key`; `undefined` for a forged or altered MAC, an extra part,
 * or a payload that is not a JSON object.
 */
export function openSealedToken(key: Buffer, token: string): Record<string, unknown> | undefined {
  const [payload = '', mac = '', ...rest] = token.split('.');
  if (rest.length > 0) return undefined;
  const expected = createHmac('sha256', key).update(payload).digest();
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  return isRecord(claims) ? claims : undefined;
}

/** Whether `value` is a plain JSON object (not `null`, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
