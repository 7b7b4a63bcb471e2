/**
 * Optional cross-checks: tests that run an independent tool (moto_server, cfn-lint: Python programs
 * no npm install provides) when it is on PATH, and are otherwise reported as skipped with the reason
 * in their name, which `npm test`'s summary lists. Nothing else in the suite may skip.
 */
import { spawnSync } from 'node:child_process';

/** Whether a tool is on PATH, and the test-name suffix that says why its test skipped if not. */
export interface OptionalTool {
  readonly available: boolean;
  /** `''` when available; otherwise ` (optional cross-check: skipped, … not on PATH …)`. */
  readonly skipNote: string;
}

/**
 * Looks `command` up on PATH once.
 * @param installHint how a user would install it, shown in the skip reason
 */
export function optionalTool(command: string, installHint: string): OptionalTool {
  const available = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0;
  return { available, skipNote: available ? '' : ` (optional cross-check: skipped, ${command} is not on PATH; ${installHint} to run it)` };
}
