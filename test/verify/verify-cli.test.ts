/**
 * `aws-signv4-mqtt verify` without a stack: usage errors (exit 2, nothing sent), an API that cannot
 * be reached (exit 3 within --timeout), the vend failure wording, redaction, and the pure helpers.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USAGE } from '../../lambda/signing/cli.js';
import { changeSignature, raiseExpiry } from '../../lambda/verify/check-tampered-url.js';
import { Deadline } from '../../lambda/verify/deadline.js';
import { missingMqtt } from '../../lambda/verify/mqtt-loader.js';
import { redact, REDACTED } from '../../lambda/verify/redact.js';
import { runVerify } from '../../lambda/verify/run-verify.js';
import { commonGrants, privateTopicOf, sharedScopeEvidence } from '../../lambda/verify/topic-plan.js';
import { vendAs } from '../../lambda/verify/vend-client.js';
import { NPX_ONE_LINER, VERIFY_USAGE } from '../../lambda/verify/verify-usage.js';
import type { VendedMqttUrl } from '../../web/types.js';
import { verify } from './verify-harness.js';

const TOKENS = { VERIFY_TOKEN_A: 'token-of-user-a', VERIFY_TOKEN_B: 'token-of-user-b' };

/** A loopback server that accepts connections and never answers, like a black-holed API. */
let silent: NetServer;
const held = new Set<Socket>();
let silentUrl = '';
/** A loopback port nothing listens on. */
let closedUrl = '';
/** Counts requests, to show that usage errors send nothing. */
let counting: Server;
let countingUrl = '';
let requests = 0;

async function listening(server: NetServer | Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  silent = createServer((socket) => {
    held.add(socket);
    socket.on('close', () => held.delete(socket));
  });
  silentUrl = `http://127.0.0.1:${await listening(silent)}`;
  const probe = createServer();
  closedUrl = `http://127.0.0.1:${await listening(probe)}`;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  counting = createHttpServer((_request, response) => {
    requests++;
    response.writeHead(401, { 'content-type': 'application/json' });
    response.end('{"message":"Unauthorized"}');
  });
  countingUrl = `http://127.0.0.1:${await listening(counting)}`;
});

afterAll(async () => {
  for (const socket of held) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
  counting.closeAllConnections();
  await new Promise<void>((resolve) => counting.close(() => resolve()));
});

