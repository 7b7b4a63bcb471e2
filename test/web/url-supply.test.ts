import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { VendingError } from '../../web/errors.js';
import type { ReceivedMqttUrl } from '../../web/types.js';
import { UrlSupply } from '../../web/url-supply.js';
import { receiveMqttUrl } from '../../web/vended-url.js';
import { vendedBody } from './fixtures.js';

const START = new Date('2024-05-01T12:00:00Z');

/** A URL vended "now" (fake clock), valid for `ttlSeconds`, tagged with `serial`. */
function vendedNow(serial: number, ttlSeconds = 300): ReceivedMqttUrl {
  const now = new Date(Date.now());
  return receiveMqttUrl(vendedBody({ signedAt: now, ttlSeconds, serial }), now.getTime());
}

/** A scripted vend: each call takes the next outcome; records the signals it got. */
function scriptedVend(outcomes: Array<'ok' | Error | 'hang'>): {
  vend: (signal: AbortSignal) => Promise<ReceivedMqttUrl>;
  signals: AbortSignal[];
} {
  const signals: AbortSignal[] = [];
  let serial = 1;
  return {
    signals,
    vend: (signal) => {
      signals.push(signal);
      const outcome = outcomes.shift() ?? 'ok';
      if (outcome === 'hang') {
        return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
      }
      if (outcome instanceof Error) return Promise.reject(outcome);
      serial += 1;
      return Promise.resolve(vendedNow(serial));
    },
  };
}

function serialOf(url: string | undefined): string | null {
  return url === undefined ? null : new URL(url).searchParams.get('X-Amz-Signature');
}

let supply: UrlSupply | undefined;

beforeEach(() => {
  vi.useFakeTimers({ now: START });
});
afterEach(() => {
  supply?.stop();
  supply = undefined;
  vi.useRealTimers();
});

