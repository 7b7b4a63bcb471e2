/**
 * Errors raised by the browser client. Each has a stable `name` so callers can branch on it without
 * `instanceof` across bundle copies. None ever carries a token or a signed URL.
 */
// The signer's describer has no Node dependencies, so the browser bundle shares it rather than a copy.
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

/**
 * The vending API (`GET /mqtt-url`) did not hand out a URL.
 *
 * - `status` is the HTTP status, or `0` when no response arrived (network failure, CORS refusal, abort).
 * - `code` and `message` come from the API's JSON error body `{ "error": { "code", "message" } }`
 *   when there is one; otherwise `code` is `NetworkError`, `UnexpectedResponse` or `InvalidResponse`.
 * - `retryAfterSeconds` is the `Retry-After` header of a 503, when the browser may read it (the API
 *   must list it in `Access-Control-Expose-Headers` for cross-origin pages).
 * - `permanent` is `true` for a 4xx other than 408 and 429: asking again cannot succeed (a 401 has
 *   already been retried once with a refreshed token), so the client stops refreshing.
 */
export class VendingError extends Error {
  override readonly name = 'VendingError';
  /** The HTTP status, or `0` when the request failed before a response arrived. */
  readonly status: number;
  /** A stable, machine-readable code. */
  readonly code: string;
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
   * @param options `retryAfterSeconds` and the original error as `cause`
   */
  constructor(
    status: number,
    code: string,
    message: string,
    options: { readonly retryAfterSeconds?: number | undefined; readonly cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.permanent = isPermanentStatus(status);
  }
}

/** 4xx means "this request will never work"; 408 and 429 are the two 4xx that say "try again later". */
function isPermanentStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}
