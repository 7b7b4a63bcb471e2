/**
 * `npm run dev`: the local stack on http://127.0.0.1:$PORT (default 3000), loopback only.
 * Environment: `PORT` (0 picks a free port), `URL_TTL_SECONDS` (the Lambda's URL lifetime, 1..900).
 * Ctrl-C (SIGINT) or SIGTERM stops everything and exits 0.
 */
import { startLocalStack, type LocalStack } from '../local/dev-server.js';

function integerFromEnv(name: string, fallback: number | undefined): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^\d{1,5}$/.test(text)) {
    process.stderr.write(`${name} must be a whole number (received ${JSON.stringify(text)})\n`);
    process.exit(2);
  }
  return Number(text);
}

const port = integerFromEnv('PORT', 3000) ?? 3000;
const urlTtlSeconds = integerFromEnv('URL_TTL_SECONDS', undefined);

let running: LocalStack;
try {
  running = await startLocalStack({ port, urlTtlSeconds });
} catch (error) {
  process.stderr.write(`Could not start the local stack: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

process.stdout.write(
  [
    '',
    `Local stack running at ${running.url}`,
    '',
    `  1. Open ${running.url} in a browser (two tabs for two users).`,
    '  2. Sign in with any username and the password "local-dev".',
    '  3. Get a URL, connect, subscribe and publish under users/<your sub>/…',
    '',
    '  Emulated here, no AWS account needed: Cognito InitiateAuth (/cognito), the HTTP API JWT',
    '  authorizer + the real Lambda (/mqtt-url), STS AssumeRole, and AWS IoT over WebSocket (/mqtt).',
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
