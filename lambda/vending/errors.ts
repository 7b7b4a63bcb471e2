/**
 * The vending endpoint's error hierarchy. Each class sets `name` and keeps the underlying error as
 * `cause`; the HTTP status, the public code and the public message of each live in ONE place,
 * `response.ts` (`errorResponse`), so no module below the handler knows about HTTP.
 *
 * Messages are for the logs: they may name a configuration value, never a secret. The caller only
 * ever sees the public message chosen in `response.ts`.
 */

/** Throttling means "too many of you": ask callers to wait long enough for the token bucket to refill. */
const THROTTLED_RETRY_AFTER_SECONDS = 5;
/** A transient failure or timeout: a short wait is enough. */
const FAILED_RETRY_AFTER_SECONDS = 2;

/** Base class of every error the vending endpoint raises on purpose. */
export abstract class VendingError extends Error {
  /** @param message a log-safe explanation; @param options the underlying error as `cause` */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The Lambda environment is missing a value or holds a malformed one. Raised once, at cold start. */
export class ConfigurationError extends VendingError {
  override readonly name = 'ConfigurationError';
  /** The environment variable at fault. */
  readonly variable: string;

  /**
   * @param variable the environment variable at fault
   * @param message what is wrong, including the value received (configuration is not secret)
   * @param options the underlying error as `cause`
   */
  constructor(variable: string, message: string, options?: { cause?: unknown }) {
    super(`${variable}: ${message}`, options);
    this.variable = variable;
  }
}

/** The authorizer's claims carry no usable identity (no claims, no `sub`, an empty `sub`). */
export class MissingIdentityError extends VendingError {
  override readonly name = 'MissingIdentityError';
}

/**
 * The caller is authenticated, but its `sub` cannot be placed safely in an IAM ARN, an MQTT topic and
 * an STS session name (it would widen a policy or a topic, or break one).
 */
export class ForbiddenSubjectError extends VendingError {
  override readonly name = 'ForbiddenSubjectError';
}

/** A query parameter is malformed. `parameter` names it. */
export class InvalidRequestError extends VendingError {
  override readonly name = 'InvalidRequestError';
  /** The query parameter at fault. */
  readonly parameter: string;

  /** @param parameter the query parameter at fault; @param message what is wrong with it */
  constructor(parameter: string, message: string) {
    super(message);
    this.parameter = parameter;
  }
}

/**
 * Credentials could not be obtained: STS throttled, failed, timed out or answered nonsense, or the
 * function's own credentials are missing. Retryable by the caller after `retryAfterSeconds`.
 */
export class CredentialsUnavailableError extends VendingError {
  override readonly name = 'CredentialsUnavailableError';
  /** Whether the failure was throttling (the caller should back off longer). */
  readonly throttled: boolean;
  /** The suggested `Retry-After`, in seconds. */
  readonly retryAfterSeconds: number;

  /**
   * @param message a log-safe explanation
   * @param throttled whether STS throttled
   * @param options the underlying SDK error as `cause`
   */
  constructor(message: string, throttled: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.throttled = throttled;
    this.retryAfterSeconds = throttled ? THROTTLED_RETRY_AFTER_SECONDS : FAILED_RETRY_AFTER_SECONDS;
  }
}
