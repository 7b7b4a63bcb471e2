/**
 * The vending endpoint's error hierarchy. Each class sets `name` and keeps the underlying error as
 * `cause`; the HTTP status, the public code and the public message of each live in ONE place,
 * `response.ts` (`mapError`), so no module below the handler knows about HTTP.
 *
 * Messages are for the logs: they may name a configuration value, never a secret. The caller only
 * ever sees the public message chosen in `response.ts`.
 */

/** Throttling means "too many of you": ask callers to wait long enough for the token bucket to refill. */
const THROTTLED_RETRY_AFTER_SECONDS = 5;
/** A transient failure or timeout: a short wait is enough. */
const FAILED_RETRY_AFTER_SECONDS = 2;

/**
 * Base class of every error the vending Lambda raises on purpose (not to be confused with the browser
 * client's `VendingError` in `web/errors.ts`, which is what a caller sees of these).
 */
export abstract class VendingFailure extends Error {
  /** @param message a log-safe explanation; @param options the underlying error as `cause` */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The Lambda environment is missing a value or holds a malformed one. Raised once, at cold start. */
export class ConfigurationError extends VendingFailure {
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
export class MissingIdentityError extends VendingFailure {
  override readonly name = 'MissingIdentityError';
}

/**
 * The claims' `iss` is not the configured issuer (`ISSUER_URL`), whatever the authorizer let through:
 * the issuer is pinned in the Lambda too, in both modes.
 */
export class ForeignIssuerError extends VendingFailure {
  override readonly name = 'ForeignIssuerError';
}

/**
 * The bearer token the Lambda verifies itself (issuer mode with `${group}` templates) is missing, not
 * alone in the `Authorization` header, fails verification, or names another issuer or principal than
 * the authorizer's claims. Messages never hold the token or a claim's value.
 */
export class TokenVerificationError extends VendingFailure {
  override readonly name = 'TokenVerificationError';
}

/**
 * The issuer's discovery document or keys (JWKS) could not be fetched, so no token can be verified
 * for now. Retryable by the caller after `retryAfterSeconds`.
 */
export class IdentityProviderUnavailableError extends VendingFailure {
  override readonly name = 'IdentityProviderUnavailableError';
  /** The suggested `Retry-After`, in seconds. */
  readonly retryAfterSeconds = FAILED_RETRY_AFTER_SECONDS;
}

/**
 * Why a `sub` is refused:
 * - `unsafe-characters`: it holds characters that would widen or break an IAM ARN, an MQTT topic or
 *   an STS session name, or it is too long;
 * - `mistakable-client-id`: it is not a UUID but starts with one and `-`, so its client ID would look
 *   like that UUID user's suffixed client ID (`<uuid>-<suffix>`), which that user may connect as.
 */
export type ForbiddenSubjectReason = 'unsafe-characters' | 'mistakable-client-id';

/**
 * The caller is authenticated, but its `sub` cannot be given an MQTT scope safely; `reason` says why.
 */
export class ForbiddenSubjectError extends VendingFailure {
  override readonly name = 'ForbiddenSubjectError';
  /** Why the `sub` is refused (each reason has its own public message). */
  readonly reason: ForbiddenSubjectReason;

  /** @param message a log-safe explanation; @param reason why the `sub` is refused */
  constructor(message: string, reason: ForbiddenSubjectReason) {
    super(message);
    this.reason = reason;
  }
}

/**
 * The caller belongs to more eligible groups than the deployment grants (`MAX_GROUPS`): its session
 * policy could outgrow STS's budget, so it is refused rather than silently given a subset.
 */
export class TooManyGroupsError extends VendingFailure {
  override readonly name = 'TooManyGroupsError';
  /** The configured maximum (`MAX_GROUPS`), named in the public message. */
  readonly max: number;

  /** @param message a log-safe explanation; @param max the configured maximum */
  constructor(message: string, max: number) {
    super(message);
    this.max = max;
  }
}

/**
 * The caller used up its token bucket in this Lambda instance (`rate-limiter.ts`): asked to come back
 * after `retryAfterSeconds`, before any STS call is made for it.
 */
export class RateLimitedError extends VendingFailure {
  override readonly name = 'RateLimitedError';
  /** Seconds until the caller's bucket holds a token again. */
  readonly retryAfterSeconds: number;

  /** @param message a log-safe explanation; @param retryAfterSeconds the `Retry-After` to answer */
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A query parameter is malformed. `parameter` names it. */
export class InvalidRequestError extends VendingFailure {
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
export class CredentialsUnavailableError extends VendingFailure {
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
