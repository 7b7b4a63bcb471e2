import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig, type PerUserScope } from '../../lambda/vending/config.js';
import { perUserCredentialSource, sharedCredentialSource, type AssumeRoleRequest, type SessionCredentials } from '../../lambda/vending/credentials.js';
import { CredentialsUnavailableError } from '../../lambda/vending/errors.js';
import { COGNITO_ENV } from './helpers.js';

const config = parseConfig({ ...COGNITO_ENV, IOT_ENDPOINT: 'abc-ats.iot.eu-west-1.amazonaws.com', CLIENT_ROLE_ARN: 'arn:aws:iam::123456789012:role/client', SESSION_DURATION_SECONDS: '900' });
const scope = config.scope as PerUserScope;

describe('perUserCredentialSource', () => {
  it('assumes the client role with the caller session name, policy and duration', async () => {
    const requests: AssumeRoleRequest[] = [];
    const source = perUserCredentialSource({
      scope,
      templates: config.templates,
      allowRetain: false,
      urlTtlSeconds: 300,
      now: () => 0,
      assumeRole: async (request) => {
        requests.push(request);
        return { accessKeyId: 'ASIAEXAMPLEEXAMPLE01', secretAccessKey: 's', sessionToken: 't', expiresAtMs: 900_000 };
      },
    });
    expect(await source.credentialsFor({ sub: 'eu-west-1:abc', groups: [] })).toMatchObject({ lookup: 'miss', credentials: { accessKeyId: 'ASIAEXAMPLEEXAMPLE01' } });
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ roleArn: 'arn:aws:iam::123456789012:role/client', durationSeconds: 900, roleSessionName: expect.stringMatching(/^eu-west-1\.abc\.[A-Za-z0-9_-]{22}$/) as unknown });
    expect(requests[0]?.policy).toContain('client/eu-west-1:abc');
  });

  it('refuses, and does not cache, a session that would end before a URL signed now', async () => {
    let calls = 0;
    const source = perUserCredentialSource({
      scope,
      templates: config.templates,
      allowRetain: false,
      urlTtlSeconds: 300,
      now: () => 0,
      assumeRole: async () => {
        calls += 1;
        // 359 s left: less than the 300 s URL plus the 60 s margin.
        return { accessKeyId: 'ASIAEXAMPLEEXAMPLE01', secretAccessKey: 's', sessionToken: 't', expiresAtMs: 359_000 };
      },
    });
    await expect(source.credentialsFor({ sub: 'alice', groups: [] })).rejects.toThrow(CredentialsUnavailableError);
    await expect(source.credentialsFor({ sub: 'alice', groups: [] })).rejects.toThrow(/ends at 1970-01-01T00:05:59.000Z/);
    expect(calls).toBe(2);
  });
});

describe('perUserCredentialSource cachedCredentialsFor', () => {
  it('gives a cached session with time left at once, per grantee, and nothing otherwise', async () => {
    let nowMs = 0;
    let calls = 0;
    const source = perUserCredentialSource({
      scope,
      templates: config.templates,
      allowRetain: false,
      urlTtlSeconds: 300,
      now: () => nowMs,
      assumeRole: async () => {
        calls += 1;
        return { accessKeyId: `ASIAEXAMPLEEXAMPL${String(calls).padStart(3, '0')}`, secretAccessKey: 's', sessionToken: 't', expiresAtMs: 900_000 };
      },
    });
    const alice = { sub: 'alice', groups: [] };
    expect(source.cachedCredentialsFor?.(alice)).toBeUndefined();
    const loaded = await source.credentialsFor(alice);
    expect(source.cachedCredentialsFor?.(alice)).toEqual({ lookup: 'hit', credentials: loaded.credentials });
    // Another grantee, or the same sub with other groups, is another session.
    expect(source.cachedCredentialsFor?.({ sub: 'bob', groups: [] })).toBeUndefined();
    expect(source.cachedCredentialsFor?.({ sub: 'alice', groups: ['team-a'] })).toBeUndefined();
    // 900 s session, 300 s URL and 60 s margin: served until 540 s, not after.
    nowMs = 540_000;
    expect(source.cachedCredentialsFor?.(alice)?.lookup).toBe('hit');
    nowMs = 540_001;
    expect(source.cachedCredentialsFor?.(alice)).toBeUndefined();
    expect(calls).toBe(1);
  });

  it('is absent from the shared source, whose every request reads the provider', () => {
    expect(sharedCredentialSource(async () => ({ accessKeyId: 'AKIAEXAMPLEEXAMPLE01', secretAccessKey: 's' })).cachedCredentialsFor).toBeUndefined();
  });
});

