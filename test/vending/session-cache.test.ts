import { afterEach, describe, expect, it, vi } from 'vitest';
import { SessionCache, type Expiring } from '../../lambda/vending/session-cache.js';

interface Session extends Expiring {
  readonly id: number;
}

/** A load function that counts its calls and hands out sessions expiring `lifetimeMs` after `now`. */
function loader(clock: { ms: number }, lifetimeMs = 3_600_000) {
  let calls = 0;
  const load = async (): Promise<Session> => {
    calls += 1;
    return { id: calls, expiresAtMs: clock.ms + lifetimeMs };
  };
  return { load, calls: () => calls };
}

/** A promise settled from outside, to hold a load in flight. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('SessionCache', () => {
  it('loads on the first request and serves the cache after', async () => {
    const clock = { ms: 1_000_000 };
    const { load, calls } = loader(clock);
    const cache = new SessionCache<Session>({ maxEntries: 10, now: () => clock.ms });
    expect(await cache.get('alice', 360_000, load)).toEqual({ value: { id: 1, expiresAtMs: 4_600_000 }, hit: false });
    expect(await cache.get('alice', 360_000, load)).toEqual({ value: { id: 1, expiresAtMs: 4_600_000 }, hit: true });
    expect(calls()).toBe(1);
    expect(cache.size).toBe(1);
  });

  it('shares one load among 20 concurrent requests for a key', async () => {
    const cache = new SessionCache<Session>({ maxEntries: 10 });
    const gate = deferred<Session>();
    let calls = 0;
    const results = Promise.all(
      Array.from({ length: 20 }, () =>
        cache.get('alice', 0, () => {
          calls += 1;
          return gate.promise;
        }),
      ),
    );
    gate.resolve({ id: 7, expiresAtMs: Date.now() + 3_600_000 });
    const lookups = await results;
    expect(calls).toBe(1);
    expect(new Set(lookups.map((lookup) => lookup.value.id))).toEqual(new Set([7]));
    expect(lookups.every((lookup) => !lookup.hit)).toBe(true);
  });

  it('loads different keys independently', async () => {
    const clock = { ms: 0 };
    const { load, calls } = loader(clock);
    const cache = new SessionCache<Session>({ maxEntries: 10, now: () => clock.ms });
    await Promise.all([cache.get('a', 0, load), cache.get('b', 0, load), cache.get('a', 0, load)]);
    expect(calls()).toBe(2);
  });

  it('does not cache a failed load: every waiter sees the error and the next request tries again', async () => {
    const clock = { ms: 0 };
    const cache = new SessionCache<Session>({ maxEntries: 10, now: () => clock.ms });
    const gate = deferred<Session>();
    const first = cache.get('alice', 0, () => gate.promise);
    const second = cache.get('alice', 0, () => Promise.reject(new Error('must not be called')));
    gate.reject(new Error('STS throttled'));
    await expect(first).rejects.toThrow('STS throttled');
    await expect(second).rejects.toThrow('STS throttled');
    expect(cache.size).toBe(0);
    const { load, calls } = loader(clock);
    expect(await cache.get('alice', 0, load)).toMatchObject({ hit: false, value: { id: 1 } });
    expect(calls()).toBe(1);
  });

  it('survives a load that throws synchronously', async () => {
    const cache = new SessionCache<Session>({ maxEntries: 10 });
    await expect(cache.get('alice', 0, () => {
      throw new Error('sync');
    })).rejects.toThrow('sync');
    await expect(cache.get('alice', 0, async () => ({ id: 2, expiresAtMs: Date.now() + 1000 }))).resolves.toMatchObject({ value: { id: 2 } });
  });

  it('replaces a session once less than minRemainingMs of it remains', async () => {
    const clock = { ms: 0 };
    const { load, calls } = loader(clock, 3_600_000);
    const cache = new SessionCache<Session>({ maxEntries: 10, now: () => clock.ms });
    const minRemaining = 360_000;
    await cache.get('alice', minRemaining, load);
    clock.ms = 3_600_000 - minRemaining; // exactly the margin left: still good
    expect(await cache.get('alice', minRemaining, load)).toMatchObject({ hit: true, value: { id: 1 } });
    clock.ms += 1;
    expect(await cache.get('alice', minRemaining, load)).toMatchObject({ hit: false, value: { id: 2 } });
    expect(await cache.get('alice', minRemaining, load)).toMatchObject({ hit: true, value: { id: 2 } });
    expect(calls()).toBe(2);
  });

  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const clock = { ms: 0 };
    const { load, calls } = loader(clock);
    const cache = new SessionCache<Session>({ maxEntries: 2, now: () => clock.ms });
    await cache.get('a', 0, load);
    await cache.get('b', 0, load);
    await cache.get('a', 0, load); // a is now the most recently used
    await cache.get('c', 0, load); // evicts b
    expect(cache.size).toBe(2);
    expect(calls()).toBe(3);
    expect((await cache.get('a', 0, load)).hit).toBe(true);
    expect((await cache.get('c', 0, load)).hit).toBe(true);
    expect((await cache.get('b', 0, load)).hit).toBe(false);
    expect(calls()).toBe(4);
  });

  describe('with maxWaitMs', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('fails a waiter at maxWaitMs but keeps the load in flight: later callers join it, and its late value is cached', async () => {
      vi.useFakeTimers();
      const cache = new SessionCache<Session>({ maxEntries: 10, maxWaitMs: 5000, waitTimeoutError: () => new Error('too slow') });
      const gate = deferred<Session>();
      let calls = 0;
      const load = () => {
        calls += 1;
        return gate.promise;
      };
      const first = cache.get('alice', 0, load);
      const firstOutcome = first.catch((error: unknown) => error);
      await vi.advanceTimersByTimeAsync(5000);
      expect(await firstOutcome).toEqual(new Error('too slow'));

      // The load is still running: a new caller joins it instead of loading again.
      const second = cache.get('alice', 0, load);
      await vi.advanceTimersByTimeAsync(1000);
      gate.resolve({ id: 1, expiresAtMs: Date.now() + 3_600_000 });
      expect(await second).toMatchObject({ hit: false, value: { id: 1 } });
      expect(calls).toBe(1);
      expect(await cache.get('alice', 0, load)).toMatchObject({ hit: true, value: { id: 1 } });
    });

    it('caches a value that arrives after every waiter gave up', async () => {
      vi.useFakeTimers();
      const cache = new SessionCache<Session>({ maxEntries: 10, maxWaitMs: 100 });
      const gate = deferred<Session>();
      const waiter = cache.get('alice', 0, () => gate.promise).catch((error: unknown) => error);
      await vi.advanceTimersByTimeAsync(100);
      expect(await waiter).toEqual(new Error('SessionCache load did not settle within 100 ms'));
      expect(cache.size).toBe(0);
      gate.resolve({ id: 9, expiresAtMs: Date.now() + 3_600_000 });
      await vi.advanceTimersByTimeAsync(0);
      expect(cache.size).toBe(1);
      expect(await cache.get('alice', 0, () => Promise.reject(new Error('must not load')))).toMatchObject({ hit: true, value: { id: 9 } });
    });

    it('lets the next caller load again once a slow load fails', async () => {
      vi.useFakeTimers();
      const cache = new SessionCache<Session>({ maxEntries: 10, maxWaitMs: 100 });
      const gate = deferred<Session>();
      const waiter = cache.get('alice', 0, () => gate.promise).catch((error: unknown) => error);
      await vi.advanceTimersByTimeAsync(100);
      await waiter;
      gate.reject(new Error('STS failed late'));
      await vi.advanceTimersByTimeAsync(0);
      expect(await cache.get('alice', 0, async () => ({ id: 2, expiresAtMs: Date.now() + 1000 }))).toMatchObject({ hit: false, value: { id: 2 } });
    });

    it('answers a fast load without waiting for the timer', async () => {
      const cache = new SessionCache<Session>({ maxEntries: 10, maxWaitMs: 60_000 });
      const started = performance.now();
      expect(await cache.get('alice', 0, async () => ({ id: 3, expiresAtMs: Date.now() + 1000 }))).toMatchObject({ value: { id: 3 } });
      expect(performance.now() - started).toBeLessThan(1000);
    });

    it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY])('refuses maxWaitMs %s', (maxWaitMs) => {
      expect(() => new SessionCache<Session>({ maxEntries: 1, maxWaitMs })).toThrow(/maxWaitMs must be a positive number/);
    });
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses maxEntries %s', (maxEntries) => {
    expect(() => new SessionCache<Session>({ maxEntries })).toThrow(/maxEntries must be a positive integer/);
  });
});
