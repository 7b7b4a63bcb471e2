/**
 * `tampered-url`: AWS IoT must refuse, at the WebSocket handshake, a vended URL that was changed
 * after signing: one with `X-Amz-Expires` raised (a longer life than was signed) and one with a
 * single signature character changed. The untouched URL's handshake is tried too, so a refusal is
 * known to be about the tampering. Bare handshakes only: no MQTT CONNECT is ever sent.
 */
import type { CheckVerdict } from './check-result.js';
import type { Deadline } from './deadline.js';
import { handshakeStatus } from './handshake-probe.js';
import type { UserVend } from './vend-client.js';

const STEP_MS = 10_000;

/** Replaces one query parameter's raw value, leaving every other byte of the URL as signed. */
function withParameter(url: string, name: string, change: (value: string) => string): string | undefined {
  const pattern = new RegExp(`([?&]${name}=)([^&]*)`);
  const match = pattern.exec(url);
  if (match === null) return undefined;
  return url.replace(pattern, `$1${change(match[2] ?? '')}`);
}

/** The URL with `X-Amz-Expires` raised by a minute (lowered by a second at SigV4's 7-day maximum; added when absent). */
export function raiseExpiry(url: string): string {
  const raised = (value: string): string => {
    const seconds = Number(value);
    return String(seconds >= 604_800 ? seconds - 1 : seconds + 60);
  };
  return withParameter(url, 'X-Amz-Expires', raised) ?? url.replace('?', '?X-Amz-Expires=900&');
}

/** The URL with the first character of `X-Amz-Signature` changed (hex stays hex). */
export function changeSignature(url: string): string | undefined {
  return withParameter(url, 'X-Amz-Signature', (value) => `${value.startsWith('0') ? '1' : '0'}${value.slice(1)}`);
}

/** Runs the check on user A's URL. */
export async function tamperedUrlVerdict(a: UserVend, deadline: Deadline): Promise<CheckVerdict> {
  const url = a.vended.url;
  const signature = changeSignature(url);
  if (signature === undefined) return { ok: false, detail: "A's URL has no X-Amz-Signature: it is not a SigV4-presigned URL" };
  const step = (): number => deadline.bound(STEP_MS);
  const control = await handshakeStatus(url, step());
  if (control !== 101) {
    const expired = Date.now() > Date.parse(a.vended.expiresAt) ? ' (it expired during the run)' : '';
    return { ok: false, detail: `inconclusive: the untouched URL's handshake got ${control === undefined ? 'no answer' : `HTTP ${control}`}${expired}, so a refusal would prove nothing` };
  }
  const expiry = await handshakeStatus(raiseExpiry(url), step());
  const changed = await handshakeStatus(signature, step());
  const accepted: string[] = [];
  if (expiry === 101) accepted.push('one with X-Amz-Expires raised');
  if (changed === 101) accepted.push('one with a signature character changed');
  if (accepted.length > 0) return { ok: false, detail: `the endpoint accepted tampered URLs: ${accepted.join(' and ')} (handshake 101): signatures are not checked` };
  if (expiry === undefined || changed === undefined) return { ok: false, detail: 'inconclusive: a tampered URL\'s handshake got no answer at all (the endpoint should answer HTTP 403)' };
  const shown = (status: number): string => `HTTP ${status}`;
  return { ok: true, detail: `handshake refused for X-Amz-Expires raised (${shown(expiry)}) and a changed signature character (${shown(changed)}); the untouched URL got 101` };
}
