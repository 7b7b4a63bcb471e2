/**
 * The errors `aws-signv4-mqtt verify` stops on. Each kind maps to one exit status in
 * `exit-codes.ts`, the only place that decides statuses. Messages never hold a token, a signed URL or
 * a signature: the values that could be secret are described, not echoed.
 */

/** Bad or missing input: a flag, a token, the same user twice. Nothing was sent anywhere yet. */
export class VerifyUsageError extends Error {
  override readonly name: string = 'VerifyUsageError';

  /** @param message what is wrong, naming the flag or variable and the value received (described) */
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
  }
}

/** The optional peer `mqtt` is not installed where the CLI runs: a usage problem, with the fix. */
export class MqttPeerMissingError extends VerifyUsageError {
  override readonly name: string = 'MqttPeerMissingError';
}

/** The vending API did not hand out a URL for one of the two users. */
export class VendFailedError extends Error {
  override readonly name: string = 'VendFailedError';
  /** The HTTP status, or 0 when no answer arrived (unreachable, timed out). */
  readonly status: number;
  /** Which user's vend failed. */
  readonly user: 'A' | 'B';

  /**
   * @param user whose vend failed
   * @param status the HTTP status, or 0 without an answer
   * @param message what happened and what to try
   */
  constructor(user: 'A' | 'B', status: number, message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.user = user;
    this.status = status;
  }
}

/** The run reached `--timeout`. */
export class VerifyTimeoutError extends Error {
  override readonly name: string = 'VerifyTimeoutError';

  /** @param seconds the `--timeout` that was reached */
  constructor(readonly seconds: number) {
    super(`the run reached --timeout ${seconds} s`);
  }
}
