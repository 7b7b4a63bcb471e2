/**
 * `npm run dev`: the local stack on http://127.0.0.1:$PORT (default 3000), loopback only, with the
 * demo grants (`local/demo-grants.ts`: private namespace, group rooms, shared lobby, read-only
 * telemetry), the demo's groups and a simulated device publishing telemetry.
 *
 * Identity: users sign in at the Cognito user pool stand-in, or, with `npm run dev -- --oidc` (or
 * `LOCAL_IDENTITY=oidc`), at a local OIDC issuer shaped like Auth0 (`local/oidc-issuer.ts`: issuer
 * `http://127.0.0.1:$PORT/oidc/`, `auth0|…` subs, groups in `https://example.com/groups`), with the
 * Lambda in issuer mode. `--oidc` is the only argument; any other is a one-line error, exit 2.
 *
 * Environment (all optional; a malformed value is a one-line error naming the variable, exit 2):
 * - `PORT` (0 picks a free port);
 * - `LOCAL_IDENTITY`: `cognito` (default) or `oidc`, as `--oidc` (the two must not disagree);
 * - the Lambda's own `URL_TTL_SECONDS` (1..900), `PUBLISH_TOPIC_TEMPLATES` and
 *   `SUBSCRIBE_TOPIC_TEMPLATES` (JSON arrays; default the demo grants), `GROUP_PREFIX`, `MAX_GROUPS`,
 *   `ALLOW_RETAIN` (`true`/`false`), `USER_RATE_PER_SECOND` (0 turns the per-user vend limit off) and
 *   `USER_RATE_BURST`, checked by the Lambda itself at start-up (a refused configuration stops the
 *   start-up with the Lambda's message, exit 1);
 * - `LOCAL_USER_GROUPS`: who is in which group, JSON such as `{"alice":["team-a"]}` (default: alice
 *   and bob in team-a, carol in team-b);
 * - `LOCAL_DEVICE_INTERVAL_MS`: how often the simulated device publishes (default 3000; 0: no device);
 * - `LOCAL_PERSISTENT_SESSION_EXPIRY_SECONDS`: how long a persistent session (MQTT clean session 0)
 *   outlives its last connection before the gateway discards its subscriptions and queued messages,
 *   1..604800 (default 3600, AWS IoT's default; AWS allows up to 7 days).
 *
 * Ctrl-C (SIGINT) or SIGTERM stops everything and exits 0.
 */
import { MAX_PERSISTENT_SESSION_EXPIRY_SECONDS } from '../local/broker-limits.js';
import { DEMO_GRANTS } from '../local/demo-grants.js';
import { LOCAL_IDENTITIES, startLocalStack, type LocalIdentity, type LocalStack } from '../local/dev-server.js';
import { DEFAULT_DEVICE_INTERVAL_MS, MAX_DEVICE_INTERVAL_MS, MIN_DEVICE_INTERVAL_MS } from '../local/simulated-device.js';
import { DEMO_USER_GROUPS, parseUserGroupsJson, UserGroupsError, type UserGroups } from '../local/user-groups.js';

function usageError(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/** The variable's text, or `undefined` when it is unset or empty. */
function textFromEnv(name: string): string | undefined {
  const text = process.env[name];
  return text === undefined || text === '' ? undefined : text;
}

function integerFromEnv(name: string, fallback: number | undefined): number | undefined {
  const text = textFromEnv(name);
  if (text === undefined) return fallback;
  if (!/^\d{1,9}$/.test(text)) usageError(`${name} must be a whole number (received ${JSON.stringify(text)})`);
  return Number(text);
}

function numberFromEnv(name: string): number | undefined {
  const text = textFromEnv(name);
  if (text === undefined) return undefined;
  if (!/^\d{1,9}(\.\d{1,6})?$/.test(text)) usageError(`${name} must be a number such as 1 or 0.5 (received ${JSON.stringify(text)})`);
  return Number(text);
}

function booleanFromEnv(name: string): boolean | undefined {
  const text = textFromEnv(name);
  if (text === undefined) return undefined;
  if (text !== 'true' && text !== 'false') usageError(`${name} must be true or false (received ${JSON.stringify(text)})`);
  return text === 'true';
}

// Only the shape is checked here; each template is the Lambda's to judge.
function templatesFromEnv(name: string, fallback: readonly string[]): readonly string[] {
  const text = textFromEnv(name);
  if (text === undefined) return fallback;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    usageError(`${name} must be a JSON array of strings such as ["users/\${sub}/*"] (received ${JSON.stringify(text)}, which is not JSON)`);
  }
  if (!Array.isArray(parsed) || !parsed.every((entry): entry is string => typeof entry === 'string')) {
    usageError(`${name} must be a JSON array of strings such as ["users/\${sub}/*"] (received ${JSON.stringify(text)})`);
  }
  return parsed;
}

function userGroupsFromEnv(name: string): UserGroups {
  const text = textFromEnv(name);
  if (text === undefined) return DEMO_USER_GROUPS;
  try {
    return parseUserGroupsJson(text, name);
  } catch (error) {
    if (error instanceof UserGroupsError) usageError(error.message);
    throw error;
  }
}

