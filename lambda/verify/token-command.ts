/**
 * Runs a `--token-*-command`: through the shell (so `aws cognito-idp initiate-auth …` with its
 * quoting and `$PASSWORD` from the environment works as typed), with a time limit. Its stderr goes
 * straight to ours, so the user sees why it failed; its stdout is the token and is never echoed.
 */
import { spawn } from 'node:child_process';
import { VerifyUsageError } from './errors.js';

/** The most stdout a token command may print: a token is a few KB at most. */
const MAX_STDOUT_BYTES = 64 * 1024;
/** The longest a token command may run, whatever remains of `--timeout`. */
export const TOKEN_COMMAND_TIMEOUT_MS = 30_000;

/**
 * Runs `command` and resolves with what it printed on stdout, trimmed.
 * @param flag the flag it came from, for messages (`--token-a-command`)
 * @param timeoutMs how long it may run before it is killed
 * @param env the command's environment
 * @throws VerifyUsageError when it cannot start, exits non-zero, is killed by the limit or prints too much
 */
export async function runTokenCommand(flag: string, command: string, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    // Its own process group, so the time limit ends the shell and whatever it started.
    const child = spawn(command, { shell: true, stdio: ['ignore', 'pipe', 'inherit'], env, detached: true });
    const chunks: Buffer[] = [];
    let size = 0;
    let failure: VerifyUsageError | undefined;
    const kill = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      failure ??= new VerifyUsageError(`${flag} did not finish within ${Math.round(timeoutMs / 100) / 10} s and was stopped`);
      kill();
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_STDOUT_BYTES) {
        failure ??= new VerifyUsageError(`${flag} printed more than ${MAX_STDOUT_BYTES} bytes: it must print the token alone`);
        kill();
        return;
      }
      chunks.push(chunk);
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new VerifyUsageError(`${flag} could not be started (${error.message})`, { cause: error }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (failure !== undefined) reject(failure);
      else if (code !== 0) reject(new VerifyUsageError(`${flag} failed with ${code === null ? `signal ${String(signal)}` : `exit status ${code}`} (its stderr, if any, is above)`));
      else resolve(Buffer.concat(chunks).toString('utf8').trim());
    });
  });
}