describe('UrlSupply (default: vend only when asked)', () => {
  it('holds the first URL without any timer, and never vends while it is not asked', async () => {
    const { vend, signals } = scriptedVend([]);
    supply = new UrlSupply({ initial: vendedNow(1), vend, onVendError: () => {} });
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(7_200_000);
    expect(signals).toHaveLength(0);
    expect(supply.vendCount).toBe(0);
  });

  it('serves the held URL while usable (until 5 s before expiry), without vending', async () => {
    const { vend, signals } = scriptedVend([]);
    supply = new UrlSupply({ initial: vendedNow(1), vend, onVendError: () => {} });
    expect(serialOf((await supply.obtain())?.url.url)).toBe('sig1');
    expect(supply.usable(START.getTime() + 294_999)).toBeDefined();
    expect(supply.usable(START.getTime() + 295_000)).toBeUndefined();
    expect(signals).toHaveLength(0);
  });

  it('vends when asked for a URL the held one cannot serve (expired, or for a later attempt), then serves the new one', async () => {
    const { vend, signals } = scriptedVend([]);
    supply = new UrlSupply({ initial: vendedNow(1), vend, onVendError: () => {} });
    // Asked for an attempt at 296 s: the held URL will be past its use-by time then.
    const kept = await supply.obtain(START.getTime() + 296_000);
    expect(signals).toHaveLength(1);
    expect(kept).toMatchObject({ reason: 'reconnect' });
    expect(serialOf(kept?.url.url)).toBe('sig2');
    expect(supply.latest).toBe(kept);
    expect(vi.getTimerCount()).toBe(0); // no prefetch follows
  });

  it('vends instead of serving a URL that was retired after failed attempts', async () => {
    const { vend, signals } = scriptedVend([]);
    supply = new UrlSupply({ initial: vendedNow(1), vend, onVendError: () => {} });
    supply.retire();
    expect(supply.usable()).toBeUndefined();
    expect(serialOf((await supply.obtain())?.url.url)).toBe('sig2');
    expect(signals).toHaveLength(1);
    expect(supply.usable()).toBeDefined();
  });

  it('shares one request between concurrent callers', async () => {
    const { vend, signals } = scriptedVend([]);
    supply = new UrlSupply({ initial: vendedNow(1), vend, onVendError: () => {} });
    supply.retire();
    const kept = await Promise.all([supply.obtain(), supply.obtain(), supply.obtain()]);
    expect(signals).toHaveLength(1);
    expect(new Set(kept).size).toBe(1);
  });

  it('retries a failed vend with backoff, never sooner than Retry-After, reporting each failure, until it has a URL', async () => {
    const throttled = new VendingError(503, 'ServiceUnavailable', 'slow down', { retryAfterSeconds: 10 });
    const limited = new VendingError(429, 'TooManyRequests', 'rate limited', { retryAfterSeconds: 1 });
    const { vend, signals } = scriptedVend([new Error('offline'), throttled, limited]);
    const errors: unknown[] = [];
    supply = new UrlSupply({ initial: vendedNow(1), vend, onVendError: (e) => errors.push(e), random: () => 1 });
    supply.retire();
    let kept: string | undefined;
    void supply.obtain().then((k) => (kept = k?.url.url));
    await vi.advanceTimersByTimeAsync(0);
    expect(signals).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(signals).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1); // first retry after 1 s
    expect(signals).toHaveLength(2);
    expect(errors).toEqual([expect.any(Error), throttled]);
    await vi.advanceTimersByTimeAsync(9_999); // Retry-After 10 s beats the 2 s backoff
    expect(signals).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(signals).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(3_999); // the 4 s backoff beats Retry-After 1 s
    expect(signals).toHaveLength(3);
    expect(supply.vending).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(signals).toHaveLength(4);
    expect(serialOf(kept)).toBe('sig2');
    expect(supply.vending).toBe(false);
  });

  it('never loops on a Retry-After longer than a timer can hold (it would fire at once)', async () => {
    // 3,000,000 s is past setTimeout's 2^31 - 1 ms; the wait is cut to that instead of overflowing.
    const huge = new VendingError(503, 'ServiceUnavailable', 'down', { retryAfterSeconds: 3_000_000 });
    const { vend, signals } = scriptedVend(Array.from({ length: 100 }, () => huge));
    supply = new UrlSupply({ initial: vendedNow(1), vend, onVendError: () => {}, random: () => 0 });
    supply.retire();
    void supply.obtain();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(signals).toHaveLength(1);
  });

  it('bounds vends during a long outage: once backed off, at most one every 22.5 s (30 s less the largest jitter)', async () => {
    const { vend, signals } = scriptedVend(Array.from({ length: 1_000 }, () => new VendingError(0, 'NetworkError', 'unreachable')));
    // Jitter 0 is the worst case: each step is 75 % of 1, 2, 4, 8, 16, then 30 s.
    supply = new UrlSupply({ initial: vendedNow(1), vend, onVendError: () => {}, random: () => 0 });
    supply.retire();
    void supply.obtain();
    await vi.advanceTimersByTimeAsync(60_000);
    // At 0, 0.75, 2.25, 5.25, 11.25, 23.25, 45.75 s.
    expect(signals).toHaveLength(7);
    await vi.advanceTimersByTimeAsync(3_540_000);
    expect(signals.length).toBeLessThanOrEqual(7 + Math.ceil(3_540_000 / 22_500));
  });

  it.each([
    [400, 'invalid_request'],
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [404, 'UnexpectedResponse'],
  ])('stops for good after a permanent HTTP %i (%s): one report, no more vends, obtain resolves undefined', async (status, code) => {
    const refusal = new VendingError(status, code, 'refused');
    const { vend, signals } = scriptedVend([refusal]);
    const errors: unknown[] = [];
    const stoppedWhenTold: boolean[] = [];
    const s = new UrlSupply({
      initial: vendedNow(1),
      vend,
      onVendError: (e) => {
        errors.push(e);
        stoppedWhenTold.push(s.stopped);
      },
    });
    supply = s;
    s.retire();
    expect(await s.obtain()).toBeUndefined();
    expect(errors).toEqual([refusal]);
    expect(stoppedWhenTold).toEqual([true]);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(await s.obtain()).toBeUndefined();
    expect(signals).toHaveLength(1);
  });

  it('keeps going when the error listener throws', async () => {
    const { vend, signals } = scriptedVend([new Error('offline')]);
    supply = new UrlSupply({
      initial: vendedNow(1),
      vend,
      onVendError: () => {
        throw new Error('listener bug');
      },
      random: () => 0,
    });
    supply.retire();
    void supply.obtain();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(signals).toHaveLength(2);
  });

  it('stop() aborts the request in flight, ends a backoff wait, and obtain() then resolves undefined', async () => {
    const { vend, signals } = scriptedVend([new Error('offline'), 'hang']);
    const errors: unknown[] = [];
    supply = new UrlSupply({ initial: vendedNow(1), vend, onVendError: (e) => errors.push(e), random: () => 0 });
    supply.retire();
    const waiting = supply.obtain();
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(1); // the backoff
    supply.stop();
    expect(await waiting).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    expect(signals).toHaveLength(1);

    const s2 = new UrlSupply({ initial: vendedNow(1), vend, onVendError: (e) => errors.push(e) });
    s2.retire();
    const hanging = s2.obtain();
    await vi.advanceTimersByTimeAsync(0);
    expect(signals[1]?.aborted).toBe(false);
    s2.stop();
    expect(await hanging).toBeUndefined();
    expect(signals[1]?.aborted).toBe(true);
    expect(errors).toHaveLength(1);
  });

  it('ignores a URL that arrives after stop()', async () => {
    let deliver!: (url: ReceivedMqttUrl) => void;
    const vend = (): Promise<ReceivedMqttUrl> =>
      // A vend that does not honour the abort: its answer still arrives.
      new Promise((resolve) => {
        deliver = resolve;
      });
    supply = new UrlSupply({ initial: vendedNow(1), vend, onVendError: () => {} });
    supply.retire();
    const pending = supply.obtain();
    await vi.advanceTimersByTimeAsync(0);
    supply.stop();
    deliver(vendedNow(2));
    expect(await pending).toBeUndefined();
    expect(serialOf(supply.latest.url.url)).toBe('sig1');
  });
});

