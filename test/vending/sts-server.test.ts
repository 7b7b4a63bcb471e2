/**
 * The loopback STS stand-in answers as STS does, since the local stack and the handler tests rely on
 * it: it authenticates each caller's SigV4 signature, evaluates the role's trust, and refuses with
 * STS's own error codes, checked through the real AWS SDK where it can send the request.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { AssumeRoleCommand, STSClient, type AssumeRoleCommandInput } from '@aws-sdk/client-sts';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalSts, type StsCallerCredentials } from '../../local/sts-server.js';

const clock = { ms: Date.parse('2026-01-01T00:00:00Z') };
const sts = new LocalSts({ now: () => new Date(clock.ms) });
let base = '';

const ROLE = 'arn:aws:iam::123456789012:role/path/client';
const CHAINED_ROLE = 'arn:aws:iam::123456789012:role/chained';
const CALLER = { accessKeyId: 'AKIACALLER0000000001', secretAccessKey: 'caller/Secret+Key=0123456789', arn: 'arn:aws:iam::123456789012:role/vending-function' };
const TEMPORARY = { accessKeyId: 'ASIATEMPORARY0000001', secretAccessKey: 'temporary-secret', sessionToken: 'temporary/Session+Token=' };
const OUTSIDER = { accessKeyId: 'AKIAOUTSIDER00000001', secretAccessKey: 'outsider-secret', arn: 'arn:aws:iam::123456789012:user/mallory' };

const VALID = { RoleArn: ROLE, RoleSessionName: 'alice', DurationSeconds: '900' };

/** Signs `POST /` with the SDK's own signer, as the SDK would; `tamper` edits the body afterwards. */
async function signedPost(
  params: Record<string, string>,
  options: { credentials?: StsCallerCredentials; signingDate?: Date; service?: string; applyChecksum?: boolean; tamper?: (body: string) => string } = {},
): Promise<Response> {
  const { host } = new URL(base);
  const body = new URLSearchParams({ Action: 'AssumeRole', Version: '2011-06-15', ...params }).toString();
  const signer = new SignatureV4({ service: options.service ?? 'sts', region: 'us-east-1', credentials: options.credentials ?? CALLER, sha256: Sha256, applyChecksum: options.applyChecksum ?? false });
  const signed = await signer.sign(
    new HttpRequest({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', path: '/', headers: { host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body }),
    { signingDate: options.signingDate ?? new Date(clock.ms) },
  );
  const { host: _host, ...headers } = signed.headers;
  return fetch(base, { method: 'POST', headers, body: options.tamper === undefined ? body : options.tamper(body) });
}

async function assumeRole(params: Record<string, string>, options?: Parameters<typeof signedPost>[1]): Promise<{ status: number; text: string }> {
  const response = await signedPost(params, options);
  return { status: response.status, text: await response.text() };
}

/** The real SDK client, its clock set to STS's (plus `skewMs`), one attempt unless told otherwise. */
function sdk(credentials: StsCallerCredentials, options: { skewMs?: number; maxAttempts?: number } = {}): STSClient {
  return new STSClient({
    region: 'us-east-1',
    endpoint: base,
    credentials,
    maxAttempts: options.maxAttempts ?? 1,
    systemClockOffset: clock.ms - Date.now() + (options.skewMs ?? 0),
  });
}

async function sdkAssumeRole(credentials: StsCallerCredentials, input: AssumeRoleCommandInput = { RoleArn: ROLE, RoleSessionName: 'sdk', DurationSeconds: 900 }, options?: { skewMs?: number; maxAttempts?: number }) {
  const client = sdk(credentials, options);
  try {
    return await client.send(new AssumeRoleCommand(input));
  } finally {
    client.destroy();
  }
}

beforeAll(async () => {
  sts.registerCaller(CALLER);
  sts.registerCaller(TEMPORARY);
  sts.registerCaller(OUTSIDER);
  sts.trustRole(ROLE, [CALLER.accessKeyId, TEMPORARY.accessKeyId]);
  // A trust policy naming a role: any session of it may assume this one (role chaining).
  sts.trustRole(CHAINED_ROLE, [ROLE]);
  base = await sts.start();
});
afterAll(async () => {
  await sts.stop();
  await sts.stop(); // a second stop is harmless
});

describe('LocalSts', () => {
  it('issues a session, remembers it and records the call', async () => {
    const { status, text } = await assumeRole({ ...VALID, Policy: '{"Version":"2012-10-17","Statement":[]}' });
    expect(status).toBe(200);
    const accessKeyId = /<AccessKeyId>(ASIA[A-Z2-7]{16})<\/AccessKeyId>/.exec(text)?.[1] ?? '';
    const session = sts.session(accessKeyId);
    expect(session).toMatchObject({ roleArn: VALID.RoleArn, roleSessionName: 'alice', durationSeconds: 900, policy: '{"Version":"2012-10-17","Statement":[]}' });
    expect(session?.expiration.toISOString()).toBe('2026-01-01T00:15:00.000Z');
    expect(text).toContain(`<Expiration>2026-01-01T00:15:00.000Z</Expiration>`);
    expect(text).toContain('<Arn>arn:aws:sts::123456789012:assumed-role/client/alice</Arn>');
    expect(session?.sessionToken.length).toBeGreaterThan(900);
    expect(sts.calls.at(-1)).toMatchObject({ callerAccessKeyId: 'AKIACALLER0000000001', policy: session?.policy });
    expect(sts.session('ASIAUNKNOWN000000000')).toBeUndefined();
  });

  it('answers the real SDK, with its Date header on STS\'s clock', async () => {
    const { Credentials, AssumedRoleUser } = await sdkAssumeRole(CALLER);
    expect(AssumedRoleUser?.Arn).toBe('arn:aws:sts::123456789012:assumed-role/client/sdk');
    expect(sts.session(Credentials?.AccessKeyId ?? '')).toMatchObject({ secretAccessKey: Credentials?.SecretAccessKey, sessionToken: Credentials?.SessionToken });
    const refused = await fetch(base, { method: 'POST' });
    expect(refused.headers.get('date')).toBe(new Date(clock.ms).toUTCString());
  });

  it.each<[string, Record<string, string>, number, string]>([
    ['a malformed role ARN', { ...VALID, RoleArn: 'arn:aws:iam::123:role/x' }, 400, 'ValidationError'],
    ['a session name with a space', { ...VALID, RoleSessionName: 'a b' }, 400, 'ValidationError'],
    ['a session name of one character', { ...VALID, RoleSessionName: 'a' }, 400, 'ValidationError'],
    ['a duration over the role limit', { ...VALID, DurationSeconds: '7200' }, 400, 'ValidationError'],
    ['a policy over 2048 characters', { ...VALID, Policy: JSON.stringify({ x: 'y'.repeat(2100) }) }, 400, 'ValidationError'],
    ['a policy that is not JSON', { ...VALID, Policy: '{' }, 400, 'MalformedPolicyDocument'],
    ['another action', { ...VALID, Action: 'GetCallerIdentity' }, 400, 'InvalidAction'],
  ])('refuses %s as STS does', async (_label, params, status, code) => {
    const { status: got, text } = await assumeRole(params);
    expect(got).toBe(status);
    expect(text).toContain(`<Code>${code}</Code>`);
  });

  it('fails the next calls on demand, then recovers', async () => {
    sts.failNext('throttle');
    sts.failNext('error', 1);
    expect(await assumeRole(VALID)).toMatchObject({ status: 400, text: expect.stringContaining('<Code>ThrottlingException</Code>') as unknown });
    expect(await assumeRole(VALID)).toMatchObject({ status: 500, text: expect.stringContaining('<Code>InternalFailure</Code>') as unknown });
    expect((await assumeRole(VALID)).status).toBe(200);
    expect(() => sts.failNext('error', 0)).toThrow(/positive integer/);
  });

  it('holds an answer until released, recording the call on arrival', async () => {
    const release = sts.holdNext();
    const before = sts.calls.length;
    let answered = false;
    const pending = assumeRole({ ...VALID, RoleSessionName: 'held' }).then((result) => {
      answered = true;
      return result;
    });
    // A second request is not held, and its answer overtakes the held one.
    expect((await assumeRole(VALID)).status).toBe(200);
    expect(sts.calls.slice(before).map((call) => call.roleSessionName).sort()).toEqual(['alice', 'held']);
    expect(answered).toBe(false);
    release();
    expect((await pending).status).toBe(200);
  });

  it('listens on loopback only and starts once', async () => {
    expect(new URL(base).hostname).toBe('127.0.0.1');
    await expect(sts.start()).rejects.toThrow(/already started/);
    await expect(new LocalSts().start(0, '0.0.0.0' as '127.0.0.1')).rejects.toThrow(/127.0.0.1 only/);
  });
});

describe('LocalSts authentication and trust', () => {
  it('refuses an unsigned request (MissingAuthenticationToken), issues nothing and records nothing', async () => {
    const before = sts.calls.length;
    // The audit's exploit: the client role with no session policy, i.e. every user's topics.
    const response = await fetch(base, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: new URLSearchParams({ Action: 'AssumeRole', Version: '2011-06-15', ...VALID }).toString(),
    });
    const text = await response.text();
    expect(response.status).toBe(403);
    expect(text).toMatch(/<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><Error><Type>Sender<\/Type><Code>MissingAuthenticationToken<\/Code>/);
    expect(text).not.toContain('<Credentials>');
    expect(sts.calls.length).toBe(before);
  });

  it('refuses a forged Authorization header that names a trusted key (SignatureDoesNotMatch)', async () => {
    const response = await fetch(base, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        'x-amz-date': '20260101T000000Z',
        authorization: `AWS4-HMAC-SHA256 Credential=${CALLER.accessKeyId}/20260101/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=${'0'.repeat(64)}`,
      },
      body: new URLSearchParams({ Action: 'AssumeRole', Version: '2011-06-15', ...VALID }).toString(),
    });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it.each<[string, string, StsCallerCredentials]>([
    ['the wrong secret', 'SignatureDoesNotMatch', { ...CALLER, secretAccessKey: 'not-the-secret' }],
    ['an unknown access key', 'InvalidClientTokenId', { accessKeyId: 'AKIANOBODY0000000001', secretAccessKey: 'whatever' }],
    ['temporary credentials without their session token', 'InvalidClientTokenId', { accessKeyId: TEMPORARY.accessKeyId, secretAccessKey: TEMPORARY.secretAccessKey }],
    ['temporary credentials with another token', 'InvalidClientTokenId', { ...TEMPORARY, sessionToken: 'another-token' }],
  ])('refuses a caller with %s through the SDK (403 %s)', async (_label, code, credentials) => {
    const before = sts.calls.length;
    await expect(sdkAssumeRole(credentials)).rejects.toMatchObject({ name: code, $metadata: { httpStatusCode: 403 } });
    expect(sts.calls.length).toBe(before);
  });

  it('accepts temporary credentials with their own session token', async () => {
    const { Credentials } = await sdkAssumeRole(TEMPORARY);
    expect(Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(sts.calls.at(-1)?.callerAccessKeyId).toBe(TEMPORARY.accessKeyId);
  });

  it('refuses a request dated more than 15 minutes off its clock (SignatureDoesNotMatch), as STS does', async () => {
    await expect(sdkAssumeRole(CALLER, undefined, { skewMs: -16 * 60_000 })).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
      message: expect.stringMatching(/^Signature expired: \d{8}T\d{6}Z is now earlier than 20251231T234500Z \(20260101T000000Z - 15 min\.\)$/) as unknown,
      $metadata: { httpStatusCode: 403 },
    });
    await expect(sdkAssumeRole(CALLER, undefined, { skewMs: 16 * 60_000 })).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
      message: expect.stringMatching(/^Signature not yet current:/) as unknown,
    });
    // 14 minutes off is still accepted.
    expect((await sdkAssumeRole(CALLER, undefined, { skewMs: -14 * 60_000 })).Credentials).toBeDefined();
    // With a retry left, the SDK corrects its clock from the refusal's Date header, as against AWS.
    expect((await sdkAssumeRole(CALLER, undefined, { skewMs: -60 * 60_000, maxAttempts: 2 })).Credentials).toBeDefined();
  });

  it.each([
    ['without', false],
    ['with', true],
  ])('refuses a body changed after signing, such as a session policy removed, %s x-amz-content-sha256', async (_label, applyChecksum) => {
    const policy = '{"Version":"2012-10-17","Statement":[]}';
    const { status, text } = await assumeRole({ ...VALID, Policy: policy }, { applyChecksum, tamper: (body) => body.replace(/&Policy=[^&]*/, '') });
    expect(status).toBe(403);
    expect(text).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect((await assumeRole({ ...VALID, Policy: policy }, { applyChecksum })).status).toBe(200);
  });

  it('refuses a signature scoped to another service', async () => {
    const { status, text } = await assumeRole(VALID, { service: 'iam' });
    expect(status).toBe(403);
    expect(text).toContain("<Message>Credential should be scoped to correct service: 'sts'.</Message>");
  });

  it('refuses a caller the role does not trust (AccessDenied) and a role nobody is trusted by, after recording the call', async () => {
    const before = sts.calls.length;
    await expect(sdkAssumeRole(OUTSIDER)).rejects.toMatchObject({
      name: 'AccessDenied',
      message: `User: ${OUTSIDER.arn} is not authorized to perform: sts:AssumeRole on resource: ${ROLE}`,
      $metadata: { httpStatusCode: 403 },
    });
    await expect(sdkAssumeRole(CALLER, { RoleArn: 'arn:aws:iam::123456789012:role/no-trust-set', RoleSessionName: 'x1' })).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(sts.calls.slice(before).map((call) => call.callerAccessKeyId)).toEqual([OUTSIDER.accessKeyId, CALLER.accessKeyId]);
  });

  it('authenticates the sessions it issues: a role trusted by role ARN can be chained, until the session expires', async () => {
    const { Credentials } = await sdkAssumeRole(CALLER);
    const session = { accessKeyId: Credentials?.AccessKeyId ?? '', secretAccessKey: Credentials?.SecretAccessKey ?? '', sessionToken: Credentials?.SessionToken ?? '' };
    const chained = await sdkAssumeRole(session, { RoleArn: CHAINED_ROLE, RoleSessionName: 'chained', DurationSeconds: 900 });
    expect(chained.AssumedRoleUser?.Arn).toBe('arn:aws:sts::123456789012:assumed-role/chained/chained');
    // The client role trusts the caller's key, not its own sessions.
    await expect(sdkAssumeRole(session)).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringContaining('User: arn:aws:sts::123456789012:assumed-role/client/sdk is not') as unknown,
    });
    const start = clock.ms;
    try {
      clock.ms += 900_000;
      await expect(sdkAssumeRole(session, { RoleArn: CHAINED_ROLE, RoleSessionName: 'late' })).rejects.toMatchObject({ name: 'ExpiredToken', $metadata: { httpStatusCode: 403 } });
    } finally {
      clock.ms = start;
    }
  });

  it('validates registrations and trust with messages that show the value', () => {
    expect(() => sts.registerCaller({ accessKeyId: 'akia-lower', secretAccessKey: 's' })).toThrow(/accessKeyId must be 16 to 128 upper-case letters and digits \(received "akia-lower"\)/);
    expect(() => sts.registerCaller({ accessKeyId: 'AKIAEMPTYSECRET00001', secretAccessKey: '' })).toThrow(/secretAccessKey of AKIAEMPTYSECRET00001 must be a non-empty string/);
    expect(() => sts.registerCaller({ ...CALLER, sessionToken: '' })).toThrow(/sessionToken of AKIACALLER0000000001 must be a non-empty string/);
    expect(() => sts.trustRole('arn:aws:iam::1:role/x', [])).toThrow(/roleArn must be an IAM role ARN \(received "arn:aws:iam::1:role\/x"\)/);
    expect(() => sts.trustRole(ROLE, ['*'])).toThrow(/must be an access key id or a role ARN \(received "\*"\)/);
  });
});
