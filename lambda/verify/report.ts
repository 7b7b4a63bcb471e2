/**
 * The report: a table for people, or with `--json` one JSON document. Every string that reaches
 * either goes through `redact` first, so no token, URL or signature is ever printed.
 */
import type { CheckName, CheckResult } from './check-result.js';
import { redact } from './redact.js';

/** The finished run. */
export interface VerifyReport {
  /** Every check passed. */
  readonly ok: boolean;
  /** The exit status the run ends with. */
  readonly exitCode: number;
  /** The API checked: scheme, host and path (never a token or a URL with a query). */
  readonly apiUrl: string;
  /** What the vend answers say about the deployment's scope, when the run got that far. */
  readonly scope: 'per-user' | 'shared' | undefined;
  /** The checks whose failure means one user reached what is another's. */
  readonly isolationFailures: readonly CheckName[];
  /** Why the run stopped before the checks, when it did (a vend failure). */
  readonly error: string | undefined;
  /** How long the run took. */
  readonly durationMs: number;
  /** Every check's result, in the order they are listed. */
  readonly checks: readonly CheckResult[];
}

/** The report with every string redacted of `secrets` and of anything shaped like one. */
export function redactReport(report: VerifyReport, secrets: readonly string[]): VerifyReport {
  return {
    ...report,
    error: report.error === undefined ? undefined : redact(report.error, secrets),
    checks: report.checks.map((check) => ({ ...check, detail: redact(check.detail, secrets) })),
  };
}

/** The `--json` document (one line). */
export function renderJson(report: VerifyReport): string {
  const checks = report.checks.map((check) => ({
    name: check.name,
    ok: check.ok,
    ms: check.ms,
    detail: check.detail,
    ...(check.skipped === true ? { skipped: true } : {}),
    ...(check.isolation === true ? { isolation: true } : {}),
    ...(check.shared === true ? { shared: true } : {}),
  }));
  return `${JSON.stringify({
    ok: report.ok,
    exitCode: report.exitCode,
    apiUrl: report.apiUrl,
    scope: report.scope ?? null,
    isolationFailures: report.isolationFailures,
    ...(report.error === undefined ? {} : { error: report.error }),
    durationMs: report.durationMs,
    checks,
  })}\n`;
}

function resultWord(check: CheckResult): string {
  if (!check.ok) return 'FAIL';
  return check.skipped === true ? 'skip' : 'pass';
}

/** The table for people, with a summary line. */
export function renderTable(report: VerifyReport): string {
  const nameWidth = Math.max(5, ...report.checks.map((check) => check.name.length));
  const lines = [
    `aws-signv4-mqtt verify ${report.apiUrl}${report.scope === undefined ? '' : ` (${report.scope} scope)`}`,
    '',
    `${'CHECK'.padEnd(nameWidth)}  RESULT  ${'MS'.padStart(6)}  DETAIL`,
    ...report.checks.map((check) => `${check.name.padEnd(nameWidth)}  ${resultWord(check).padEnd(6)}  ${String(check.ms).padStart(6)}  ${check.detail}`),
    '',
  ];
  const failed = report.checks.filter((check) => !check.ok);
  if (report.error !== undefined) lines.push(`Stopped: ${report.error}`);
  else if (failed.length === 0) lines.push(`OK: all ${report.checks.length} checks passed in ${(report.durationMs / 1000).toFixed(1)} s.`);
  else {
    lines.push(`FAILED: ${failed.map((check) => check.name).join(', ')}.`);
    if (report.isolationFailures.length > 0) lines.push(`ISOLATION FAILURE (${report.isolationFailures.join(', ')}): one user reached what is another's.`);
  }
  return `${lines.join('\n')}\n`;
}
