/**
 * The gate between mqtt.js's connect() and the vending API, on a simulated tab (virtual clock,
 * mqtt.js-shaped client, scripted endpoint and API): hours in milliseconds, every number exact.
 * The real mqtt.js over real sockets is in connect-mqtt.test.ts; this file covers what would take
 * minutes of real time there (long outages of the endpoint).
 */
import { describe, expect, it } from 'vitest';
import { VendingError } from '../../web/errors.js';
import { HERD_JITTER_WINDOW_MS } from '../../web/refresh-schedule.js';
import { simulateTab, VirtualClock } from './simulated-mqtt.js';

const HOUR = 3_600_000;
const signature = (url: string | undefined): string | null => (url === undefined ? null : new URL(url).searchParams.get('X-Amz-Signature'));

describe('ConnectGate on a simulated tab', () => {
  it('a tab that stays connected vends once (at connect) over two hours, and sets no timer while connected', async () => {
    const clock = new VirtualClock();
    const tab = await simulateTab({ clock });
    await clock.advance(1_000);
    expect(tab.client.connected).toBe(true);
    expect(clock.timerCount).toBe(0);
    await clock.advance(2 * HOUR);
    expect(tab.vends()).toBe(1);
    expect(tab.client.attempts).toHaveLength(1);
  });

  it('a drop with a usable URL reconnects after reconnectPeriod without a vend; with an expired one, the vend overlaps that wait', async () => {
    const clock = new VirtualClock();
    // No herd jitter here (random 0): the timings below are mqtt.js's own.
    const tab = await simulateTab({ clock, vendMs: 200, random: () => 0 });
    await clock.advance(1_000);
    tab.client.drop();
    await clock.advance(1_050); // reconnectPeriod 1 s + 50 ms connect
    expect(tab.client.connected).toBe(true);
    expect(tab.vends()).toBe(1);

    await clock.advance(300_000);
    const droppedAt = clock.now();
    tab.client.drop();
    // The 200 ms vend ran during the 1 s reconnect wait: connected 1.05 s after the drop, as without a vend.
    await clock.advance(1_049);
    expect(tab.client.connected).toBe(false);
    await clock.advance(1);
    expect(tab.client.connected).toBe(true);
    expect(tab.vends()).toBe(2);
    expect(tab.gate.currentUrl).toMatchObject({ vendedFor: 'reconnect', vendedAt: droppedAt, vendDurationMs: 200, attempts: 1 });
    expect(tab.client.attempts.map(signature)).toEqual(['sig1', 'sig1', 'sig2']);
  });

  it('when a vend is slower than reconnectPeriod, the attempt waits for it: one vend however many reconnect ticks pass', async () => {
    const clock = new VirtualClock();
    const tab = await simulateTab({ clock, vendMs: 4_500, reconnectPeriod: 100, random: () => 0 });
    await clock.advance(5_000);
    await clock.advance(300_000);
    tab.client.drop();
    await clock.advance(4_499);
    expect(tab.client.attempts).toHaveLength(1); // 44 reconnect ticks, no attempt without a URL
    await clock.advance(51);
    expect(tab.client.connected).toBe(true);
    expect(tab.vends()).toBe(2);
  });

  it('bounds attempts and vends during a 60 s outage of the endpoint (API up), and reconnects when it is back', async () => {
    const clock = new VirtualClock();
    let endpointUp = true;
    const tab = await simulateTab({ clock, accepts: () => endpointUp, random: () => 0 });
    await clock.advance(1_000);
    endpointUp = false;
    tab.client.drop();
    await clock.advance(60_000);
    // mqtt.js alone would try 57 times (every 1 s + 50 ms); after two failures the gate spaces them
    // out: at 1, 2.05, 3.13, 4.68, 7.73, 13.78, 25.83 and 48.38 s (jitter 0, the most attempts).
    expect(tab.client.attempts.length - 1).toBe(8);
    // The URL is retired after 2 failed attempts, the next one after 4 more: 2 vends in this minute.
    expect(tab.vends() - 1).toBe(2);

    endpointUp = true;
    await clock.advance(32_000); // the longest attempt backoff, 30 s, plus the reconnect period
    expect(tab.client.connected).toBe(true);
  });

  it('a 10-minute API outage after the URL expired: no attempt without a URL, vends backed off, reconnects once the API answers', async () => {
    const clock = new VirtualClock();
    let apiUp = true;
    const tab = await simulateTab({
      clock,
      random: () => 0,
      api: () => (apiUp ? true : new VendingError(503, 'ServiceUnavailable', 'throttled', { retryAfterSeconds: 5 })),
    });
    await clock.advance(301_000);
    apiUp = false;
    tab.client.drop();
    await clock.advance(600_000);
    expect(tab.client.attempts).toHaveLength(1);
    // At 0, 5, 10, 15, 21, 33 and 55.5 s (never sooner than Retry-After: 5), then every 22.5 s at most.
    expect(tab.errors).toHaveLength(31);
    expect(tab.errors.every((e) => e instanceof VendingError && e.status === 503)).toBe(true);

    apiUp = true;
    await clock.advance(30_000);
    expect(tab.client.connected).toBe(true);
    expect(tab.client.attempts.map(signature)).toEqual(['sig1', 'sig2']);
  });

  it('a permanent refusal on the reconnect path ends the client: no more attempts, vends or timers', async () => {
    const clock = new VirtualClock();
    let refuse = false;
    const tab = await simulateTab({ clock, api: () => (refuse ? new VendingError(403, 'Forbidden', 'no') : true) });
    await clock.advance(301_000);
    refuse = true;
    const ended = new Promise<void>((resolve) => tab.client.once('end', () => resolve()));
    tab.client.drop();
    // The vend starts within the herd jitter of the drop.
    await clock.advance(HERD_JITTER_WINDOW_MS + 1_000);
    await ended;
    expect(tab.errors).toHaveLength(1);
    await clock.advance(HOUR);
    expect(tab.vends()).toBe(2);
    expect(tab.client.attempts).toHaveLength(1);
    expect(clock.timerCount).toBe(0);
  });

  it('end() while an attempt is held for a vend: the vend is aborted and nothing starts', async () => {
    const clock = new VirtualClock();
    const tab = await simulateTab({ clock, vendMs: 5_000 });
    await clock.advance(301_000);
    tab.client.drop();
    await clock.advance(2_000);
    expect(tab.gate.holding).toBe(true);
    tab.client.end();
    await clock.advance(HOUR);
    expect(tab.client.attempts).toHaveLength(1);
    expect(tab.supply.stopped).toBe(true);
    expect(clock.timerCount).toBe(0);
  });

  it('with prefetch: true a connected tab vends about 16 times an hour, and a reconnect never waits for the API', async () => {
    const clock = new VirtualClock();
    const tab = await simulateTab({ clock, prefetch: true, random: () => 0.5 });
    await clock.advance(HOUR);
    expect(tab.vends() - 1).toBe(16); // every 225 s
    tab.client.drop();
    // reconnectPeriod 1 s + the herd jitter (0.5 of 2 s) + 50 ms connect.
    await clock.advance(2_049);
    expect(tab.client.connected).toBe(false);
    await clock.advance(1);
    expect(tab.client.connected).toBe(true);
    expect(tab.gate.currentUrl?.vendedFor).toBe('prefetch');
    expect(tab.vends() - 1).toBe(16);
  });
});
