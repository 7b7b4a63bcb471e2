/**
 * Runs `aws-signv4-mqtt verify` in-process against a local stack, as the CLI would run it, and reads
 * its `--json` report. Shared by the verify tests.
 */
import { runCli } from '../../lambda/signing/cli.js';

/** One entry of the report's `checks`. */
export interface ReportedCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly detail: string;
  readonly skipped?: boolean;
  readonly isolation?: boolean;
  readonly shared?: boolean;
}

/** The `--json` document. */
export interface JsonReport {
  readonly ok: boolean;
  readonly exitCode: number;
  readonly scope: string | null;
  readonly isolationFailures: readonly string[];
  readonly error?: string;
  readonly checks: readonly ReportedCheck[];
}

/** What a run printed and returned. */
export interface VerifyRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall-clock duration of the run, ms. */
  readonly ms: number;
}

/** Runs `aws-signv4-mqtt verify <args>` with `env` as its whole environment (plus PATH). */
export async function verify(args: readonly string[], env: Record<string, string> = {}): Promise<VerifyRun> {
  let stdout = '';
  let stderr = '';
  const started = performance.now();
  const status = await runCli(['verify', ...args], {
    stdout: (text) => { stdout += text; },
    stderr: (text) => { stderr += text; },
    env: { PATH: process.env['PATH'] ?? '', AWS_EC2_METADATA_DISABLED: 'true', ...env },
  });
  return { status, stdout, stderr, ms: performance.now() - started };
}

/** The run's `--json` report. */
export function reportOf(run: VerifyRun): JsonReport {
  return JSON.parse(run.stdout) as JsonReport;
}

/** The named check of a report. */
export function checkOf(report: JsonReport, name: string): ReportedCheck {
  const check = report.checks.find((entry) => entry.name === name);
  if (check === undefined) throw new Error(`no check named ${name} in ${report.checks.map((entry) => entry.name).join(', ')}`);
  return check;
}
