/**
 * The gate in real life, on simulated tabs (virtual clock, every number exact): a fleet dropped at
 * once comes back spread over the herd window, not in one instant; a wake (`online`, a visible page)
 * reconnects within the jitter instead of waiting out a backoff, but never before a `Retry-After`;
 * a connection that died silently during a sleep is found with a PINGREQ and replaced; a CONNACK 3
 * (connect-rate) refusal is retried although mqtt.js stops reconnecting after it.
 */
import { describe, expect, it } from 'vitest';
import { WAKE_PING_TIMEOUT_MS } from '../../web/connect-gate.js';
import { VendingError } from '../../web/errors.js';
import { HERD_JITTER_WINDOW_MS } from '../../web/refresh-schedule.js';
import { seeded, simulateTab, VirtualClock, type SimulatedTab } from './simulated-mqtt.js';

/** The local time of each tab's next `connect`. */
function connectTimes(clock: VirtualClock, tabs: readonly SimulatedTab[]): number[] {
  const times: number[] = [];
  for (const tab of tabs) tab.client.once('connect', () => times.push(clock.now()));
  return times;
}

describe('a fleet of tabs dropped at once', () => {
  it(`reconnects spread over the ${HERD_JITTER_WINDOW_MS} ms herd window after the reconnect period, and spreads its vends the same way`, async () => {
    const clock = new VirtualClock();
    const random = seeded(17);
    const vendTimes: number[] = [];
    const tabs: SimulatedTab[] = [];
    for (let i = 0; i < 200; i++) {
      tabs.push(await simulateTab({ clock, random, api: () => (vendTimes.push(clock.now()), true) }));
    }
    await clock.advance(301_000); // every URL has expired: each reconnect needs a vend
    vendTimes.length = 0;
    const droppedAt = clock.now();
    const reconnects = connectTimes(clock, tabs);
    for (const tab of tabs) tab.client.drop();
    await clock.advance(5_000);

    expect(reconnects).toHaveLength(200);
    const after = reconnects.map((t) => t - droppedAt).sort((a, b) => a - b);
    const vends = vendTimes.map((t) => t - droppedAt).sort((a, b) => a - b);
    // mqtt.js's 1 s + jitter + the 30 ms vend already done + the 50 ms connect.
    expect(after[0]).toBeGreaterThanOrEqual(1_050);
    expect(after.at(-1)).toBeLessThan(1_000 + HERD_JITTER_WINDOW_MS + 50);
    expect((after.at(-1) ?? 0) - (after[0] ?? 0)).toBeGreaterThan(0.9 * HERD_JITTER_WINDOW_MS);
    expect(vends).toHaveLength(200);
    expect(vends[0]).toBeLessThan(0.1 * HERD_JITTER_WINDOW_MS);
    expect(vends.at(-1)).toBeGreaterThan(0.9 * HERD_JITTER_WINDOW_MS);
    // No second of the window holds more than 60 % of the fleet (uniform: 50 %).
    for (let start = 0; start < HERD_JITTER_WINDOW_MS; start += 100) {
      expect(vends.filter((t) => t >= start && t < start + 1_000).length).toBeLessThanOrEqual(120);
    }
    // The median added delay, beyond mqtt.js's 1 s and the connect, is about a second.
    const median = (after[99] ?? 0) + (after[100] ?? 0);
    expect(median / 2 - 1_050).toBeGreaterThan(800);
    expect(median / 2 - 1_050).toBeLessThan(1_200);
  });
});