/** `--oidc` or `LOCAL_IDENTITY`; they must agree when both are given. */
function identityFromArgumentsAndEnv(args: readonly string[]): LocalIdentity {
  for (const arg of args) {
    if (arg !== '--oidc') usageError(`Unknown argument ${JSON.stringify(arg)}: npm run dev takes only --oidc (sign in at a local OIDC issuer instead of the Cognito stand-in)`);
  }
  const text = textFromEnv('LOCAL_IDENTITY');
  if (text !== undefined && !LOCAL_IDENTITIES.some((identity) => identity === text)) {
    usageError(`LOCAL_IDENTITY must be ${LOCAL_IDENTITIES.join(' or ')} (received ${JSON.stringify(text)})`);
  }
  const fromEnv = text as LocalIdentity | undefined;
  if (args.includes('--oidc')) {
    if (fromEnv === 'cognito') usageError('--oidc contradicts LOCAL_IDENTITY=cognito; give one of them');
    return 'oidc';
  }
  return fromEnv ?? 'cognito';
}

const identity = identityFromArgumentsAndEnv(process.argv.slice(2));
const port = integerFromEnv('PORT', 3000) ?? 3000;
const urlTtlSeconds = integerFromEnv('URL_TTL_SECONDS', undefined);
const publishTopicTemplates = templatesFromEnv('PUBLISH_TOPIC_TEMPLATES', DEMO_GRANTS.publish);
const subscribeTopicTemplates = templatesFromEnv('SUBSCRIBE_TOPIC_TEMPLATES', DEMO_GRANTS.subscribe);
const groupPrefix = textFromEnv('GROUP_PREFIX');
const maxGroups = integerFromEnv('MAX_GROUPS', undefined);
const allowRetain = booleanFromEnv('ALLOW_RETAIN');
const userRatePerSecond = numberFromEnv('USER_RATE_PER_SECOND');
const userRateBurst = integerFromEnv('USER_RATE_BURST', undefined);
const userGroups = userGroupsFromEnv('LOCAL_USER_GROUPS');
const deviceIntervalMs = integerFromEnv('LOCAL_DEVICE_INTERVAL_MS', DEFAULT_DEVICE_INTERVAL_MS) ?? DEFAULT_DEVICE_INTERVAL_MS;
if (deviceIntervalMs !== 0 && (deviceIntervalMs < MIN_DEVICE_INTERVAL_MS || deviceIntervalMs > MAX_DEVICE_INTERVAL_MS)) {
  usageError(`LOCAL_DEVICE_INTERVAL_MS must be 0 (no device) or ${MIN_DEVICE_INTERVAL_MS}..${MAX_DEVICE_INTERVAL_MS} milliseconds (received "${deviceIntervalMs}")`);
}
const persistentSessionExpirySeconds = integerFromEnv('LOCAL_PERSISTENT_SESSION_EXPIRY_SECONDS', undefined);
if (persistentSessionExpirySeconds !== undefined && (persistentSessionExpirySeconds < 1 || persistentSessionExpirySeconds > MAX_PERSISTENT_SESSION_EXPIRY_SECONDS)) {
  usageError(`LOCAL_PERSISTENT_SESSION_EXPIRY_SECONDS must be 1..${MAX_PERSISTENT_SESSION_EXPIRY_SECONDS} seconds (received "${persistentSessionExpirySeconds}")`);
}

let running: LocalStack;
try {
  running = await startLocalStack({
    port,
    urlTtlSeconds,
    publishTopicTemplates,
    subscribeTopicTemplates,
    groupPrefix,
    maxGroups,
    allowRetain,
    userRatePerSecond,
    userRateBurst,
    userGroups,
    identity,
    persistentSessionExpirySeconds,
    ...(deviceIntervalMs === 0 ? {} : { simulatedDevice: { intervalMs: deviceIntervalMs } }),
  });
} catch (error) {
  process.stderr.write(`Could not start the local stack: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

const memberships = Object.entries(userGroups).map(([user, groups]) => `${user} in ${groups.length === 0 ? 'no group' : groups.join(', ')}`);
const oidc = running.oidc;
const signInLines = oidc === undefined
  ? ['  2. Sign in with any username and the password "local-dev".']
  : [
    '  2. Sign in with any username and the password "local-dev" at the local OIDC issuer, shaped',
    `     like Auth0: issuer ${oidc.issuer}, audience ${oidc.audience}.`,
    '     The page uses the password grant at /oidc/token (real providers sign browsers in with',
    '     Authorization Code + PKCE).',
  ];
process.stdout.write(
  [
    '',
    `Local stack running at ${running.url}`,
    '',
    `  1. Open ${running.url} in a browser (two tabs for two users).`,
    ...signInLines,
    `     Groups (LOCAL_USER_GROUPS): ${memberships.length === 0 ? 'nobody is in a group' : `${memberships.join('; ')}; everybody else in none`}.`,
    '  3. Get a URL, connect, then subscribe and publish where you are granted:',
    `     publish ${publishTopicTemplates.join('  ')}`,
    `     subscribe ${subscribeTopicTemplates.join('  ')}`,
    ...(running.device === undefined ? [] : [`     A simulated device publishes to ${running.device.topic} every ${running.device.intervalMs} ms.`]),
    '',
    oidc === undefined
      ? '  Emulated here, no AWS account needed: Cognito InitiateAuth (/cognito), the HTTP API JWT'
      : '  Emulated here, no AWS account needed: an OIDC issuer (/oidc/), the HTTP API JWT',
    '  authorizer + the real Lambda (/mqtt-url), STS AssumeRole, and AWS IoT over WebSocket (/mqtt),',
    "  with AWS IoT's message-broker limits; docs/local-stack-vs-aws.md lists what still differs.",
    '  Press Ctrl-C to stop.',
    '',
    '',
  ].join('\n'),
);

let stopping = false;
const shutdown = (signal: NodeJS.Signals): void => {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\n${signal}: stopping the local stack…\n`);
  running.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`Error while stopping: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
