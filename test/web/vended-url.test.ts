import { describe, expect, it } from 'vitest';
import { parseAmzDate, receiveMqttUrl, urlLifetimeMs } from '../../web/vended-url.js';
import { vendedBody } from './fixtures.js';

const SERVER_NOW = new Date('2024-05-01T12:00:00Z');

describe('receiveMqttUrl', () => {
  it('measures the lifetime on the server clock and anchors it at the local request time', () => {
    // The client's clock is 10 minutes fast: expiresAt is already "in the past" locally.
    const localRequestedAt = SERVER_NOW.getTime() + 600_000;
    const received = receiveMqttUrl(vendedBody({ signedAt: SERVER_NOW, ttlSeconds: 300 }), localRequestedAt);
    expect(received.lifetimeMs).toBe(300_000);
    expect(received.usableUntil).toBe(localRequestedAt + 295_000);
  });

  it('keeps a margin of at most 10 % of a short life', () => {
    const received = receiveMqttUrl(vendedBody({ signedAt: SERVER_NOW, ttlSeconds: 10 }), 0);
    expect(received.usableUntil).toBe(9_000);
  });

  it('falls back to the local clock when the URL has no X-Amz-Date', () => {
    const body = vendedBody({ signedAt: SERVER_NOW });
    const unsignedDate = { ...body, url: body.url.replace(/X-Amz-Date=[^&]+&/, '') };
    expect(urlLifetimeMs(unsignedDate, SERVER_NOW.getTime() + 100_000)).toBe(200_000);
  });
});

describe('parseAmzDate', () => {
  it('parses the SigV4 basic format only', () => {
    expect(parseAmzDate('20240501T120000Z')).toBe(SERVER_NOW.getTime());
    expect(parseAmzDate('2024-05-01T12:00:00Z')).toBeUndefined();
    expect(parseAmzDate(null)).toBeUndefined();
  });
});
