/**
 * The `aws-signv4-mqtt` command: argument parsing and exit codes, kept apart from the executable
 * so tests can run it in-process with their own streams and environment.
 */
import { parseArgs } from 'node:util';
import { signMqttUrlFromDefaultCredentials } from './default-credentials.js';
import { InvalidSigningOptionError } from './errors.js';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';

/** Exit status for a URL printed. */
export const EXIT_OK = 0;
/** Exit status when no credentials were found (or signing failed at run time). */
export const EXIT_FAILURE = 1;
/** Exit status for a usage error: bad or missing flags, malformed values. */
export const EXIT_USAGE = 2;

/** The usage text printed by `--help`. */
export const USAGE = `Usage: aws-signv4-mqtt --endpoint <host> [--region <region>] [--expires <seconds>]
                       [--signing-date <ISO-8601>] [--profile <name>]
       aws-signv4-mqtt verify --api-url <url> [--json] [--origin <origin>] [--timeout <seconds>]

Prints a SigV4-presigned wss://<endpoint>/mqtt URL for MQTT over WebSocket to AWS IoT Core.
The session token, when the credentials have one, is appended last and unsigned, as AWS IoT requires.

Options:
  --endpoint <host>         AWS IoT data endpoint, e.g. abc123-ats.iot.eu-west-1.amazonaws.com
                            (find yours with: aws iot describe-endpoint --endpoint-type iot:Data-ATS)
  --region <region>         Signing region. Default: the region in the endpoint name
                            (*.iot.<region>.amazonaws.com[.cn]), else AWS_REGION, else AWS_DEFAULT_REGION.
  --expires <seconds>       URL validity, a whole number 1..604800. Default: 300.
                            AWS IoT is reported to refuse URLs older than about 15 minutes anyway.
  --signing-date <ISO-8601> Sign as of this time (e.g. 2013-05-24T00:00:00Z). Default: now.
  --profile <name>          Shared config profile. Default: AWS_PROFILE, else "default".
  -h, --help                Show this help.

Credentials come from the AWS SDK's default chain: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
AWS_SESSION_TOKEN, SSO and shared config profiles, web identity, container and instance roles.
The URL is a bearer credential until it expires: do not log it.

Exit status: 0 URL printed; 1 no credentials found; 2 usage error.

verify: proves that a deployed vending stack works and keeps its users apart, with two users'
tokens from VERIFY_TOKEN_A / VERIFY_TOKEN_B (or --token-a-command / --token-b-command): both vend,
a QoS 1 round trip, the other user's subscribe, publish and client ID refused, a tampered URL
refused, Cache-Control: no-store, CORS. Needs the mqtt package. See: aws-signv4-mqtt verify --help
`;

/** Where the CLI writes and what it reads. */
export interface CliIo {
  /** Receives the URL (and `--help`). */
  readonly stdout: (text: string) => void;
  /** Receives the one-line error messages. */
  readonly stderr: (text: string) => void;
  /** Replaces the default credential chain (tests). */
  readonly credentialProvider?: AwsCredentialIdentityProvider;
  /**
   * `verify`'s environment (its tokens, and its token commands' environment).
   * @default - `process.env`
   */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Runs the CLI with `args` (without `node` and the script) and returns the exit status. A first
 * argument `verify` runs `aws-signv4-mqtt verify` (`../verify/run-verify.ts`), loaded only then.
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  if (args[0] === 'verify') {
    const { runVerify } = await import('../verify/run-verify.js');
    return runVerify(args.slice(1), io);
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        endpoint: { type: 'string' },
        region: { type: 'string' },
        expires: { type: 'string' },
        'signing-date': { type: 'string' },
        profile: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return usageError(io, (error as Error).message);
  }
  if (values['help'] === true) {
    io.stdout(USAGE);
    return EXIT_OK;
  }
  const endpoint = values['endpoint'];
  if (typeof endpoint !== 'string' || endpoint === '') return usageError(io, '--endpoint <host> is required');

  const expiresText = values['expires'];
  let expiresIn: number | undefined;
  if (typeof expiresText === 'string') {
    if (!/^\d+$/.test(expiresText)) return usageError(io, `--expires must be a whole number of seconds from 1 to 604800 (received "${expiresText}")`);
    expiresIn = Number(expiresText);
  }
  const dateText = values['signing-date'];
  let signingDate: Date | undefined;
  if (typeof dateText === 'string') {
    signingDate = parseIsoDateTime(dateText);
    if (signingDate === undefined) {
      return usageError(io, `--signing-date must be an ISO-8601 date-time with a zone, such as 2013-05-24T00:00:00Z (received "${dateText}")`);
    }
  }
  const region = values['region'];
  const profile = values['profile'];
  try {
    const url = await signMqttUrlFromDefaultCredentials({
      host: endpoint,
      region: typeof region === 'string' ? region : undefined,
      expiresIn,
      signingDate,
      profile: typeof profile === 'string' ? profile : undefined,
      credentialProvider: io.credentialProvider,
    });
    io.stdout(`${url}\n`);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof InvalidSigningOptionError) {
      const flag = FLAG_OF_OPTION[error.option] ?? error.option;
      return usageError(io, error.message.replace(`Invalid ${error.option}`, `Invalid ${flag}`));
    }
    // No credentials, or a provider that failed at run time: both are failures, not usage errors.
    io.stderr(`aws-signv4-mqtt: ${firstLine(error)}\n`);
    return EXIT_FAILURE;
  }
}

/**
 * Parses a full ISO-8601 date-time with an explicit zone. A date alone, or a local time, would sign
 * for a different instant depending on the machine's time zone; `Date` itself would also roll
 * 2013-02-30 over to March instead of rejecting it.
 */
function parseIsoDateTime(text: string): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0)) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

// The library names options as in its API; the CLI user knows them as flags.
const FLAG_OF_OPTION: Readonly<Record<string, string>> = {
  host: '--endpoint',
  region: '--region',
  expiresIn: '--expires',
  signingDate: '--signing-date',
};

function usageError(io: CliIo, message: string): number {
  io.stderr(`aws-signv4-mqtt: ${firstLine(message)}. See --help.\n`);
  return EXIT_USAGE;
}

function firstLine(value: unknown): string {
  const text = value instanceof Error ? value.message : String(value);
  return (text.split('\n')[0] ?? '').replace(/\.$/, '');
}
