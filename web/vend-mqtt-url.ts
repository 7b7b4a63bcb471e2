/**
 * One call to the vending API: `GET <apiUrl>/mqtt-url` with the caller's bearer token, a single
 * retry with a refreshed token on 401, and every failure mapped to a {@link VendingError}.
 * Neither the token nor the vended URL ever appears in an error message.
 */
import { isLoopbackHostname } from '../lambda/signing/validate.js';
// The Lambda's own clientSuffix rule: scope.ts is pure (no `node:` imports), so the browser bundle
// shares it and a typo fails here, before any request, exactly as the API would refuse it.
import { InvalidRequestError } from '../lambda/vending/errors.js';
import { parseClientSuffix } from '../lambda/vending/scope.js';
import { codeForStatus, ConnectMqttOptionError, VendingError } from './errors.js';
import type { FetchLike, GetToken, ReceivedMqttUrl } from './types.js';
import { parseVendedMqttUrl, receiveMqttUrl } from './vended-url.js';

/** Options of {@link vendMqttUrl}. */
export interface VendMqttUrlOptions {
  /** The HTTP API's base URL (the CDK output `ApiUrl`); a trailing `/` is fine. */
  readonly apiUrl: string;
  /** Supplies the bearer token; called with `{ forceRefresh: true }` once after a 401. */
  readonly getToken: GetToken;
  /** Appended to the client ID as `<sub>-<clientSuffix>`: 1–32 of `A-Z a-z 0-9 _ -`. */
  readonly clientSuffix?: string | undefined;
  /**
   * The `fetch` to use.
   * @default - `globalThis.fetch`
   */
  readonly fetch?: FetchLike | undefined;
  /** Aborts the request (the promise then rejects with a `VendingError` coded `Aborted`). */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Whether the vending API accepts `value` as `clientSuffix` (1–32 of `A-Z a-z 0-9 _ -`): the
 * Lambda's `parseClientSuffix` decides.
 */
export function isValidClientSuffix(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    parseClientSuffix(value);
    return true;
  } catch (error) {
    if (error instanceof InvalidRequestError) return false;
    throw error;
  }
}

/**
 * `apiUrl` as error messages show it: any `user:password@` part is masked as `***@`, since it may be
 * a real credential. Cut as WHATWG URL parsers read user info (everything up to the last `@` before
 * the path; `\` counts as `/`, leading blanks and tabs or newlines in the scheme are ignored), and
 * applied to unparsable strings too.
 */
