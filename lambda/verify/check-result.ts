/**
 * A check's result, and the one way checks are run: named, timed, bounded by the run's deadline,
 * and turned into a failed result (never an exception) whatever goes wrong inside.
 */
import type { Deadline } from './deadline.js';
import { VerifyTimeoutError } from './errors.js';

/** Every check, in the order the report lists them. */
export const CHECK_NAMES = [
  'vend',
  'no-store',
  'cors',
  'scope',
  'round-trip',
  'foreign-subscribe',
  'shared-topics',
  'foreign-publish',
  'foreign-client-id',
  'tampered-url',
] as const;

/** One of {@link CHECK_NAMES}. */
export type CheckName = (typeof CHECK_NAMES)[number];

/** What a check concluded. */
export interface CheckVerdict {
  /** Passed (a skipped check counts as passed). */
  readonly ok: boolean;
  /** The reason, for people. Redacted before it is printed. */
  readonly detail: string;
  /** Not run, and why is in `detail` (nothing to check, or not asked for). */
  readonly skipped?: boolean;
  /** A failure of this check means another user reached what is A's alone. */
  readonly isolation?: boolean;
  /** It reports something shared by design (a common group room or topic, or shared scope). */
  readonly shared?: boolean;
}

/** A check's named and timed result: one entry of the report's `checks`. */
export interface CheckResult extends CheckVerdict {
  readonly name: CheckName;
  /** How long it took, in whole milliseconds. */
  readonly ms: number;
}

/** A verdict for a check that was not run. */
export function skipped(detail: string): CheckVerdict {
  return { ok: true, skipped: true, detail };
}

/** Runs one check within the deadline; whatever it throws becomes a failed result. */
export async function runCheck(name: CheckName, deadline: Deadline, check: () => Promise<CheckVerdict>): Promise<CheckResult> {
  const started = performance.now();
  const ms = (): number => Math.round(performance.now() - started);
  if (deadline.expired) return { name, ok: false, ms: 0, detail: `not run: the run reached --timeout ${deadline.seconds} s` };
  try {
    const verdict = await deadline.race(check());
    return { name, ms: ms(), ...verdict };
  } catch (error) {
    const detail = error instanceof VerifyTimeoutError
      ? `timed out: the run reached --timeout ${error.seconds} s during this check`
      : `the check itself failed: ${error instanceof Error ? error.message : String(error)}`;
    return { name, ok: false, ms: ms(), detail };
  }
}
