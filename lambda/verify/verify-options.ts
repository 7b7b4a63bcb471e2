/**
 * `aws-signv4-mqtt verify`'s flags, parsed and validated before anything is sent: a bad value is a
 * {@link VerifyUsageError} naming the flag and the value received.
 */
import { parseArgs } from 'node:util';
import { describeValue } from '../signing/errors.js';
import { isLoopbackHostname } from '../signing/validate.js';
import { VerifyUsageError } from './errors.js';
import { DEFAULT_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS } from './verify-usage.js';

/** The validated flags. */
export interface VerifyOptions {
  /** `--help`: print the usage and do nothing else. */
  readonly help: boolean;
  /** `--api-url`, validated (https, or http on loopback), without a trailing slash. */
  readonly apiUrl: string;
  /** `--json`. */
  readonly json: boolean;
  /** `--origin`, as a serialized origin, when given. */
  readonly origin: string | undefined;
  /** `--timeout`, in seconds. */
  readonly timeoutSeconds: number;
  /** `--token-a-command`, when given. */
  readonly tokenACommand: string | undefined;
  /** `--token-b-command`, when given. */
  readonly tokenBCommand: string | undefined;
  /** `--include-shared`. */
  readonly includeShared: boolean;
  /** `--expect-shared`. */
  readonly expectShared: boolean;
}

/**
 * Parses `verify`'s arguments (after the word `verify`).
 * @throws VerifyUsageError for an unknown flag, a missing `--api-url` or a malformed value
 */
export function parseVerifyArgs(args: readonly string[]): VerifyOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        'api-url': { type: 'string' },
        json: { type: 'boolean' },
        origin: { type: 'string' },
        timeout: { type: 'string' },
        'token-a-command': { type: 'string' },
        'token-b-command': { type: 'string' },
        'include-shared': { type: 'boolean' },
        'expect-shared': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    // node's messages name the flag; a stray positional could be a pasted token, so it is not echoed.
    const message = (error as Error).message;
    throw new VerifyUsageError(/positional/i.test(message) ? 'verify takes no positional arguments (tokens go in VERIFY_TOKEN_A / VERIFY_TOKEN_B, never on the command line)' : message);
  }
  const help = values['help'] === true;
  const flag = (name: string): string | undefined => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  if (help) {
    return { help, apiUrl: '', json: false, origin: undefined, timeoutSeconds: DEFAULT_TIMEOUT_SECONDS, tokenACommand: undefined, tokenBCommand: undefined, includeShared: false, expectShared: false };
  }
  const apiUrlText = flag('api-url');
  if (apiUrlText === undefined || apiUrlText === '') throw new VerifyUsageError('--api-url <url> is required: the stack\'s ApiUrl output');
  return {
    help,
    apiUrl: parseApiUrl(apiUrlText),
    json: values['json'] === true,
    origin: parseOrigin(flag('origin')),
    timeoutSeconds: parseTimeout(flag('timeout')),
    tokenACommand: parseCommand('--token-a-command', flag('token-a-command')),
    tokenBCommand: parseCommand('--token-b-command', flag('token-b-command')),
    includeShared: values['include-shared'] === true,
    expectShared: values['expect-shared'] === true,
  };
}

/** `apiUrl` with any `user:password@` masked, for messages. */
function shown(url: string): string {
  return describeValue(url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@'));
}

/**
 * The tokens travel with every request to this URL, so it must be encrypted: https, or plain http to
 * a loopback host only (the local stack).
 */
function parseApiUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new VerifyUsageError(`--api-url must be an absolute https URL such as https://abc123.execute-api.eu-west-1.amazonaws.com (received ${shown(text)})`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new VerifyUsageError(`--api-url must be an https URL (received ${shown(text)})`);
  if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname)) {
    throw new VerifyUsageError(`--api-url must use https: the tokens travel with it; plain http is allowed only for loopback hosts (127.0.0.1, [::1], localhost) (received ${shown(text)})`);
  }
  if (url.username !== '' || url.password !== '') throw new VerifyUsageError(`--api-url must not contain user info (received ${shown(text)})`);
  if (url.search !== '' || url.hash !== '') throw new VerifyUsageError(`--api-url must have no query or fragment (received ${shown(text)})`);
  return url.href.replace(/\/+$/, '');
}

function parseOrigin(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== text.replace(/\/$/, '')) {
    throw new VerifyUsageError(`--origin must be an origin: scheme, host and optional port, such as https://app.example.com (received ${describeValue(text)})`);
  }
  return url.origin;
}

function parseTimeout(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TIMEOUT_SECONDS;
  const seconds = /^\d+(?:\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!(seconds >= 1 && seconds <= MAX_TIMEOUT_SECONDS)) {
    throw new VerifyUsageError(`--timeout must be a number of seconds from 1 to ${MAX_TIMEOUT_SECONDS} (received ${describeValue(text)})`);
  }
  return seconds;
}

function parseCommand(name: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (text.trim() === '') throw new VerifyUsageError(`${name} must be a shell command that prints a token (received an empty string)`);
  return text;
}
