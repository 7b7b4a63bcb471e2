/**
 * Per-user credentials and the session cache on real clocks and at their boundaries. Each test was
 * written against a mutant that survived the rest of the suite (`npm run mutate`): the older tests
 * ran the source on a clock at 0, where `expiresAtMs - now()` and `expiresAtMs + now()` agree.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PerUserScope } from '../../lambda/vending/config.js';
import { perUserCredentialSource, sharedCredentialSource, STS_DEADLINE_DEFAULT_MS, type AssumeRole, type AssumeRoleRequest, type SessionCredentials } from '../../lambda/vending/credentials.js';
import { granteeKey } from '../../lambda/vending/topic-templates.js';
import { CredentialsUnavailableError } from '../../lambda/vending/errors.js';
import type { StsObservation } from '../../lambda/vending/credentials.js';
import { SessionCache, type Expiring } from '../../lambda/vending/session-cache.js';

// Plain data, no call into the code under test at load time: a mutant that broke module-level code
// would otherwise fail this file's collection, which Stryker's vitest runner does not count as a kill.
const scope: PerUserScope = {
  kind: 'per-user',
  roleArn: 'arn:aws:iam::123456789012:role/client',
  arn: { partition: 'aws', region: 'eu-west-1', account: '123456789012' },
  sessionDurationSeconds: 900,
  sessionCacheSize: 100,
  stsRegion: 'eu-west-1',
};
const templates = { publish: ['users/${sub}/*'], subscribe: ['users/${sub}/*'] };
// URL TTL 300 s + the 60 s refresh margin: a session must have this much left to be used.
const MIN_REMAINING_MS = 360_000;

function session(expiresAtMs: number, id = 'ASIAEXAMPLEEXAMPLE01'): SessionCredentials {
  return { accessKeyId: id, secretAccessKey: 's', sessionToken: 't', expiresAtMs };
}

function sourceWith(assumeRole: AssumeRole, extra: { now?: () => number; onStsCall?: (o: StsObservation) => void; allowRetain?: boolean; deadlineMs?: number } = {}) {
  return perUserCredentialSource({ scope, templates, allowRetain: extra.allowRetain ?? false, urlTtlSeconds: 300, assumeRole, ...extra });
}

describe('perUserCredentialSource on a real clock', () => {
  it('refuses a session that ends too soon when the clock is the real one (no now option)', async () => {
    let calls = 0;
    const source = sourceWith(async () => {
      calls += 1;
      // Thirty seconds left: far less than a 300 s URL plus the 60 s margin.
      return session(Date.now() + 30_000);
    });
    const error = await source.credentialsFor({ sub: 'alice', groups: [] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CredentialsUnavailableError);
    expect(error).toMatchObject({ throttled: false, message: expect.stringMatching(/^STS returned a session that ends at \d{4}-\d\d-\d\dT[\d:.]+Z, before a URL signed now would$/) as unknown });
    await expect(source.credentialsFor({ sub: 'alice', groups: [] })).rejects.toThrow(CredentialsUnavailableError);
    expect(calls).toBe(2);
  });

  it('uses and caches a session with comfortably more than the URL TTL + 60 s left on the real clock', async () => {
    let calls = 0;
    const source = sourceWith(async () => {
      calls += 1;
      return session(Date.now() + MIN_REMAINING_MS + 60_000);
    });
    expect(await source.credentialsFor({ sub: 'alice', groups: [] })).toMatchObject({ lookup: 'miss' });
    expect(await source.credentialsFor({ sub: 'alice', groups: [] })).toMatchObject({ lookup: 'hit' });
    expect(calls).toBe(1);
  });

  it('compares the time left, not the expiry, with the clock at a real epoch', async () => {
    const nowMs = Date.parse('2030-01-01T00:00:00Z');
    const at = (remainingMs: number) => sourceWith(async () => session(nowMs + remainingMs), { now: () => nowMs });
    // Exactly the margin left is enough; a millisecond less is not.
    expect(await at(MIN_REMAINING_MS).credentialsFor({ sub: 'alice', groups: [] })).toMatchObject({ lookup: 'miss' });
    await expect(at(MIN_REMAINING_MS - 1).credentialsFor({ sub: 'alice', groups: [] })).rejects.toThrow(/^STS returned a session that ends at 2030-01-01T00:05:59\.999Z/);
    // A session that already ended is refused too.
    await expect(at(-1000).credentialsFor({ sub: 'alice', groups: [] })).rejects.toThrow(CredentialsUnavailableError);
  });

  it('refreshes a cached session once less than the URL TTL + 60 s of it remains', async () => {
    let nowMs = Date.parse('2030-01-01T00:00:00Z');
    let calls = 0;
    const source = sourceWith(async () => {
      calls += 1;
      return session(Date.parse('2030-01-01T00:00:00Z') + 900_000, `ASIAEXAMPLEEXAMPLE0${calls}`);
    }, { now: () => nowMs });
    expect(await source.credentialsFor({ sub: 'alice', groups: [] })).toMatchObject({ lookup: 'miss' });
    nowMs += 900_000 - MIN_REMAINING_MS; // exactly the margin left: still served from the cache
    expect(await source.credentialsFor({ sub: 'alice', groups: [] })).toMatchObject({ lookup: 'hit' });
    expect(calls).toBe(1);
  });
});

describe('perUserCredentialSource requests and observations', () => {
  it('asks STS for the caller, with the retain grant when allowed', async () => {
    const requests: AssumeRoleRequest[] = [];
    const source = sourceWith(async (request) => {
      requests.push(request);
      return session(Date.now() + 900_000);
    }, { allowRetain: true });
    await source.credentialsFor({ sub: 'alice', groups: [] });
    expect(requests).toEqual([{
      roleArn: 'arn:aws:iam::123456789012:role/client',
      roleSessionName: 'alice',
      policy: expect.stringContaining('"iot:RetainPublish"') as unknown,
      durationSeconds: 900,
    }]);
    expect(requests[0]?.policy).toContain('client/alice"');
  });

  it('tells the observer about every call: ok, throttled, failed, and a session that ends too soon', async () => {
    const observations: StsObservation[] = [];
    const onStsCall = (observation: StsObservation): void => {
      observations.push(observation);
    };
    const outcomes: (() => Promise<SessionCredentials>)[] = [
      async () => session(Date.now() + 900_000),
      async () => {
        throw new CredentialsUnavailableError('Rate exceeded', true);
      },
      async () => {
        throw new CredentialsUnavailableError('STS failed', false);
      },
      async () => {
        throw new Error('not a vending failure');
      },
      async () => session(Date.now() + 1000),
    ];
    let call = 0;
    const source = sourceWith(() => (outcomes[call++] as () => Promise<SessionCredentials>)(), { onStsCall });
    for (const sub of ['a', 'b', 'c', 'd', 'e']) await source.credentialsFor({ sub, groups: [] }).catch(() => undefined);
    expect(observations.map((o) => o.outcome)).toEqual(['ok', 'throttled', 'failed', 'failed', 'failed']);
    for (const observation of observations) {
      expect(observation.durationMs).toBeGreaterThanOrEqual(0);
      expect(observation.durationMs).toBeLessThan(5000);
    }
  });

  it('measures each STS call from its start to its end', async () => {
    let clockMs = 50_000;
    const spy = vi.spyOn(performance, 'now').mockImplementation(() => clockMs);
    try {
      const observations: StsObservation[] = [];
      let call = 0;
      const source = sourceWith(async () => {
        clockMs += 250;
        call += 1;
        if (call === 2) throw new CredentialsUnavailableError('Rate exceeded', true);
        return session(Date.now() + 900_000);
      }, { onStsCall: (observation) => observations.push(observation) });
      await source.credentialsFor({ sub: 'alice', groups: [] });
      await source.credentialsFor({ sub: 'bob', groups: [] }).catch(() => undefined);
      expect(observations).toEqual([{ outcome: 'ok', durationMs: 250 }, { outcome: 'throttled', durationMs: 250 }]);
    } finally {
      spy.mockRestore();
    }
  });

  it('keeps a session per sub and set of groups', async () => {
    let calls = 0;
    const source = sourceWith(async () => {
      calls += 1;
      return session(Date.now() + 900_000);
    });
    await source.credentialsFor({ sub: 'alice', groups: [] });
    await source.credentialsFor({ sub: 'alice', groups: ['team-a'] });
    await source.credentialsFor({ sub: 'alice', groups: ['team-a', 'team-b'] });
    expect(await source.credentialsFor({ sub: 'alice', groups: ['team-a'] })).toMatchObject({ lookup: 'hit' });
    expect(calls).toBe(3);
    expect(granteeKey({ sub: 'alice', groups: [] })).toBe('alice');
    expect(granteeKey({ sub: 'alice', groups: ['a', 'b'] })).toBe('alice\na,b');
  });

  it('waits 5000 ms for STS by default', () => {
    expect(STS_DEADLINE_DEFAULT_MS).toBe(5000);
  });
});

describe('perUserCredentialSource deadline on a real clock', () => {
  it('answers 503 after deadlineMs, naming the deadline', async () => {
    const source = sourceWith(() => new Promise<SessionCredentials>((resolve) => setTimeout(() => resolve(session(Date.now() + 900_000)), 300)), { deadlineMs: 20 });
    const started = performance.now();
    const error = await source.credentialsFor({ sub: 'slow', groups: [] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CredentialsUnavailableError);
    expect(error).toMatchObject({ message: 'STS did not answer AssumeRole within 20 ms', throttled: false });
    expect(performance.now() - started).toBeLessThan(290);
  });
});

interface Session extends Expiring {
  readonly id: number;
}

describe('SessionCache without maxWaitMs', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits for a slow load on a real clock instead of timing out', async () => {
    const cache = new SessionCache<Session>({ maxEntries: 4 });
    const slowLoad = () => new Promise<Session>((resolve) => setTimeout(() => resolve({ id: 1, expiresAtMs: Date.now() + 60_000 }), 50));
    const started = performance.now();
    expect(await cache.get('alice', 0, slowLoad)).toEqual({ value: { id: 1, expiresAtMs: expect.any(Number) as unknown }, hit: false });
    expect(performance.now() - started).toBeGreaterThanOrEqual(40);
    expect(await cache.get('alice', 0, slowLoad)).toMatchObject({ hit: true, value: { id: 1 } });
  });

  it('waits for a load that takes minutes when no deadline is set', async () => {
    vi.useFakeTimers({ now: 0 });
    const cache = new SessionCache<Session>({ maxEntries: 4, now: () => Date.now() });
    let settled = false;
    const lookup = cache.get('alice', 0, () => new Promise<Session>((resolve) => setTimeout(() => resolve({ id: 2, expiresAtMs: 10_000_000 }), 180_000)));
    void lookup.then(() => {
      settled = true;
    }, () => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(179_999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await lookup).toEqual({ value: { id: 2, expiresAtMs: 10_000_000 }, hit: false });
  });

  it('rejects a waiter with the default timeout error when maxWaitMs passes', async () => {
    const cache = new SessionCache<Session>({ maxEntries: 4, maxWaitMs: 10 });
    const error = await cache.get('alice', 0, () => new Promise<Session>((resolve) => setTimeout(() => resolve({ id: 3, expiresAtMs: Date.now() + 60_000 }), 200))).catch((caught: unknown) => caught);
    expect(error).toEqual(new Error('SessionCache load did not settle within 10 ms'));
  });

  it('accepts the smallest positive maxWaitMs and a maxEntries of 1', () => {
    expect(() => new SessionCache<Session>({ maxEntries: 1, maxWaitMs: 0.5 })).not.toThrow();
    expect(() => new SessionCache<Session>({ maxEntries: 1, maxWaitMs: Number.MIN_VALUE })).not.toThrow();
    expect(() => new SessionCache<Session>({ maxEntries: 0 })).toThrow('SessionCache maxEntries must be a positive integer (received 0)');
    expect(() => new SessionCache<Session>({ maxEntries: 1, maxWaitMs: 0 })).toThrow('SessionCache maxWaitMs must be a positive number of milliseconds (received 0)');
  });

  it('serves a cached value with exactly minRemainingMs left on a real epoch clock, and reloads one millisecond later', async () => {
    let nowMs = Date.parse('2030-06-01T00:00:00Z');
    const cache = new SessionCache<Session>({ maxEntries: 4, now: () => nowMs });
    let loads = 0;
    const load = async (): Promise<Session> => ({ id: ++loads, expiresAtMs: nowMs + 1000 });
    await cache.get('k', 500, load);
    nowMs += 500;
    expect(await cache.get('k', 500, load)).toMatchObject({ hit: true, value: { id: 1 } });
    nowMs += 1;
    expect(await cache.get('k', 500, load)).toMatchObject({ hit: false, value: { id: 2 } });
  });
});

describe('sharedCredentialSource', () => {
  it('answers 503 with a message that names the function\'s own credentials', async () => {
    const source = sharedCredentialSource(async () => ({ accessKeyId: 'short', secretAccessKey: 's' }));
    await expect(source.credentialsFor({ sub: 'a', groups: [] })).rejects.toThrow(new CredentialsUnavailableError("the function's own credentials could not be loaded or are malformed", false));
  });
});