describe('verify --help', () => {
  it('documents verify, its token sources, flags and exit codes; the signer help points at it', async () => {
    const run = await verify(['--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(VERIFY_USAGE);
    for (const text of ['--api-url', '--json', '--origin', '--timeout', 'Default: 60', '--token-a-command', '--token-b-command', 'VERIFY_TOKEN_A', 'VERIFY_TOKEN_B', '--include-shared', '--expect-shared', NPX_ONE_LINER, 'Exit status']) {
      expect(VERIFY_USAGE).toContain(text);
    }
    expect(USAGE).toContain('aws-signv4-mqtt verify --api-url');
    expect(USAGE).toContain('aws-signv4-mqtt verify --help');
  });
});

describe('usage errors exit 2 and send nothing', () => {
  it.each([
    ['no --api-url', [], TOKENS, /--api-url <url> is required/],
    ['no tokens', ['--api-url', 'COUNTING'], {}, /no token for user A: set VERIFY_TOKEN_A or pass --token-a-command/],
    ['no token B', ['--api-url', 'COUNTING'], { VERIFY_TOKEN_A: 'a' }, /no token for user B: set VERIFY_TOKEN_B or pass --token-b-command/],
    ['http to a non-loopback host', ['--api-url', 'http://api.example.com'], TOKENS, /--api-url must use https: .*plain http is allowed only for loopback hosts .*\(received "http:\/\/api\.example\.com"\)/],
    ['a non-URL', ['--api-url', 'example.com/prod'], TOKENS, /--api-url must be an absolute https URL .*\(received "example\.com\/prod"\)/],
    ['user info in the URL', ['--api-url', 'https://user:secret@api.example.com'], TOKENS, /--api-url must not contain user info \(received "https:\/\/\*\*\*@api\.example\.com"\)/],
    ['a bad --timeout', ['--api-url', 'COUNTING', '--timeout', '10s'], TOKENS, /--timeout must be a number of seconds from 1 to 3600 \(received "10s"\)/],
    ['a zero --timeout', ['--api-url', 'COUNTING', '--timeout', '0'], TOKENS, /--timeout must be a number of seconds from 1 to 3600 \(received "0"\)/],
    ['a bad --origin', ['--api-url', 'COUNTING', '--origin', 'https://app.example.com/path'], TOKENS, /--origin must be an origin: .*\(received "https:\/\/app\.example\.com\/path"\)/],
    ['an unknown flag', ['--api-url', 'COUNTING', '--token-a', 'x'], TOKENS, /Unknown option '--token-a'/],
    ['a positional (a pasted token?)', ['--api-url', 'COUNTING', 'eyJhbGciOi.eyJzdWIi.c2ln'], TOKENS, /takes no positional arguments/],
    ['the same token twice', ['--api-url', 'COUNTING'], { VERIFY_TOKEN_A: 'same-token', VERIFY_TOKEN_B: 'same-token' }, /user A and user B have the same token: verify needs two different users/],
    ['a token with a line break', ['--api-url', 'COUNTING'], { VERIFY_TOKEN_A: 'abc\ndef', VERIFY_TOKEN_B: 'b' }, /VERIFY_TOKEN_A gave user A's token with spaces, line breaks or control characters inside \(7 characters\)/],
    ['a token both ways', ['--api-url', 'COUNTING', '--token-a-command', 'echo x'], TOKENS, /both VERIFY_TOKEN_A and --token-a-command are set/],
    ['a failing token command', ['--api-url', 'COUNTING', '--token-a-command', 'exit 7'], { VERIFY_TOKEN_B: 'b' }, /--token-a-command failed with exit status 7/],
    ['a token command that prints nothing', ['--api-url', 'COUNTING', '--token-a-command', 'true'], { VERIFY_TOKEN_B: 'b' }, /--token-a-command gave an empty token for user A/],
  ])('%s', async (_name, args, env, message) => {
    const before = requests;
    const run = await verify(args.map((arg) => (arg === 'COUNTING' ? countingUrl : arg)), env);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toMatch(/^aws-signv4-mqtt verify: .*\. See aws-signv4-mqtt verify --help\n$/);
    expect(run.stdout).toBe('');
    expect(requests).toBe(before);
  });

  it('names the missing mqtt peer and the npx one-liner, and sends nothing', async () => {
    const before = requests;
    let stderr = '';
    const status = await runVerify(['--api-url', countingUrl], {
      stdout: () => undefined,
      stderr: (text) => { stderr += text; },
      env: TOKENS,
      loadMqtt: async () => { throw missingMqtt(new Error("Cannot find package 'mqtt'")); },
    });
    expect(status).toBe(2);
    expect(stderr).toContain('needs the mqtt package');
    expect(stderr).toContain('npx -p aws-signv4-mqtt -p mqtt aws-signv4-mqtt verify --api-url');
    expect(requests).toBe(before);
  });

  it('stops a token command at its time limit, bounded by --timeout', async () => {
    const run = await verify(['--api-url', countingUrl, '--timeout', '1', '--token-a-command', 'sleep 30'], { VERIFY_TOKEN_B: 'b' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--token-a-command did not finish within 1 s and was stopped/);
    expect(run.ms).toBeLessThan(1000 + 1000);
  });
});

describe('an API that cannot vend exits 3', () => {
  it('names the 401 and what to try, and prints no token', async () => {
    const run = await verify(['--api-url', countingUrl], TOKENS);
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(/could not vend for user A: the API answered HTTP 401 Unauthorized .*get a fresh ID token/);
    expect(run.stdout).toMatch(/^aws-signv4-mqtt verify http:\/\/127\.0\.0\.1:\d+\n/);
    expect(run.stdout).toContain('Stopped: could not vend for user A: the API answered HTTP 401');
    expect(`${run.stdout}${run.stderr}`).not.toContain(TOKENS.VERIFY_TOKEN_A);
  });

  it('a closed loopback port: exit 3, within --timeout', async () => {
    const run = await verify(['--api-url', closedUrl, '--timeout', '2', '--json'], TOKENS);
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(/could not vend for user A: the API could not be reached \(ECONNREFUSED\)/);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, exitCode: 3, checks: [{ name: 'vend', ok: false }] });
    expect(run.ms).toBeLessThan(2000 + 1000);
  });

  it('a server that never answers: exit 3 when --timeout is reached', async () => {
    const run = await verify(['--api-url', silentUrl, '--timeout', '1.5'], TOKENS);
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(/could not vend for user A: no answer from the API within --timeout 1\.5 s/);
    expect(run.ms).toBeGreaterThanOrEqual(1400);
    expect(run.ms).toBeLessThan(1500 + 1000);
  });

  it('says when a token expired during the run', async () => {
    const deadline = new Deadline(5);
    try {
      const failure: unknown = await vendAs(countingUrl, { user: 'B', token: 'b', expiresAt: new Date(Date.now() - 1000), readAt: Date.now() - 10_000 }, deadline).catch((error: unknown) => error);
      expect(failure).toMatchObject({ name: 'VendFailedError', status: 401, user: 'B' });
      expect((failure as Error).message).toMatch(/user B's token expired during this run, at \d{4}-/);
      const before: unknown = await vendAs(countingUrl, { user: 'A', token: 'a', expiresAt: new Date(Date.now() - 60_000), readAt: Date.now() }, deadline).catch((error: unknown) => error);
      expect((before as Error).message).toMatch(/user A's token expired before this run started/);
    } finally {
      deadline.dispose();
    }
  });
});

describe('helpers', () => {
  const url = 'wss://abc-ats.iot.eu-west-1.amazonaws.com/mqtt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20240101%2Feu-west-1%2Fiotdevicegateway%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=0abc&X-Amz-Security-Token=tok%2Fen';

  it('redacts tokens, URLs and signatures from any text', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const text = `failed for ${url} with ${jwt} and opaque-secret-token; X-Amz-Signature=deadbeef`;
    const out = redact(text, ['opaque-secret-token']);
    expect(out).toBe(`failed for ${REDACTED} with ${REDACTED} and ${REDACTED}; ${REDACTED}`);
  });

  it('tampers with exactly one thing: the expiry, or one signature character', () => {
    expect(raiseExpiry(url)).toBe(url.replace('X-Amz-Expires=300', 'X-Amz-Expires=360'));
    expect(changeSignature(url)).toBe(url.replace('X-Amz-Signature=0abc', 'X-Amz-Signature=1abc'));
  });

  const vended = (principalId: string, publish: string[], subscribe: string[], key = principalId): VendedMqttUrl => ({
    url: url.replace('ASIAEXAMPLE', key), clientId: principalId, principalId, expiresAt: '2030-01-01T00:00:00Z', endpoint: 'abc-ats.iot.eu-west-1.amazonaws.com', region: 'eu-west-1',
    topics: { publish, subscribe },
  });

  it('finds the private test topic, the common grants and the shared round trip', () => {
    const a = vended('aaaa', ['users/aaaa/*', 'rooms/ops/*', 'lobby/*'], ['users/aaaa/*', 'rooms/ops/*', 'lobby/*', 'telemetry/*']);
    const b = vended('bbbb', ['users/bbbb/*', 'lobby/*'], ['users/bbbb/*', 'lobby/*', 'telemetry/*']);
    expect(privateTopicOf(a, 'run1')).toEqual({ grant: 'users/aaaa/*', topic: 'users/aaaa/aws-signv4-mqtt-verify/run1' });
    expect(commonGrants(a, b, 'run1')).toEqual({ grants: ['lobby/*', 'telemetry/*'], roundTrip: { grant: 'lobby/*', topic: 'lobby/aws-signv4-mqtt-verify/run1' } });
    expect(privateTopicOf(vended('cccc', ['inbox/cccc'], ['inbox/cccc']), 'run1')).toBeUndefined();
    expect(sharedScopeEvidence(a, b)).toBeUndefined();
  });

  it('recognises shared scope: one signing key for both, or the same grants naming neither user', () => {
    const a = vended('aaaa', ['users/aaaa/*'], ['users/aaaa/*'], 'AKIAFUNCTION');
    const b = vended('bbbb', ['users/bbbb/*'], ['users/bbbb/*'], 'AKIAFUNCTION');
    expect(sharedScopeEvidence(a, b)).toMatch(/signed with the same credentials/);
    const wide = (id: string): VendedMqttUrl => vended(id, ['users/*'], ['users/*']);
    expect(sharedScopeEvidence(wide('aaaa'), wide('bbbb'))).toMatch(/the same unsubstituted grants/);
  });
});

describe('the local stack\'s faults', () => {
  it('are off by default and never set by npm run dev (bin/dev.ts passes its options one by one)', () => {
    const dev = readFileSync(new URL('../../bin/dev.ts', import.meta.url), 'utf8');
    expect(dev).toMatch(/startLocalStack\(\{\n\s+port,/);
    expect(dev).not.toMatch(/faults|allowForeign|acceptTampered|omitNoStore|corsAllowAnyOrigin/);
  });
});
