import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { VendingError } from '../../web/errors.js';
import { FreshUrlKeeper } from '../../web/fresh-url-keeper.js';
import type { ReceivedMqttUrl } from '../../web/types.js';
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

function serialOf(url: string): string | null {
  return new URL(url).searchParams.get('X-Amz-Signature');
}

let keeper: FreshUrlKeeper | undefined;

beforeEach(() => {
  vi.useFakeTimers({ now: START });
});
afterEach(() => {
  keeper?.stop();
  keeper = undefined;
  vi.useRealTimers();
});

describe('FreshUrlKeeper', () => {
  it('prefetches the next URL at 80 % of a 300 s life (jitter 0) and then serves the new one', async () => {
    const { vend, signals } = scriptedVend([]);
    keeper = new FreshUrlKeeper({ initial: vendedNow(1), vend, onRefreshError: () => {}, random: () => 0 });
    expect(vi.getTimerCount()).toBe(1);

    await vi.advanceTimersByTimeAsync(239_999);
    expect(signals).toHaveLength(0);
    expect(serialOf(keeper.urlForConnection())).toBe('sig1');

    await vi.advanceTimersByTimeAsync(1);
    expect(signals).toHaveLength(1);
    expect(serialOf(keeper.urlForConnection())).toBe('sig2');
    // The next prefetch is scheduled relative to the new URL.
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(240_000);
    expect(serialOf(keeper.urlForConnection())).toBe('sig3');
  });

  it('applies jitter to the prefetch time', async () => {
    const { vend, signals } = scriptedVend([]);
    keeper = new FreshUrlKeeper({ initial: vendedNow(1), vend, onRefreshError: () => {}, random: () => 0.5 });
    await vi.advanceTimersByTimeAsync(224_999);
    expect(signals).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(signals).toHaveLength(1);
  });

  it('returns the freshest URL while it is usable, without vending', () => {
    const { vend, signals } = scriptedVend([]);
    keeper = new FreshUrlKeeper({ initial: vendedNow(1), vend, onRefreshError: () => {} });
    expect(serialOf(keeper.urlForConnection())).toBe('sig1');
    expect(keeper.isUsable()).toBe(true);
    expect(signals).toHaveLength(0);
  });

  it('when every URL is past its use-by time, starts a refresh and serves the new URL next time', async () => {
    const { vend, signals } = scriptedVend([new Error('offline'), new Error('offline'), new Error('offline')]);
    const errors: unknown[] = [];
    keeper = new FreshUrlKeeper({ initial: vendedNow(1), vend, onRefreshError: (e) => errors.push(e), random: () => 0 });
    // Refreshes fail for the URL's whole life (prefetch at 240 s, retries at +1 s, +2 s).
    await vi.advanceTimersByTimeAsync(244_000);
    expect(errors).toHaveLength(3);
    vi.setSystemTime(START.getTime() + 296_000);
    expect(keeper.isUsable()).toBe(false);

    const before = signals.length;
    expect(serialOf(keeper.urlForConnection())).toBe('sig1'); // sync hook: the old URL, refused fast
    expect(signals).toHaveLength(before + 1);
    // Still in flight: another refresh joins it instead of vending again.
    void keeper.refresh();
    expect(signals).toHaveLength(before + 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(keeper.isUsable()).toBe(true);
    expect(serialOf(keeper.urlForConnection())).toBe('sig2');
  });

  it('shares one request between concurrent refreshes', async () => {
    const { vend, signals } = scriptedVend([]);
    keeper = new FreshUrlKeeper({ initial: vendedNow(1), vend, onRefreshError: () => {} });
    await Promise.all([keeper.refresh(), keeper.refresh(), keeper.refresh()]);
    expect(signals).toHaveLength(1);
  });

  it('retries a failed refresh with backoff, honouring Retry-After, and reports each failure', async () => {
    const throttled = new VendingError(503, 'ServiceUnavailable', 'slow down', { retryAfterSeconds: 10 });
    const { vend, signals } = scriptedVend([new Error('offline'), throttled]);
    const errors: unknown[] = [];
    keeper = new FreshUrlKeeper({ initial: vendedNow(1), vend, onRefreshError: (e) => errors.push(e), random: () => 1 });
    const firstPrefetch = 210_000; // random 1 → full 10 % jitter
    await vi.advanceTimersByTimeAsync(firstPrefetch);
    expect(signals).toHaveLength(1);
    expect(errors).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(1_000); // first retry after 1 s
    expect(signals).toHaveLength(2);
    expect(errors[1]).toBe(throttled);

    await vi.advanceTimersByTimeAsync(9_999); // Retry-After 10 s beats the 2 s backoff
    expect(signals).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(signals).toHaveLength(3);
    expect(serialOf(keeper.urlForConnection())).toBe('sig2');
  });

  it.each([
    [400, 'invalid_request'],
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [404, 'UnexpectedResponse'],
  ])('stops for good after a permanent HTTP %i (%s): one report, no more vends, no timers', async (status, code) => {
    const refusal = new VendingError(status, code, 'refused');
    const { vend, signals } = scriptedVend([refusal]);
    const errors: unknown[] = [];
    keeper = new FreshUrlKeeper({ initial: vendedNow(1), vend, onRefreshError: (e) => errors.push(e), random: () => 0 });
    await vi.advanceTimersByTimeAsync(240_000);
    expect(signals).toHaveLength(1);
    expect(errors).toEqual([refusal]);
    expect(keeper.stopped).toBe(true);
    expect(vi.getTimerCount()).toBe(0);

    // Neither time nor a stale URL at (re)connect time brings the keeper back.
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(keeper.isUsable()).toBe(false);
    expect(serialOf(keeper.urlForConnection())).toBe('sig1');
    await keeper.refresh();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(signals).toHaveLength(1);
    expect(errors).toHaveLength(1);
  });

  it('reports a permanent refusal after the keeper has stopped (listeners may check `stopped`)', async () => {
    const { vend } = scriptedVend([new VendingError(403, 'forbidden', 'refused')]);
    const stoppedWhenTold: boolean[] = [];
    const k = new FreshUrlKeeper({ initial: vendedNow(1), vend, onRefreshError: () => stoppedWhenTold.push(k.stopped), random: () => 0 });
    keeper = k;
    await vi.advanceTimersByTimeAsync(240_000);
    expect(stoppedWhenTold).toEqual([true]);
  });

  it.each([
    ['HTTP 408', new VendingError(408, 'UnexpectedResponse', 'timeout')],
    ['HTTP 429', new VendingError(429, 'TooManyRequests', 'slow down')],
    ['HTTP 500', new VendingError(500, 'configuration_error', 'misconfigured')],
    ['HTTP 503', new VendingError(503, 'throttled', 'retry later')],
    ['a network failure', new VendingError(0, 'NetworkError', 'unreachable')],
    ['an unusable 200 body', new VendingError(200, 'InvalidResponse', 'bad body')],
    ['an error from getToken', new Error('token provider offline')],
  ])('keeps retrying with backoff after %s', async (_label, failure) => {
    const { vend, signals } = scriptedVend([failure, failure, failure]);
    const errors: unknown[] = [];
    keeper = new FreshUrlKeeper({ initial: vendedNow(1), vend, onRefreshError: (e) => errors.push(e), random: () => 0 });
    await vi.advanceTimersByTimeAsync(240_000 + 1_000 + 2_000 + 4_000);
    expect(signals).toHaveLength(4);
    expect(errors).toEqual([failure, failure, failure]);
    expect(keeper.stopped).toBe(false);
    expect(serialOf(keeper.urlForConnection())).toBe('sig2');
  });

  it('keeps going when the error listener throws', async () => {
    const { vend, signals } = scriptedVend([new Error('offline')]);
    keeper = new FreshUrlKeeper({
      initial: vendedNow(1),
      vend,
      onRefreshError: () => {
        throw new Error('listener bug');
      },
      random: () => 0,
    });
    await vi.advanceTimersByTimeAsync(241_000);
    expect(signals).toHaveLength(2);
  });

  it('stop() clears the timer, aborts the request in flight and ignores its outcome', async () => {
    const { vend, signals } = scriptedVend(['hang']);
    const errors: unknown[] = [];
    keeper = new FreshUrlKeeper({ initial: vendedNow(1), vend, onRefreshError: (e) => errors.push(e), random: () => 0 });
    await vi.advanceTimersByTimeAsync(240_000);
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(false);

    keeper.stop();
    await vi.advanceTimersByTimeAsync(0);
    expect(signals[0]?.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(errors).toEqual([]);

    await keeper.refresh();
    keeper.urlForConnection();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(signals).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ignores a URL that arrives after stop(): it is neither served nor followed by a prefetch', async () => {
    let deliver!: (url: ReceivedMqttUrl) => void;
    const signals: AbortSignal[] = [];
    const vend = (signal: AbortSignal): Promise<ReceivedMqttUrl> => {
      signals.push(signal);
      // A vend that does not honour the abort: its answer still arrives.
      return new Promise((resolve) => {
        deliver = resolve;
      });
    };
    const errors: unknown[] = [];
    keeper = new FreshUrlKeeper({ initial: vendedNow(1), vend, onRefreshError: (e) => errors.push(e), random: () => 0 });
    await vi.advanceTimersByTimeAsync(240_000);
    expect(signals).toHaveLength(1);

    keeper.stop();
    deliver(vendedNow(2));
    await vi.advanceTimersByTimeAsync(0);
    expect(serialOf(keeper.urlForConnection())).toBe('sig1');
    expect(vi.getTimerCount()).toBe(0);
    expect(errors).toEqual([]);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(signals).toHaveLength(1);
  });
});
