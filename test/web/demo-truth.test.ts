/**
 * The demo page's words, without a browser: why a publish or a subscribe was refused, what a
 * reconnect used, when an outage is reported, and how long log texts are cut.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { duration, OutageWatch, outageText, reconnectedText, urlText } from '../../web/demo/connection-watch.js';
import { describeGrants, maySubscribe } from '../../web/demo/grants.js';
import { shownText } from '../../web/demo/message-log.js';
import { publishRefusalReason, publishRefusalText, subscribeRefusalText } from '../../web/demo/refusals.js';

const SUB = 'd9b64a8c-f500-4cbf-9dfb-1a7cd8bfd3a6';
const grants = describeGrants(
  { publish: [`users/${SUB}/*`, 'lobby/*'], subscribe: [`users/${SUB}/*`, 'lobby/*', 'telemetry/*'] },
  { sub: SUB, groups: [] },
);

describe('refusal explanations', () => {
  it.each<[string, { topic: string; payloadBytes: number; qos: number; retain: boolean }, string | undefined]>([
    ['an allowed publish', { topic: 'lobby/chat', payloadBytes: 5, qos: 0, retain: false }, undefined],
    ['a topic outside the grants', { topic: 'users/other/chat', payloadBytes: 5, qos: 0, retain: false }, 'the topic is not allowed by your grants'],
    ['a read-only feed', { topic: 'telemetry/sensor-1', payloadBytes: 5, qos: 0, retain: false }, 'the topic is not allowed by your grants'],
    ['200 KB', { topic: 'lobby/big', payloadBytes: 204_800, qos: 0, retain: false }, "the payload is 204800 bytes (at most 131072, 128 KB), beyond AWS IoT's limits"],
    ['QoS 2', { topic: 'lobby/chat', payloadBytes: 5, qos: 2, retain: false }, "QoS 2 is not supported (AWS IoT supports QoS 0 and 1), beyond AWS IoT's limits"],
    ['a retained publish', { topic: 'lobby/chat', payloadBytes: 5, qos: 0, retain: true }, 'a retained publish also needs iot:RetainPublish, which this stack does not grant'],
  ])('names why the server closed the connection after %s', (_name, sent, reason) => {
    expect(publishRefusalReason(sent, grants, false)).toBe(reason);
  });

  it('says topic, reason and what the server did', () => {
    expect(publishRefusalText('users/other/chat', 'the topic is not allowed by your grants')).toBe(
      'Publish to users/other/chat refused: the topic is not allowed by your grants. The server closed the connection; reconnecting.',
    );
    expect(subscribeRefusalText('users/other/#', 'suback', grants)).toBe('Subscription to users/other/# refused: not allowed by your grants (SUBACK 0x80).');
    expect(subscribeRefusalText('lobby/1/2/3/4/5/6/7/8', 'disconnect', grants)).toBe(
      "Subscription to lobby/1/2/3/4/5/6/7/8 refused: the filter has 8 slashes (at most 7), beyond AWS IoT's limits. The server closed the connection; reconnecting.",
    );
    const held = new Set(Array.from({ length: 50 }, (_, i) => `lobby/${i}`));
    expect(subscribeRefusalText('lobby/50', 'disconnect', grants, held)).toContain('51 subscriptions on one connection (at most 50)');
    expect(subscribeRefusalText('users/other/#', 'disconnect', grants)).toContain('refused: not allowed by your grants. The server closed');
  });

  it('reads filters as AWS IoT does: wildcards are literal characters matched against the grant', () => {
    expect(maySubscribe(grants, 'lobby/#')).toBe(true);
    expect(maySubscribe(grants, `users/${SUB}/+`)).toBe(true);
    expect(maySubscribe(grants, 'users/+/chat')).toBe(false);
    expect(maySubscribe(grants, '#')).toBe(false);
  });
});

describe('reconnect and outage words', () => {
  const lostAt = Date.parse('2026-01-01T12:00:00Z');
  const back = lostAt + 1_234;
  const url = { expiresAt: '2026-01-01T12:05:00Z', usableUntil: Date.parse('2026-01-01T12:04:55Z'), attempts: 1, vendDurationMs: 23 };

  it('says how long the connection was gone, and whether the reconnect needed a vend', () => {
    expect(reconnectedText('id', { ...url, vendedFor: 'reconnect', vendedAt: lostAt + 5 }, lostAt, back)).toMatch(
      /^Reconnected as id after 1\.2 s with a newly vended URL, as the one held was no longer usable \(vended at .+ in 23 ms; valid until .+\)$/,
    );
    expect(reconnectedText('id', { ...url, vendedFor: 'connect', vendedAt: lostAt - 60_000 }, lostAt, back)).toMatch(
      /^Reconnected as id after 1\.2 s with the URL vended when you connected, still usable: no new vend \(vended at .+; valid until .+\)$/,
    );
    expect(reconnectedText('id', { ...url, vendedFor: 'prefetch', vendedAt: lostAt - 60_000 }, lostAt, back)).toMatch(/^Reconnected as id after 1\.2 s with the prefetched URL, no new vend \(fetched ahead at /);
    expect(reconnectedText('id', { ...url, vendedFor: 'reconnect', vendedAt: lostAt - 60_000 }, lostAt, back)).toMatch(/for an earlier reconnect, still usable: no new vend/);
    expect(reconnectedText('id', undefined, lostAt, lostAt + 850)).toBe('Reconnected as id after 850 ms');
  });

  it('describes the URL in use without the URL itself', () => {
    expect(urlText({ ...url, vendedFor: 'reconnect', vendedAt: lostAt })).toMatch(/^vended for a reconnect at .+ in 23 ms; valid until .+$/);
    expect(urlText({ ...url, vendedFor: 'connect', vendedAt: lostAt })).toMatch(/^vended when you connected at /);
    expect(urlText(undefined)).toBe('–');
    expect(duration(999)).toBe('999 ms');
    expect(duration(61_000)).toBe('61.0 s');
  });

  it('names the endpoint, and the local stack when the page runs against it', () => {
    expect(outageText(lostAt, '127.0.0.1:3000', true)).toMatch(/^No connection since .+: 127\.0\.0\.1:3000 cannot be reached or refuses the connection\. Is the local stack \(npm run dev\) still running\? Still retrying, less often as the outage goes on\.$/);
    expect(outageText(lostAt, 'abc-ats.iot.eu-west-1.amazonaws.com', false)).not.toContain('npm run dev');
  });
});

describe('OutageWatch', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reports once, 5 s after the first loss, unless the connection came back', () => {
    const reports: number[] = [];
    const watch = new OutageWatch((since) => reports.push(since));
    watch.lost();
    const since = watch.since;
    vi.advanceTimersByTime(3_000);
    watch.lost(); // further failed attempts do not restart the grace period
    vi.advanceTimersByTime(1_999);
    expect(reports).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(reports).toEqual([since]);
    expect(watch.reported).toBe(true);

    watch.reset();
    expect(watch.reported).toBe(false);
    watch.lost();
    vi.advanceTimersByTime(4_000);
    watch.reset();
    vi.advanceTimersByTime(10_000);
    expect(reports).toHaveLength(1);
  });
});

describe('shownText', () => {
  it('cuts texts longer than 500 characters and says how long they were', () => {
    expect(shownText('short')).toBe('short');
    expect(shownText('x'.repeat(500))).toBe('x'.repeat(500));
    expect(shownText('y'.repeat(204_800))).toBe(`${'y'.repeat(500)}… (204800 characters in all)`);
  });
});
