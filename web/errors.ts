/**
 * Errors raised by the browser client. Each has a stable `name` so callers can branch on it, and
 * `instanceof` holds across the package's ES module and CommonJS copies (see
 * `../lambda/signing/error-brand.ts`). None ever carries a token or a signed URL.
 */
// The signer's describer and brand have no Node dependencies, so the browser bundle shares them.
import { brandErrorClass } from '../lambda/signing/error-brand.js';
import { describeValue } from '../lambda/signing/errors.js';

/**
 * An option passed to `connectMqtt` is missing or malformed. Thrown before any request is made.
 */
export class ConnectMqttOptionError extends Error {
  override readonly name = 'ConnectMqttOptionError';
  /** The option at fault, as a dotted path (for example `mqttOptions.clientId`). */
  readonly option: string;
  /** What is wrong with the option, phrased to follow its name (for example `must be an object`). */
  readonly problem: string;
  /** A printable description of the value received. */
  readonly received: string;

  /**
   * @param option the option at fault
   * @param problem what is wrong with it, phrased to follow the option name
   * @param received the value received (described, never echoed in full)
   */
  constructor(option: string, problem: string, received: unknown) {
    const shown = describeValue(received);
    super(`Invalid ${option}: ${problem} (received ${shown})`);
    this.option = option;
    this.problem = problem;
    this.received = shown;
  }
}
brandErrorClass(ConnectMqttOptionError, 'ConnectMqttOptionError');

/**
 * `VendingError.code` for an HTTP status: what happened, in the status's own words, whatever the body
 * says (the API's own code, when it sent one, is `VendingError.apiCode`).
 *
 * | Status | Code |
 * | --- | --- |
 * | 400 | `BadRequest` |
 * | 401 | `Unauthorized` |
 * | 403 | `Forbidden` |
 * | 404 | `NotFound` |
 * | 408 | `RequestTimeout` |
 * | 413 | `PayloadTooLarge` |
 * | 429 | `TooManyRequests` |
 * | 500 | `InternalServerError` |
 * | 502 | `BadGateway` |
 * | 503 | `ServiceUnavailable` |
 * | 504 | `GatewayTimeout` |
 * | other 4xx | `ClientError` |
 * | other 5xx | `ServerError` |
 * | anything else (1xx, 2xx other than 200, 3xx) | `UnexpectedResponse` |
 *
 * Without a response the code is `NetworkError` (or `Aborted`), and a 200 whose body is unusable is
 * `InvalidResponse`: see {@link VendingError}.
 */
export function codeForStatus(status: number): string {
  const named = STATUS_CODES[status];
  if (named !== undefined) return named;
  if (status >= 400 && status < 500) return 'ClientError';
  if (status >= 500 && status < 600) return 'ServerError';
  return 'UnexpectedResponse';
}

const STATUS_CODES: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  408: 'RequestTimeout',
  413: 'PayloadTooLarge',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

/**
 * The vending API (`GET /mqtt-url`) did not hand out a URL.
 *
 * - `status` is the HTTP status, or `0` when no response arrived (network failure, CORS refusal, abort).
 * - `code` says what happened: for an HTTP refusal the status's name ({@link codeForStatus}:
 *   `Unauthorized` for 401, `Forbidden` for 403, `TooManyRequests` for 429, …); `NetworkError` or
 *   `Aborted` when no response arrived; `InvalidResponse` for a 200 whose body is unusable.
 * - `apiCode` is the API's own machine code from its JSON error body
 *   `{ "error": { "code", "message" } }` (for example `too_many_groups`, `rate_limited`), when it
 *   sent one; API Gateway's own refusals (`{ "message": "Unauthorized" }`) carry none.
 * - `message` is the API's message when it sent one, else a description of the status.
 * - `retryAfterSeconds` is the `Retry-After` header of a 429 or 503, when the browser may read it
 *   (the API must list it in `Access-Control-Expose-Headers` for cross-origin pages).
 * - `permanent` is `true` for a 4xx other than 408 and 429: asking again cannot succeed (a 401 has
 *   already been retried once with a refreshed token), so the client stops refreshing.
 */
export class VendingError extends Error {
  override readonly name = 'VendingError';
  /** The HTTP status, or `0` when the request failed before a response arrived. */
  readonly status: number;
  /** A stable, machine-readable code (see the class comment). */
  readonly code: string;
  /** The API's own error code from its JSON body, when it sent one. */
  readonly apiCode: string | undefined;
  /** Seconds to wait before retrying, from `Retry-After`, when the API sent one. */
  readonly retryAfterSeconds: number | undefined;
  /**
   * Whether retrying is pointless: the API refused this caller for good (HTTP 4xx other than
   * 408 Request Timeout and 429 Too Many Requests). Network failures, 5xx, 408 and 429 are not.
   */
  readonly permanent: boolean;

  /**
   * @param status the HTTP status, or 0 when no response arrived
   * @param code a stable, machine-readable code
   * @param message a one-line explanation safe to show to a user
   * @param options `retryAfterSeconds`, the API's own `apiCode`, and the original error as `cause`
   */
  constructor(
    status: number,
    code: string,
    message: string,
    options: { readonly retryAfterSeconds?: number | undefined; readonly apiCode?: string | undefined; readonly cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.code = code;
    this.apiCode = options.apiCode;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.permanent = isPermanentStatus(status);
  }
}
brandErrorClass(VendingError, 'VendingError');

/** 4xx means "this request will never work"; 408 and 429 are the two 4xx that say "try again later". */
function isPermanentStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/**
 * Another connection holds the same MQTT client ID: AWS IoT closed this one each time the other
 * connected, again and again (see `takeover-detector.ts` for how that is told apart from a refused
 * publish or a lost network). Emitted as an `error` on the client, which then ends: the other
 * connection stays up, and the loop stops. Usually two tabs or devices were given one
 * `clientSuffix` (or `clientSuffix: false`); leave `clientSuffix` unset to get one per connection.
 */
export class ClientIdConflictError extends Error {
  override readonly name = 'ClientIdConflict';
  /** The client ID both connections used. */
  readonly clientId: string;
  /** How many times in a row this connection was closed soon after connecting. */
  readonly kicks: number;

  /** @param clientId the contested client ID; @param kicks the closes in a row that were counted */
  constructor(clientId: string, kicks: number) {
    super(`Another connection uses the client ID ${JSON.stringify(clientId)}: AWS IoT closed this one ${kicks} times in a row soon after it connected, so it stopped reconnecting. Give each connection its own clientSuffix (the default does).`);
    this.clientId = clientId;
    this.kicks = kicks;
  }
}
brandErrorClass(ClientIdConflictError, 'ClientIdConflictError');
