/**
 * Errors raised by the signer. Both carry a stable `name`, and `instanceof` holds across the
 * package's ES module and CommonJS copies (see `error-brand.ts`); neither ever holds a secret in its
 * message.
 */
import { brandErrorClass } from './error-brand.js';

/** Describes a received value for an error message without echoing secrets or huge strings. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
    return JSON.stringify(shown);
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return `a value of type ${Array.isArray(value) ? 'array' : typeof value}`;
}

/**
 * An option passed to the signer is missing or malformed. `option` names it (for example
 * `credentials.accessKeyId`); `received` is a printable description of what was passed, never
 * the value of a secret.
 */
export class InvalidSigningOptionError extends Error {
  override readonly name = 'InvalidSigningOptionError';
  /** The option at fault, as a dotted path. */
  readonly option: string;
  /** A printable description of the value received (secrets are described, not shown). */
  readonly received: string;

  /**
   * @param option the option at fault, as a dotted path
   * @param problem what is wrong with it, phrased to follow the option name
   * @param received the description of the value received
   */
  constructor(option: string, problem: string, received: string) {
    super(`Invalid ${option}: ${problem} (received ${received})`);
    this.option = option;
    this.received = received;
  }
}
brandErrorClass(InvalidSigningOptionError, 'InvalidSigningOptionError');

/**
 * The default credential provider chain found no credentials, or only malformed ones (a truncated
 * `AWS_SECRET_ACCESS_KEY`, say). The underlying error is kept as `cause`.
 */
export class CredentialsNotFoundError extends Error {
  override readonly name = 'CredentialsNotFoundError';

  /**
   * @param message a one-line explanation safe to show to a user
   * @param options the original provider error as `cause`
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
brandErrorClass(CredentialsNotFoundError, 'CredentialsNotFoundError');