function describeApiUrl(apiUrl: string): string {
  return apiUrl.replace(/^([\u0000-\u0020]*[a-z][a-z0-9+.\-\t\n\r]*:[/\\\t\n\r]*)?[^/\\?#]*@/i, '$1***@');
}

/**
 * Builds the `GET /mqtt-url` address, validating `apiUrl` and `clientSuffix`.
 *
 * The bearer token goes wherever this URL points, so the address is built by copying the parsed
 * base and replacing only its path: resolving a relative reference instead would let a path such as
 * `//evil.example` in `apiUrl` become a new host. Plain `http:` is refused except for loopback hosts
 * (the local stack), by the same rule the signer applies to `ws://`.
 *
 * @throws ConnectMqttOptionError naming the option and the value received (`apiUrl` with any user
 *   info masked)
 */
export function vendingRequestUrl(apiUrl: unknown, clientSuffix: unknown): string {
  if (typeof apiUrl !== 'string') throw new ConnectMqttOptionError('apiUrl', 'must be the API URL string', apiUrl);
  const refuse = (problem: string): ConnectMqttOptionError => new ConnectMqttOptionError('apiUrl', problem, describeApiUrl(apiUrl));
  let base: URL;
  try {
    base = new URL(apiUrl);
  } catch {
    throw refuse('must be an absolute https URL');
  }
  if ((base.protocol !== 'https:' && base.protocol !== 'http:') || base.search !== '' || base.hash !== '') {
    throw refuse('must be an absolute https URL without query or fragment');
  }
  if (base.protocol === 'http:' && !isLoopbackHostname(base.hostname)) {
    throw refuse('must use https: plain http is allowed only for loopback hosts (localhost, 127.0.0.0/8, [::1])');
  }
  if (base.username !== '' || base.password !== '') throw refuse('must not contain user info');
  const target = new URL(base.href);
  target.pathname = `${base.pathname.replace(/\/+$/, '')}/mqtt-url`;
  if (clientSuffix !== undefined) {
    if (!isValidClientSuffix(clientSuffix)) {
      throw new ConnectMqttOptionError('clientSuffix', 'must be 1-32 of A-Z a-z 0-9 _ -', clientSuffix);
    }
    target.searchParams.set('clientSuffix', clientSuffix);
  }
  return target.toString();
}

/** `Retry-After` as whole seconds (delta-seconds or an HTTP date), or `undefined`. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed), MAX_RETRY_AFTER_SECONDS);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.min(Math.max(0, Math.ceil((at - now) / 1000)), MAX_RETRY_AFTER_SECONDS);
}

/**
 * The longest `Retry-After` honoured, in seconds. A larger value (a proxy's date weeks ahead, or a
 * mistake) would otherwise overflow the timer and make the client retry at once, in a loop; an hour
 * is long enough for any real back-pressure and short enough for a tab to recover by itself.
 */
export const MAX_RETRY_AFTER_SECONDS = 3600;

async function tokenFrom(getToken: GetToken, forceRefresh: boolean): Promise<string> {
  const token: unknown = await (forceRefresh ? getToken({ forceRefresh: true }) : getToken());
  // Describe, never echo: the value may be a real token with stray whitespace.
  if (typeof token !== 'string' || token.length === 0 || /[\s\u0000-\u001f]/.test(token)) {
    const received = typeof token === 'string' ? `a string of length ${token.length} that is empty or contains whitespace` : typeof token;
    throw new ConnectMqttOptionError('getToken', 'must resolve to a non-empty token without whitespace', received);
  }
  return token;
}

/** Printable ASCII, one line, bounded: what of a server's text may go into an error message. */
function safeText(value: unknown, maxLength: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.replace(/[^\x20-\x7e]+/g, ' ').trim();
  return text === '' ? undefined : text.slice(0, maxLength);
}

/**
 * A refusal as a {@link VendingError}: `code` from the status (`Unauthorized`, `Forbidden`, …),
 * `apiCode` and the message from the body when it has them. Both body shapes are read: the Lambda's
 * `{ "error": { "code", "message" } }` and API Gateway's own `{ "message": "Unauthorized" }`.
 */
async function errorFromResponse(response: Response): Promise<VendingError> {
  const retryAfterSeconds = parseRetryAfter(response.headers.get('Retry-After'));
  let body: unknown;
  try {
    body = JSON.parse(await response.text());
  } catch {
    body = undefined;
  }
  const record = typeof body === 'object' && body !== null ? (body as { error?: unknown; message?: unknown }) : {};
  const error = typeof record.error === 'object' && record.error !== null ? (record.error as { code?: unknown; message?: unknown }) : {};
  const apiCode = typeof error.code === 'string' && /^[\w.:-]{1,64}$/.test(error.code) ? error.code : undefined;
  const code = codeForStatus(response.status);
  const message = safeText(error.message, 300) ?? safeText(record.message, 300) ?? `The vending API answered HTTP ${response.status} (${code})`;
  return new VendingError(response.status, code, message, { retryAfterSeconds, apiCode });
}

async function send(url: string, token: string, fetchImpl: FetchLike, signal: AbortSignal | undefined): Promise<Response> {
  try {
    return await fetchImpl(url, {
      method: 'GET',
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      credentials: 'omit',
      redirect: 'error',
      ...(signal === undefined ? {} : { signal }),
    });
  } catch (cause) {
    if (signal?.aborted) throw new VendingError(0, 'Aborted', 'The request to the vending API was aborted', { cause });
    // The cause keeps the browser's reason (offline, CORS); the message stays URL-free.
    throw new VendingError(0, 'NetworkError', 'The vending API could not be reached', { cause });
  }
}

/** Vends with the request URL and token source already validated (see {@link mqttUrlVendor}). */
async function vendValidated(
  url: string,
  getToken: GetToken,
  fetchImpl: FetchLike,
  signal: AbortSignal | undefined,
): Promise<ReceivedMqttUrl> {
  let response: Response | undefined;
  let requestedAt = 0;
  for (const forceRefresh of [false, true]) {
    const token = await tokenFrom(getToken, forceRefresh);
    requestedAt = Date.now();
    response = await send(url, token, fetchImpl, signal);
    if (response.status !== 401 || forceRefresh) break;
    await response.text().catch(() => undefined);
  }
  if (response === undefined) throw new Error('unreachable: the request loop always sends');

  if (response.status !== 200) throw await errorFromResponse(response);
  let body: unknown;
  try {
    body = await response.json();
  } catch (cause) {
    throw new VendingError(200, 'InvalidResponse', 'The vending API answered with a body that is not JSON', { cause });
  }
  return receiveMqttUrl(parseVendedMqttUrl(body), requestedAt, Date.now());
}

/**
 * Validates `apiUrl`, `clientSuffix` and `getToken` once, and returns a function that vends with
 * them as {@link vendMqttUrl} does: for callers that vend again and again (`connectMqtt` refreshes).
 *
 * @throws ConnectMqttOptionError for a bad `apiUrl`, `clientSuffix` or `getToken`
 */
export function mqttUrlVendor(
  options: Omit<VendMqttUrlOptions, 'signal'>,
): (signal?: AbortSignal) => Promise<ReceivedMqttUrl> {
  const url = vendingRequestUrl(options.apiUrl, options.clientSuffix);
  const { getToken } = options;
  if (typeof getToken !== 'function') {
    throw new ConnectMqttOptionError('getToken', 'must be a function returning the bearer token', getToken);
  }
  // Calling a detached `fetch` throws "Illegal invocation" in browsers, hence the wrapper.
  const fetchImpl: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return (signal) => vendValidated(url, getToken, fetchImpl, signal);
}

/**
 * Asks the vending API for a presigned MQTT URL.
 *
 * On HTTP 401 it calls `getToken({ forceRefresh: true })` once and retries; a second 401, and any
 * other failure, rejects with a {@link VendingError}. Errors thrown by `getToken` itself propagate
 * unchanged.
 *
 * @returns the validated answer, anchored on the local clock
 * @throws ConnectMqttOptionError for a bad `apiUrl`, `clientSuffix` or token
 * @throws VendingError for every refusal or failure of the API
 */
export async function vendMqttUrl(options: VendMqttUrlOptions): Promise<ReceivedMqttUrl> {
  return mqttUrlVendor(options)(options.signal);
}
