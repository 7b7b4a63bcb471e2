/**
 * Validates the vending API's JSON answer and works out, on the local clock, how long the URL may
 * be used. The lifetime is measured between two server-clock instants (the URL's own `X-Amz-Date`
 * and `expiresAt`) and then anchored at the local time the request was sent, so a client whose
 * clock is minutes off neither refreshes in a loop nor keeps an expired URL.
 */
import { isLoopbackHostname } from '../lambda/signing/validate.js';
import { VendingError } from './errors.js';
import type { ReceivedMqttUrl, VendedMqttUrl } from './types.js';

/** SigV4 presigned URLs cannot outlive 7 days; anything longer means a malformed answer. */
const MAX_LIFETIME_MS = 604_800_000;

/** Stop offering a URL for new connections this long before it expires (the handshake takes time). */
export const EXPIRY_MARGIN_MS = 5_000;

/** `20240101T120000Z` → epoch ms, or `undefined` when it is not a SigV4 date. */
export function parseAmzDate(value: string | null): number | undefined {
  const match = value === null ? null : /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return Number.isNaN(ms) ? undefined : ms;
}

function invalid(message: string): VendingError {
  return new VendingError(200, 'InvalidResponse', `The vending API answered with an unusable body: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value.length === 0) throw invalid(`"${key}" is not a non-empty string`);
  return value;
}

function stringArray(value: unknown, key: string): readonly string[] {
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    throw invalid(`"topics.${key}" is not an array of strings`);
  }
  return [...value];
}

/**
 * The vended URL is a bearer secret, so it must travel encrypted: `wss://`, or `ws://` only to a
 * loopback host (the local stack), which is the signer's own rule for the scheme.
 */
function checkMqttUrl(url: string): void {
  if (!/^wss?:\/\/[^/?#]+\/mqtt\?/i.test(url)) throw invalid('"url" is not a ws(s)://<host>/mqtt?… URL');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('"url" is not a ws(s)://<host>/mqtt?… URL');
  }
  if (parsed.protocol === 'ws:' && !isLoopbackHostname(parsed.hostname)) {
    // The host is not secret (it is also in "endpoint"); the signed query never goes in a message.
    throw invalid(`"url" is unencrypted ws:// to the non-loopback host ${parsed.hostname}; only wss:// is accepted there`);
  }
}

/** Checks the shape of a `GET /mqtt-url` 200 body. Messages never include the URL itself. */
export function parseVendedMqttUrl(body: unknown): VendedMqttUrl {
  if (!isRecord(body)) throw invalid('not a JSON object');
  const url = nonEmptyString(body, 'url');
  checkMqttUrl(url);
  const clientId = nonEmptyString(body, 'clientId');
  const principalId = nonEmptyString(body, 'principalId');
  // The client ID is the principal, or the principal and a suffix: anything else is not this API.
  if (clientId !== principalId && !clientId.startsWith(`${principalId}-`)) throw invalid('"clientId" does not start with "principalId"');
  const expiresAt = nonEmptyString(body, 'expiresAt');
  if (Number.isNaN(Date.parse(expiresAt))) throw invalid('"expiresAt" is not an ISO-8601 date');
  const endpoint = nonEmptyString(body, 'endpoint');
  const region = nonEmptyString(body, 'region');
  const topics = body['topics'];
  if (!isRecord(topics)) throw invalid('"topics" is not an object');
  return {
    url,
    clientId,
    principalId,
    expiresAt,
    endpoint,
    region,
    topics: { publish: stringArray(topics['publish'], 'publish'), subscribe: stringArray(topics['subscribe'], 'subscribe') },
  };
}

/**
 * The URL's lifetime in ms: `expiresAt − X-Amz-Date` (both server clock). Falls back to the local
 * clock only when the URL carries no usable `X-Amz-Date`.
 */
export function urlLifetimeMs(vended: VendedMqttUrl, requestedAt: number): number {
  const expiresAt = Date.parse(vended.expiresAt);
  const signedAt = parseAmzDate(new URL(vended.url).searchParams.get('X-Amz-Date'));
  if (signedAt !== undefined) {
    const lifetime = expiresAt - signedAt;
    if (lifetime > 0 && lifetime <= MAX_LIFETIME_MS) return lifetime;
  }
  return Math.min(expiresAt - requestedAt, MAX_LIFETIME_MS);
}

/**
 * Anchors a vended URL on the local clock.
 * @param vended the validated body
 * @param requestedAt local `Date.now()` when the request was sent
 * @param receivedAt local `Date.now()` when the answer had arrived (default: `requestedAt`)
 * @throws VendingError (`InvalidResponse`) when the URL is already expired on arrival
 */
export function receiveMqttUrl(vended: VendedMqttUrl, requestedAt: number, receivedAt: number = requestedAt): ReceivedMqttUrl {
  const lifetimeMs = urlLifetimeMs(vended, requestedAt);
  if (!(lifetimeMs > 0)) throw invalid('the URL is already expired');
  const margin = Math.min(EXPIRY_MARGIN_MS, lifetimeMs * 0.1);
  return { ...vended, requestedAt, receivedAt, lifetimeMs, usableUntil: requestedAt + lifetimeMs - margin };
}