describe('UrlSupply with prefetch: true (the earlier behaviour)', () => {
  it('prefetches the next URL at 80 % of a 300 s life (jitter 0), then schedules the next from the new one', async () => {
    const { vend, signals } = scriptedVend([]);
    supply = new UrlSupply({ initial: vendedNow(1), vend, onVendError: () => {}, prefetch: true, random: () => 0 });
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(239_999);
    expect(signals).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(signals).toHaveLength(1);
    expect(supply.latest.reason).toBe('prefetch');
    expect(serialOf(supply.usable()?.url.url)).toBe('sig2');
    await vi.advanceTimersByTimeAsync(240_000);
    expect(serialOf(supply.usable()?.url.url)).toBe('sig3');
  });

  it('applies jitter to the prefetch time', async () => {
    const { vend, signals } = scriptedVend([]);
    supply = new UrlSupply({ initial: vendedNow(1), vend, onVendError: () => {}, prefetch: true, random: () => 0.5 });
    await vi.advanceTimersByTimeAsync(224_999);
    expect(signals).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(signals).toHaveLength(1);
  });

  it('makes 15 vends in an hour with 300 s URLs (jitter 0)', async () => {
    const { vend, signals } = scriptedVend([]);
    supply = new UrlSupply({ initial: vendedNow(1), vend, onVendError: () => {}, prefetch: true, random: () => 0 });
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(signals).toHaveLength(15);
  });

  it('retries a failed prefetch with backoff and stops the timer on a permanent refusal', async () => {
    const { vend, signals } = scriptedVend([new Error('offline'), new VendingError(403, 'Forbidden', 'no')]);
    const errors: unknown[] = [];
    supply = new UrlSupply({ initial: vendedNow(1), vend, onVendError: (e) => errors.push(e), prefetch: true, random: () => 0 });
    await vi.advanceTimersByTimeAsync(240_000);
    expect(signals).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(750); // 1 s backoff, jitter 0 → 750 ms
    expect(signals).toHaveLength(2);
    expect(supply.stopped).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(errors).toHaveLength(2);
  });
});
