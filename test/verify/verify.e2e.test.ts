/**
 * `aws-signv4-mqtt verify` against the local stack, with alice and carol: a healthy stack passes
 * every check; a stack broken on purpose for one check (its test-only `faults`) fails that check by
 * name and exits 1; a shared-scope stack is recognised. One stack per kind for the whole file: the
 * faults object is read on every request, so each test switches its fault on and off again.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_GRANTS } from '../../local/demo-grants.js';
import { startLocalStack, type LocalStack, type LocalStackFaults } from '../../local/dev-server.js';
import { signIn, type StackUser } from '../local/stack-users.js';
import { checkOf, reportOf, verify, type JsonReport } from './verify-harness.js';

const root = new URL('../../', import.meta.url).pathname;
const ALL_CHECKS = ['vend', 'no-store', 'cors', 'scope', 'round-trip', 'foreign-subscribe', 'shared-topics', 'foreign-publish', 'foreign-client-id', 'tampered-url'];

/** Switched per test; the stack reads it on every request. */
const faults: { -readonly [K in keyof LocalStackFaults]: LocalStackFaults[K] } = {};

describe('a per-user stack (the demo grants: private users/<sub>/*, group rooms, a shared lobby)', () => {
  let stack: LocalStack;
  let alice: StackUser;
  let carol: StackUser;
  const tokens = (): Record<string, string> => ({ VERIFY_TOKEN_A: alice.token, VERIFY_TOKEN_B: carol.token });
  const json = async (...extra: string[]): Promise<{ status: number; report: JsonReport; stderr: string }> => {
    const run = await verify(['--api-url', stack.url, '--origin', stack.url, '--json', '--timeout', '20', ...extra], tokens());
    return { status: run.status, report: reportOf(run), stderr: run.stderr };
  };

  beforeAll(async () => {
    // Rate limit off: the file vends for alice and carol a dozen times in a few seconds.
    stack = await startLocalStack({ quiet: true, userRatePerSecond: 0, publishTopicTemplates: DEMO_GRANTS.publish, subscribeTopicTemplates: DEMO_GRANTS.subscribe, faults });
    alice = await signIn(stack.url, 'alice');
    carol = await signIn(stack.url, 'carol');
  });

  afterEach(() => {
    for (const key of Object.keys(faults) as (keyof LocalStackFaults)[]) delete faults[key];
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('passes every check, exits 0, and prints no token or URL', async () => {
    const run = await verify(['--api-url', stack.url, '--origin', stack.url, '--json'], tokens());
    expect(run.status, run.stdout).toBe(0);
    const report = reportOf(run);
    expect(report).toMatchObject({ ok: true, exitCode: 0, scope: 'per-user', isolationFailures: [] });
    expect(report.checks.map((check) => check.name)).toEqual(ALL_CHECKS);
    for (const check of report.checks) {
      expect(check, check.name).toMatchObject({ ok: true, ms: expect.any(Number), detail: expect.any(String) });
    }
    // Only the shared-topics check may be skipped: the demo grants share lobby/* and telemetry/*.
    expect(report.checks.filter((check) => check.skipped === true).map((check) => check.name)).toEqual(['shared-topics']);
    expect(checkOf(report, 'shared-topics')).toMatchObject({ shared: true, detail: expect.stringMatching(/shared by design: lobby\/\*, telemetry\/\* \(nothing written there/) });
    expect(checkOf(report, 'foreign-subscribe').detail).toMatch(/refused with SUBACK 0x80/);
    expect(checkOf(report, 'foreign-client-id').detail).toMatch(/refused with CONNACK 5 \(not authorized\), after the 1 CONNECT\/s window; A stayed connected/);
    const printed = `${run.stdout}${run.stderr}`;
    for (const secret of [alice.token, carol.token, 'X-Amz-Signature', 'ws://', alice.sub, carol.sub]) expect(printed).not.toContain(secret);
    // Nothing was written into the shared lobby without --include-shared.
    expect(printed).not.toMatch(/lobby\/aws-signv4-mqtt-verify/);
  });

  it('prints a table for people', async () => {
    const run = await verify(['--api-url', stack.url], tokens());
    expect(run.status, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/^aws-signv4-mqtt verify http:\/\/127\.0\.0\.1:\d+ \(per-user scope\)\n\nCHECK +RESULT +MS +DETAIL\nvend +pass /);
    expect(run.stdout).toMatch(/\ncors +skip +\d+ +not asked: pass --origin/);
    expect(run.stdout).toMatch(/\nOK: all 10 checks passed in \d+\.\d s\.\n$/);
  });

  it('--include-shared makes a round trip on the shared lobby, reported as shared by design', async () => {
    const { status, report } = await json('--include-shared');
    expect(status).toBe(0);
    expect(checkOf(report, 'shared-topics')).toMatchObject({ ok: true, shared: true, detail: expect.stringMatching(/^shared by design: B's QoS 1 message reached A on lobby\/aws-signv4-mqtt-verify\/[0-9a-f]{16}/) });
    expect(checkOf(report, 'shared-topics').skipped).toBeUndefined();
  });

  it.each([
    ['foreign-subscribe', { allowForeignSubscribe: true }, /^ISOLATION FAILURE: B's SUBSCRIBE to A's users\/<A>\/aws-signv4-mqtt-verify\/\w+ was granted/, true],
    ['foreign-publish', { allowForeignPublish: true }, /^ISOLATION FAILURE: B's PUBLISH into A's users\/<A>\/aws-signv4-mqtt-verify\/\w+ reached A/, true],
    ['foreign-client-id', { allowForeignClientId: true }, /^ISOLATION FAILURE: B connected with A's client ID, and A was disconnected \(taken over\)/, true],
    ['tampered-url', { acceptTamperedUrls: true }, /accepted tampered URLs: one with X-Amz-Expires raised and one with a signature character changed/, false],
    ['no-store', { omitNoStore: true }, /lacks Cache-Control: no-store/, false],
    ['cors', { corsAllowAnyOrigin: true }, /a preflight from a foreign origin .* got Access-Control-Allow-Origin/, false],
  ] as const)('fails %s, by name, against a stack broken for it', async (name, fault, detail, isolation) => {
    Object.assign(faults, fault);
    const { status, report } = await json();
    expect(status).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.checks.filter((check) => !check.ok).map((check) => check.name)).toEqual([name]);
    expect(checkOf(report, name).detail).toMatch(detail);
    expect(report.isolationFailures).toEqual(isolation ? [name] : []);
  });

  it('exits 3 for a garbage token and names the 401', async () => {
    const run = await verify(['--api-url', stack.url], { VERIFY_TOKEN_A: alice.token, VERIFY_TOKEN_B: 'garbage' });
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(/could not vend for user B: the API answered HTTP 401 Unauthorized/);
  });

  it('exits 2 for two tokens of one user (they vend the same principal)', async () => {
    const response = await fetch(`${stack.url}/cognito`, {
      method: 'POST',
      headers: { 'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth', 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: 'local', AuthParameters: { USERNAME: 'alice', PASSWORD: 'local-dev' } }),
    });
    const { AuthenticationResult } = (await response.json()) as { AuthenticationResult: { IdToken: string; AccessToken: string } };
    expect(AuthenticationResult.AccessToken).not.toBe(AuthenticationResult.IdToken);
    const run = await verify(['--api-url', stack.url], { VERIFY_TOKEN_A: AuthenticationResult.IdToken, VERIFY_TOKEN_B: AuthenticationResult.AccessToken });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/the two tokens belong to the same user \(both vend the same principal\)/);
    expect(run.stdout).toBe('');
  });

  it('takes a token from --token-a-command without echoing its stdout', async () => {
    const run = await verify(['--api-url', stack.url, '--json', '--token-a-command', 'printf "%s\\n" "$ALICE_TOKEN_FOR_TEST"'], { ALICE_TOKEN_FOR_TEST: alice.token, VERIFY_TOKEN_B: carol.token });
    expect(run.status, run.stdout).toBe(0);
    expect(reportOf(run).ok).toBe(true);
    expect(`${run.stdout}${run.stderr}`).not.toContain(alice.token);
  });

  it('runs as the installed executable (bin/aws-signv4-mqtt.ts verify)', async () => {
    const result = await promisify(execFile)(join(root, 'node_modules/.bin/tsx'), ['bin/aws-signv4-mqtt.ts', 'verify', '--api-url', stack.url, '--json'], {
      cwd: root,
      env: { PATH: process.env['PATH'] ?? '', AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', VERIFY_TOKEN_A: alice.token, VERIFY_TOKEN_B: carol.token },
      timeout: 60_000,
    });
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report).toMatchObject({ ok: true, exitCode: 0 });
    expect(report.checks.map((check) => check.name)).toEqual(ALL_CHECKS);
    expect(`${result.stdout}${result.stderr}`).not.toContain(alice.token);
  });
});

describe('a shared-scope stack', () => {
  let stack: LocalStack;
  let tokens: Record<string, string>;

  beforeAll(async () => {
    stack = await startLocalStack({ quiet: true, userRatePerSecond: 0, scope: 'shared' });
    tokens = { VERIFY_TOKEN_A: (await signIn(stack.url, 'alice')).token, VERIFY_TOKEN_B: (await signIn(stack.url, 'carol')).token };
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('is recognised and named, and fails without --expect-shared', async () => {
    const run = await verify(['--api-url', stack.url, '--json'], tokens);
    expect(run.status).toBe(1);
    const report = reportOf(run);
    expect(report.scope).toBe('shared');
    expect(report.checks.filter((check) => !check.ok).map((check) => check.name)).toEqual(['scope']);
    expect(checkOf(report, 'scope').detail).toMatch(/^SHARED SCOPE: this deployment does not keep users apart, by design: both users' URLs are signed with the same credentials .*Pass --expect-shared if that is intended/);
    for (const name of ['foreign-subscribe', 'foreign-publish', 'foreign-client-id']) expect(checkOf(report, name)).toMatchObject({ ok: true, skipped: true, shared: true });
    expect(checkOf(report, 'round-trip').ok).toBe(true);
  });

  it('exits 0 with --expect-shared', async () => {
    const run = await verify(['--api-url', stack.url, '--json', '--expect-shared'], tokens);
    expect(run.status, run.stdout).toBe(0);
    expect(checkOf(reportOf(run), 'scope').detail).toMatch(/^shared scope, as expected \(--expect-shared\)/);
  });
});
