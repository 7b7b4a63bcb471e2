/**
 * `aws-signv4-mqtt verify`: reads the flags and both tokens, vends for both users, runs the checks
 * and prints the report. The steps live in their own modules; this one wires them and turns every
 * outcome into an exit status through `exit-codes.ts`.
 */
import { randomBytes } from 'node:crypto';
import type { CheckResult } from './check-result.js';
import { Deadline } from './deadline.js';
import { VendFailedError, VerifyUsageError } from './errors.js';
import { exitCodeForChecks, exitCodeForError, VERIFY_EXIT_CHECK_FAILED, VERIFY_EXIT_OK } from './exit-codes.js';
import { loadMqtt, type MqttConnect } from './mqtt-loader.js';
import { redact } from './redact.js';
import { redactReport, renderJson, renderTable, type VerifyReport } from './report.js';
import { runChecks } from './run-checks.js';
import { readTokens } from './token-source.js';
import { vendAs, type UserVend } from './vend-client.js';
import { parseVerifyArgs, type VerifyOptions } from './verify-options.js';
import { VERIFY_USAGE } from './verify-usage.js';

/** Where `verify` writes and what it reads. */
export interface VerifyIo {
  /** Receives the report (and `--help`). */
  readonly stdout: (text: string) => void;
  /** Receives one-line errors (a token command's own stderr goes straight to the process's). */
  readonly stderr: (text: string) => void;
  /**
   * The environment: `VERIFY_TOKEN_A`, `VERIFY_TOKEN_B`, and the token commands' environment.
   * @default - `process.env`
   */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Loads mqtt.js (tests replace it to act out a missing peer).
   * @default - `import('mqtt')`
   */
  readonly loadMqtt?: () => Promise<MqttConnect>;
}

const PREFIX = 'aws-signv4-mqtt verify';

/** Runs `verify` with its arguments (after the word `verify`) and returns the exit status. */
export async function runVerify(args: readonly string[], io: VerifyIo): Promise<number> {
  let options: VerifyOptions;
  let connect: MqttConnect;
  try {
    options = parseVerifyArgs(args);
    if (options.help) {
      io.stdout(VERIFY_USAGE);
      return VERIFY_EXIT_OK;
    }
    connect = await (io.loadMqtt ?? loadMqtt)();
  } catch (error) {
    return stopped(io, error, []);
  }

  const deadline = new Deadline(options.timeoutSeconds);
  const started = performance.now();
  const secrets: string[] = [];
  const finish = (fields: Pick<VerifyReport, 'checks' | 'scope' | 'error' | 'exitCode'>): number => {
    const report = redactReport(
      {
        ...fields,
        ok: fields.exitCode === VERIFY_EXIT_OK,
        apiUrl: options.apiUrl,
        isolationFailures: fields.checks.filter((check) => !check.ok && check.isolation === true).map((check) => check.name),
        durationMs: Math.round(performance.now() - started),
      },
      secrets,
    );
    io.stdout(options.json ? renderJson(report) : renderTable(report));
    return report.exitCode;
  };
  try {
    const tokens = await readTokens({ tokenACommand: options.tokenACommand, tokenBCommand: options.tokenBCommand, env: io.env ?? process.env, deadline });
    secrets.push(...tokens.map((token) => token.token));
    const vends: UserVend[] = [];
    const vendStarted = performance.now();
    try {
      for (const token of tokens) {
        const vend = await vendAs(options.apiUrl, token, deadline);
        secrets.push(...secretsOf(vend));
        vends.push(vend);
      }
    } catch (error) {
      if (!(error instanceof VendFailedError)) throw error;
      io.stderr(`${PREFIX}: ${redact(error.message, secrets)}\n`);
      const failed: CheckResult = { name: 'vend', ok: false, ms: Math.round(performance.now() - vendStarted), detail: error.message };
      return finish({ checks: [failed], scope: undefined, error: error.message, exitCode: exitCodeForError(error) ?? VERIFY_EXIT_CHECK_FAILED });
    }
    const [a, b] = vends as [UserVend, UserVend];
    if (a.vended.principalId === b.vended.principalId) {
      throw new VerifyUsageError('the two tokens belong to the same user (both vend the same principal): verify needs two different users');
    }
    const runId = randomBytes(8).toString('hex');
    const { checks, scope } = await runChecks({ ...options, connect, deadline, a, b, runId });
    return finish({ checks, scope, error: undefined, exitCode: exitCodeForChecks(checks) });
  } catch (error) {
    return stopped(io, error, secrets);
  } finally {
    deadline.dispose();
  }
}

/** What of a vend must never be printed: the URL, its signature, credential and session token. */
function secretsOf(vend: UserVend): string[] {
  const query = new URL(vend.vended.url).searchParams;
  const parts = ['X-Amz-Signature', 'X-Amz-Security-Token', 'X-Amz-Credential'].map((name) => query.get(name) ?? '');
  return [vend.vended.url, ...parts.filter((part) => part !== '')];
}

/** An error that stops the run before the report: one redacted line, and its exit status. */
function stopped(io: VerifyIo, error: unknown, secrets: readonly string[]): number {
  const message = error instanceof Error ? error.message : String(error);
  const status = exitCodeForError(error);
  if (status === undefined) {
    io.stderr(`${PREFIX}: unexpected error: ${redact(message, secrets)}\n`);
    return VERIFY_EXIT_CHECK_FAILED;
  }
  io.stderr(`${PREFIX}: ${redact(message, secrets)}${error instanceof VerifyUsageError ? '. See aws-signv4-mqtt verify --help' : ''}\n`);
  return status;
}