describe('wake', () => {
  it('after a long outage, online reconnects within the jitter instead of waiting out the attempt backoff', async () => {
    const clock = new VirtualClock();
    let endpointUp = true;
    const tab = await simulateTab({ clock, accepts: () => endpointUp, random: () => 0.5 });
    await clock.advance(1_000);
    endpointUp = false;
    tab.client.drop();
    await clock.advance(120_000); // attempts now 30 s apart
    const attempts = tab.client.attempts.length;
    endpointUp = true;
    const woken = clock.now();
    tab.gate.wake();
    // jitter 0.5 × 2 s, then the 50 ms connect (the URL is still usable: no vend).
    await clock.advance(1_049);
    expect(tab.client.connected).toBe(false);
    await clock.advance(1);
    expect(tab.client.connected).toBe(true);
    expect(clock.now() - woken).toBe(1_050);
    expect(tab.client.attempts.length).toBe(attempts + 1);
  });

  it('wakes a vend waiting out its backoff too, but never before the API\'s Retry-After', async () => {
    const clock = new VirtualClock();
    let apiUp = true;
    const tab = await simulateTab({
      clock,
      random: () => 0,
      api: () => (apiUp ? true : new VendingError(429, 'TooManyRequests', 'slow down', { retryAfterSeconds: 20 })),
    });
    await clock.advance(301_000);
    apiUp = false;
    tab.client.drop();
    await clock.advance(1_000); // one vend refused at the drop: Retry-After 20 s
    expect(tab.errors).toHaveLength(1);
    apiUp = true;
    tab.gate.wake();
    await clock.advance(18_000);
    expect(tab.vends()).toBe(2); // the refused one; nothing before the 20 s are up
    await clock.advance(2_100);
    expect(tab.vends()).toBe(3);
    expect(tab.client.connected).toBe(true);
  });

  it('a vend backoff without Retry-After is cut short by a wake', async () => {
    const clock = new VirtualClock();
    let apiUp = true;
    const tab = await simulateTab({ clock, random: () => 0, api: () => (apiUp ? true : new VendingError(0, 'NetworkError', 'offline')) });
    await clock.advance(301_000);
    apiUp = false;
    tab.client.drop();
    await clock.advance(40_000); // vends at 0, 1, 3, 7, 15, 31 s: the next one 32 s later
    const failed = tab.errors.length;
    apiUp = true;
    tab.gate.wake();
    await clock.advance(100);
    expect(tab.errors).toHaveLength(failed);
    expect(tab.client.connected).toBe(true);
  });

  it('a wake while connected pings; a silent connection is closed after the ping timeout and reconnects within the jitter alone', async () => {
    const clock = new VirtualClock();
    const tab = await simulateTab({ clock, random: () => 0.25 });
    await clock.advance(60_000);
    tab.client.dieSilently();
    tab.gate.wake();
    expect(tab.client.pings).toBe(1);
    await clock.advance(WAKE_PING_TIMEOUT_MS - 1);
    expect(tab.client.connected).toBe(true);
    await clock.advance(1);
    expect(tab.client.connected).toBe(false);
    // No reconnect period: jitter 0.25 × 2 s, then the 50 ms connect.
    await clock.advance(549);
    expect(tab.client.connected).toBe(false);
    await clock.advance(1);
    expect(tab.client.connected).toBe(true);
    expect(tab.client.attempts).toHaveLength(2);
  });

  it('a wake while connected to a live endpoint costs one PINGREQ and nothing else; a recent packet costs nothing', async () => {
    const clock = new VirtualClock();
    const tab = await simulateTab({ clock });
    await clock.advance(60_000);
    tab.gate.wake();
    await clock.advance(1_000);
    expect(tab.client.pings).toBe(1);
    tab.gate.wake(); // the PINGRESP came 990 ms ago: alive
    await clock.advance(10_000);
    expect(tab.client.pings).toBe(1);
    expect(tab.client.attempts).toHaveLength(1);
    expect(tab.client.connected).toBe(true);
    expect(tab.vends()).toBe(1);
  });

  it('a wake does nothing to an ended client', async () => {
    const clock = new VirtualClock();
    const tab = await simulateTab({ clock });
    await clock.advance(1_000);
    tab.client.end();
    tab.gate.wake();
    await clock.advance(10_000);
    expect(tab.client.pings).toBe(0);
    expect(tab.client.attempts).toHaveLength(1);
  });
});

describe('CONNACK 3 (the connect-rate limit)', () => {
  it('mqtt.js stops reconnecting after it; the gate tries again, with the attempt backoff', async () => {
    const clock = new VirtualClock();
    const tab = await simulateTab({ clock, random: () => 0 });
    await clock.advance(1_000);
    tab.client.on('error', () => undefined);
    tab.client.refuseNextWith(3);
    tab.gate.onConnackRefused(3);
    tab.client.drop();
    await clock.advance(1_050); // the refused attempt
    expect(tab.client.connected).toBe(false);
    expect(tab.client.attempts).toHaveLength(2);
    await clock.advance(2_000);
    expect(tab.client.connected).toBe(true);
    expect(tab.client.attempts).toHaveLength(3);
  });

  it('other refusal codes are left to mqtt.js (which stops)', async () => {
    const clock = new VirtualClock();
    const tab = await simulateTab({ clock, random: () => 0 });
    await clock.advance(1_000);
    tab.client.on('error', () => undefined);
    tab.client.refuseNextWith(5);
    tab.gate.onConnackRefused(5);
    tab.client.drop();
    await clock.advance(60_000);
    expect(tab.client.attempts).toHaveLength(2);
  });
});
