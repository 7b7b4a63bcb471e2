/** The loopback STS stand-in answers as STS does, since the local stack and the handler tests rely on it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalSts } from '../local-stack/sts-server.js';

const sts = new LocalSts({ now: () => new Date('2026-01-01T00:00:00Z') });
let base = '';

async function assumeRole(params: Record<string, string>): Promise<{ status: number; text: string }> {
  const response = await fetch(base, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIACALLER0000000001/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00',
    },
    body: new URLSearchParams({ Action: 'AssumeRole', Version: '2011-06-15', ...params }).toString(),
  });
  return { status: response.status, text: await response.text() };
}

const VALID = { RoleArn: 'arn:aws:iam::123456789012:role/path/client', RoleSessionName: 'alice', DurationSeconds: '900' };

beforeAll(async () => {
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