describe('perUserCredentialSource deadline', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A source on the fake clock whose STS answers only when the test releases it; counts calls. */
  function heldStsSource(deadlineMs?: number) {
    const held = { calls: 0, release: (_session: SessionCredentials): void => undefined };
    const source = perUserCredentialSource({
      scope,
      templates: config.templates,
      allowRetain: false,
      urlTtlSeconds: 300,
      now: () => Date.now(),
      ...(deadlineMs === undefined ? {} : { deadlineMs }),
      assumeRole: () => {
        held.calls += 1;
        return new Promise((resolve) => {
          held.release = resolve;
        });
      },
    });
    return { source, held };
  }

  it('answers CredentialsUnavailableError at the deadline, keeps the one STS call in flight, and caches its late session', async () => {
    vi.useFakeTimers({ now: 0 });
    const { source, held } = heldStsSource();
    const first = source.credentialsFor({ sub: 'alice', groups: [] }).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(4999);
    expect(held.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1); // the default deadline: 5000 ms
    const error = await first;
    expect(error).toBeInstanceOf(CredentialsUnavailableError);
    expect(error).toMatchObject({ message: 'STS did not answer AssumeRole within 5000 ms', throttled: false, retryAfterSeconds: 2 });

    // STS is still working on it: the next request waits for that call instead of making another.
    const second = source.credentialsFor({ sub: 'alice', groups: [] });
    await vi.advanceTimersByTimeAsync(1500);
    held.release({ accessKeyId: 'ASIALATELATELATE0001', secretAccessKey: 's', sessionToken: 't', expiresAtMs: 900_000 });
    expect(await second).toMatchObject({ lookup: 'miss', credentials: { accessKeyId: 'ASIALATELATELATE0001' } });
    expect(await source.credentialsFor({ sub: 'alice', groups: [] })).toMatchObject({ lookup: 'hit' });
    expect(held.calls).toBe(1);
  });

  it('caches a late session even when nobody waits for it any more', async () => {
    vi.useFakeTimers({ now: 0 });
    const { source, held } = heldStsSource(200);
    const first = source.credentialsFor({ sub: 'bob', groups: [] }).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(200);
    expect(await first).toMatchObject({ message: 'STS did not answer AssumeRole within 200 ms' });
    held.release({ accessKeyId: 'ASIALATELATELATE0002', secretAccessKey: 's', sessionToken: 't', expiresAtMs: 900_000 });
    await vi.advanceTimersByTimeAsync(0);
    expect(await source.credentialsFor({ sub: 'bob', groups: [] })).toMatchObject({ lookup: 'hit', credentials: { accessKeyId: 'ASIALATELATELATE0002' } });
    expect(held.calls).toBe(1);
  });
});

describe('sharedCredentialSource', () => {
  it('passes the provider credentials through, validated', async () => {
    const source = sharedCredentialSource(async () => ({ accessKeyId: 'AKIAEXAMPLEEXAMPLE01', secretAccessKey: 'secret' }));
    expect(await source.credentialsFor({ sub: 'anyone', groups: [] })).toEqual({ lookup: 'shared', credentials: { accessKeyId: 'AKIAEXAMPLEEXAMPLE01', secretAccessKey: 'secret', sessionToken: undefined } });
  });

  it('answers CredentialsUnavailableError for missing or malformed credentials, keeping the cause', async () => {
    const missing = sharedCredentialSource(async () => {
      throw new Error('Could not load credentials from any providers');
    });
    await expect(missing.credentialsFor({ sub: 'a', groups: [] })).rejects.toThrow(CredentialsUnavailableError);
    const malformed = sharedCredentialSource(async () => ({ accessKeyId: 'short', secretAccessKey: 'secret' }));
    const error = await malformed.credentialsFor({ sub: 'a', groups: [] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CredentialsUnavailableError);
    expect((error as Error).cause).toMatchObject({ name: 'InvalidSigningOptionError', option: 'credentials.accessKeyId' });
  });
});
