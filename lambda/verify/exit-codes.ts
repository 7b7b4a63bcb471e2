/**
 * THE mapping from outcomes to exit statuses of `aws-signv4-mqtt verify`; nothing else decides one.
 *
 * | Status | Meaning |
 * | --- | --- |
 * | 0 | every check passed |
 * | 1 | a check failed (an isolation failure is named as such in the report) |
 * | 2 | usage: a bad flag or URL, a missing token, the same user twice, `mqtt` not installed |
 * | 3 | could not vend: the API refused (the status is named) or could not be reached in time |
 */
import { VendFailedError, VerifyUsageError } from './errors.js';

/** Every check passed. */
export const VERIFY_EXIT_OK = 0;
/** At least one check failed. */
export const VERIFY_EXIT_CHECK_FAILED = 1;
/** Usage error; nothing was checked. */
export const VERIFY_EXIT_USAGE = 2;
/** A user's URL could not be vended. */
export const VERIFY_EXIT_VEND_FAILED = 3;

/** The exit status for an error that stopped the run; `undefined` for one that is a bug (rethrown). */
export function exitCodeForError(error: unknown): number | undefined {
  if (error instanceof VerifyUsageError) return VERIFY_EXIT_USAGE;
  if (error instanceof VendFailedError) return VERIFY_EXIT_VEND_FAILED;
  return undefined;
}

/** The exit status for a finished run: 0 when every check passed, else 1. */
export function exitCodeForChecks(checks: readonly { readonly ok: boolean }[]): number {
  return checks.every((check) => check.ok) ? VERIFY_EXIT_OK : VERIFY_EXIT_CHECK_FAILED;
}
