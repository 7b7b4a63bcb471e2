/**
 * Vending for `verify`, in Node: the package's own browser client (`web/vend-mqtt-url.ts`, on
 * Node's global `fetch`), plus the answer's headers, which the checks read (`Cache-Control`). Every
 * failure becomes a {@link VendFailedError} naming the HTTP status and what to try.
 */
import { VendingError } from '../../web/errors.js';
import type { ReceivedMqttUrl } from '../../web/types.js';
import { mqttUrlVendor } from '../../web/vend-mqtt-url.js';
import type { Deadline } from './deadline.js';
import { VendFailedError, VerifyTimeoutError } from './errors.js';
import type { UserToken } from './token-source.js';

/** One user's vend: the validated answer and its response headers. */
export interface UserVend {
  /** Whose vend it is. */
  readonly user: 'A' | 'B';
  /** The validated answer (its `url` is a bearer secret: never printed). */
  readonly vended: ReceivedMqttUrl;
  /** The 200 answer's headers. */
  readonly headers: Headers;
  /** How long the request took. */
  readonly ms: number;
}

/**
 * `GET <apiUrl>/mqtt-url` as one user.
 * @throws VendFailedError for any refusal, an unusable answer, an unreachable API or the deadline
 */
export async function vendAs(apiUrl: string, token: UserToken, deadline: Deadline): Promise<UserVend> {
  let headers: Headers | undefined;
  const vend = mqttUrlVendor({
    apiUrl,
    getToken: () => token.token,
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      headers = response.headers;
      return response;
    },
  });
  const started = performance.now();
  try {
    const vended = await deadline.race(vend(deadline.signal));
    return { user: token.user, vended, headers: headers ?? new Headers(), ms: Math.round(performance.now() - started) };
  } catch (error) {
    throw vendFailure(token, error, deadline);
  }
}

/** The failure, worded with its status and the likely fix. */
function vendFailure(token: UserToken, error: unknown, deadline: Deadline): VendFailedError {
  const who = `user ${token.user}`;
  if (error instanceof VerifyTimeoutError || (error instanceof VendingError && error.code === 'Aborted')) {
    return new VendFailedError(token.user, 0, `could not vend for ${who}: no answer from the API within --timeout ${deadline.seconds} s; check --api-url (the stack's ApiUrl output) and the network`, { cause: error });
  }
  if (!(error instanceof VendingError)) {
    return new VendFailedError(token.user, 0, `could not vend for ${who}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (error.status === 0) {
    const reason = networkReason(error.cause);
    return new VendFailedError(token.user, 0, `could not vend for ${who}: the API could not be reached${reason}; check --api-url (the stack's ApiUrl output) and the network`, { cause: error });
  }
  const status = `HTTP ${error.status}${error.status === 200 ? '' : ` ${error.code}`}`;
  return new VendFailedError(token.user, error.status, `could not vend for ${who}: the API answered ${status} (${error.message}); ${hintFor(error.status, token)}`, { cause: error });
}

function hintFor(status: number, token: UserToken): string {
  const now = Date.now();
  switch (status) {
    case 200:
      return 'the answer is not a vending answer: check that --api-url is the stack\'s ApiUrl output';
    case 401:
      if (token.expiresAt !== undefined && token.expiresAt.getTime() <= now) {
        const when = token.expiresAt.getTime() > token.readAt ? 'during this run' : 'before this run started';
        return `user ${token.user}'s token expired ${when}, at ${token.expiresAt.toISOString()}: get a fresh one (Cognito ID tokens last 1 hour by default) and a --timeout that fits in its lifetime`;
      }
      return 'the token is invalid, expired or from another user pool or app client: get a fresh ID token from this stack\'s user pool (UserPoolId / UserPoolClientId outputs), e.g. aws cognito-idp initiate-auth ... --query AuthenticationResult.IdToken';
    case 403:
      return 'the token lacks a scope the route requires, or this user cannot be given an MQTT scope (see the message)';
    case 404:
      return 'check --api-url: it must be the stack\'s ApiUrl output, without /mqtt-url';
    case 429:
    case 503:
      return 'the API is busy or throttled: retry in a minute';
    case 500:
      return 'the stack is misconfigured: see the function\'s log';
    default:
      return 'see docs/troubleshooting.md';
  }
}

/** The network error's code (ECONNREFUSED, ENOTFOUND, …), when fetch reported one. */
function networkReason(cause: unknown): string {
  const inner = cause instanceof Error ? (cause.cause as { code?: unknown } | undefined) : undefined;
  const code = inner !== undefined && typeof inner === 'object' && inner !== null ? inner.code : undefined;
  return typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code) ? ` (${code})` : '';
}
