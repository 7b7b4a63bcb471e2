/** The `aws-signv4-mqtt verify --help` text, and the install hint for a missing `mqtt`. */

/** Default of `--timeout`, in seconds: room for two vends, four connections and the waits between them. */
export const DEFAULT_TIMEOUT_SECONDS = 60;
/** Largest `--timeout`, in seconds. */
export const MAX_TIMEOUT_SECONDS = 3600;

/** How to run `verify` where `mqtt` (an optional peer of the package) is not installed. */
export const NPX_ONE_LINER = 'npx -p aws-signv4-mqtt -p mqtt aws-signv4-mqtt verify --api-url <ApiUrl>';

/** The `verify --help` text. */
export const VERIFY_USAGE = `Usage: aws-signv4-mqtt verify --api-url <url> [--json] [--origin <origin>] [--timeout <seconds>]
                              [--token-a-command <cmd>] [--token-b-command <cmd>]
                              [--include-shared] [--expect-shared]

Proves that a deployed vending stack works and keeps its users apart, with two different users'
tokens: both vend; A makes a QoS 1 round trip on its private topic; B's subscription to it is refused
(SUBACK 0x80), B's publish into it closes B's connection and reaches nobody, B's CONNECT with A's
client ID is refused while A stays connected; a tampered URL gets a handshake refusal; the vend
answer carries Cache-Control: no-store; with --origin, CORS allows exactly that origin.
It writes only under <A's private topic>/aws-signv4-mqtt-verify/<random>.

Tokens (never on the command line, which process lists show):
  VERIFY_TOKEN_A, VERIFY_TOKEN_B   two different users' ID or access tokens, or
  --token-a-command <cmd>          a shell command that prints user A's token on stdout (its stdout
  --token-b-command <cmd>          is never echoed, its stderr is passed through), e.g.
                                   aws cognito-idp initiate-auth ... --query AuthenticationResult.IdToken --output text

Options:
  --api-url <url>       The stack's ApiUrl output. https, or http on a loopback host only.
  --json                Print one JSON document: { ok, exitCode, scope, checks: [{ name, ok, ms, detail }] }.
  --origin <origin>     Check CORS: the preflight must allow exactly this origin and refuse another.
  --timeout <seconds>   Bound the whole run, 1..${MAX_TIMEOUT_SECONDS}. Default: ${DEFAULT_TIMEOUT_SECONDS}.
  --include-shared      Also make a round trip on a topic A and B share (a group room or a shared
                        topic); without it, verify never publishes into shared topics.
  --expect-shared       The deployment is in shared scope on purpose: every user gets the whole
                        namespace, so isolation is not checked, and shared scope exits 0.
  -h, --help            Show this help.

mqtt is an optional peer dependency; where it is not installed, run:
  ${NPX_ONE_LINER}

Tokens, URLs and signatures are never printed.
Exit status: 0 every check passed; 1 a check failed (isolation failures are named);
2 usage error (missing token, bad URL, the same user twice, mqtt not installed);
3 could not vend (the HTTP status is named: 401 means a bad or expired token).
`;
