/**
 * Where the two users' tokens come from: `VERIFY_TOKEN_A` / `VERIFY_TOKEN_B`, or
 * `--token-a-command` / `--token-b-command`; never from argv, which process lists show. Checked
 * before anything is sent: each present, one line, and the two different.
 */
import { VerifyUsageError } from './errors.js';
import type { Deadline } from './deadline.js';
import { runTokenCommand, TOKEN_COMMAND_TIMEOUT_MS } from './token-command.js';

/** A user's token and what is known of its expiry (read from the JWT, unverified: for messages only). */
export interface UserToken {
  /** `A` or `B`. */
  readonly user: 'A' | 'B';
  /** The bearer token. Never printed. */
  readonly token: string;
  /** The JWT's `exp`, when the token is a JWT that has one. */
  readonly expiresAt: Date | undefined;
  /** When verify got the token (epoch ms): an `exp` after it and before a 401 expired during the run. */
  readonly readAt: number;
}

/** What {@link readTokens} reads. */
export interface TokenInputs {
  /** `--token-a-command`, when given. */
  readonly tokenACommand: string | undefined;
  /** `--token-b-command`, when given. */
  readonly tokenBCommand: string | undefined;
  /** Where `VERIFY_TOKEN_A` / `VERIFY_TOKEN_B` are read, and the commands' environment. */
  readonly env: NodeJS.ProcessEnv;
  /** Bounds the commands' run time. */
  readonly deadline: Deadline;
}

const MAX_TOKEN_LENGTH = 16 * 1024;

/**
 * Reads both tokens.
 * @throws VerifyUsageError for a missing, malformed or twice-given token, or a failing command
 */
export async function readTokens(inputs: TokenInputs): Promise<readonly [UserToken, UserToken]> {
  const a = await readToken('A', inputs.tokenACommand, inputs);
  const b = await readToken('B', inputs.tokenBCommand, inputs);
  if (a.token === b.token) {
    throw new VerifyUsageError('user A and user B have the same token: verify needs two different users (for example two test users of the user pool)');
  }
  return [a, b];
}

async function readToken(user: 'A' | 'B', command: string | undefined, inputs: TokenInputs): Promise<UserToken> {
  const variable = `VERIFY_TOKEN_${user}`;
  const flag = `--token-${user.toLowerCase()}-command`;
  const fromEnv = inputs.env[variable];
  if (command !== undefined && fromEnv !== undefined && fromEnv !== '') {
    throw new VerifyUsageError(`both ${variable} and ${flag} are set: give user ${user}'s token one way`);
  }
  let raw: string;
  let source: string;
  if (command !== undefined) {
    raw = await runTokenCommand(flag, command, inputs.deadline.bound(TOKEN_COMMAND_TIMEOUT_MS), inputs.env);
    source = flag;
  } else if (fromEnv !== undefined && fromEnv !== '') {
    raw = fromEnv.trim();
    source = variable;
  } else {
    throw new VerifyUsageError(`no token for user ${user}: set ${variable} or pass ${flag} (a command that prints the token)`);
  }
  // Described, never echoed: the value may be a real token.
  if (raw === '') throw new VerifyUsageError(`${source} gave an empty token for user ${user}`);
  if (raw.length > MAX_TOKEN_LENGTH) throw new VerifyUsageError(`${source} gave a ${raw.length}-character token for user ${user} (at most ${MAX_TOKEN_LENGTH})`);
  if (/[\s\u0000-\u001f\u007f]/.test(raw)) {
    throw new VerifyUsageError(`${source} gave user ${user}'s token with spaces, line breaks or control characters inside (${raw.length} characters): it must print the token alone`);
  }
  return { user, token: raw, expiresAt: jwtExpiry(raw), readAt: Date.now() };
}

/** The `exp` of a JWT, unverified (the API verifies it; this only words messages), or `undefined`. */
export function jwtExpiry(token: string): Date | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const exp = typeof claims === 'object' && claims !== null ? (claims as { exp?: unknown }).exp : undefined;
    return typeof exp === 'number' && Number.isFinite(exp) ? new Date(exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}
