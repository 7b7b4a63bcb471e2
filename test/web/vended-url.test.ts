import { describe, expect, it } from 'vitest';
import { parseAmzDate, parseVendedMqttUrl, receiveMqttUrl, urlLifetimeMs } from '../../web/vended-url.js';
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

describe('parseVendedMqttUrl', () => {
  /** The fixture body with its URL's scheme and host replaced. */
  function bodyWithUrl(schemeAndHost: string): unknown {
    const body = vendedBody({ signedAt: SERVER_NOW });
    return { ...body, url: body.url.replace(/^wss?:\/\/[^/]+/, schemeAndHost) };
  }

  it.each([['wss://abc-ats.iot.eu-west-1.amazonaws.com'], ['ws://127.0.0.1:3000'], ['ws://127.4.5.6'], ['ws://localhost:8080'], ['ws://[::1]:3000']])(
    'accepts %s',
    (schemeAndHost) => {
      expect(parseVendedMqttUrl(bodyWithUrl(schemeAndHost)).url.startsWith(`${schemeAndHost}/mqtt?`)).toBe(true);
    },
  );

  it.each([
    ['ws://abc-ats.iot.eu-west-1.amazonaws.com', 'abc-ats.iot.eu-west-1.amazonaws.com'],
    ['WS://Evil.Example:443', 'evil.example'],
    ['ws://10.0.0.1:3000', '10.0.0.1'],
  ])('refuses unencrypted %s (a bearer URL in clear text), naming the host but not the URL', (schemeAndHost, host) => {
    let error: unknown;
    try {
      parseVendedMqttUrl(bodyWithUrl(schemeAndHost));
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ name: 'VendingError', status: 200, code: 'InvalidResponse' });
    expect((error as Error).message).toBe(
      `The vending API answered with an unusable body: "url" is unencrypted ws:// to the non-loopback host ${host}; only wss:// is accepted there`,
    );
    expect((error as Error).message).not.toContain('X-Amz');
  });

  it.each([['https://abc-ats.iot.eu-west-1.amazonaws.com'], ['http://127.0.0.1:3000'], ['mqtt://abc-ats.iot.eu-west-1.amazonaws.com']])(
    'refuses the non-WebSocket scheme of %s',
    (schemeAndHost) => {
      expect(() => parseVendedMqttUrl(bodyWithUrl(schemeAndHost))).toThrow('"url" is not a ws(s)://<host>/mqtt?… URL');
    },
  );
});

describe('parseVendedMqttUrl principalId', () => {
  const body = (fields: Record<string, unknown>): unknown => ({ ...vendedBody({ signedAt: new Date('2026-01-01T00:00:00Z') }), ...fields });

  it('keeps the principal ID, which the client ID equals or starts with followed by "-"', () => {
    expect(parseVendedMqttUrl(body({ clientId: 'p-1', principalId: 'p-1' })).principalId).toBe('p-1');
    expect(parseVendedMqttUrl(body({ clientId: 'p-1-tab', principalId: 'p-1' })).principalId).toBe('p-1');
  });

  it('refuses an answer without one, or whose client ID is somebody else\'s', () => {
    expect(() => parseVendedMqttUrl(body({ principalId: undefined }))).toThrow('principalId');
    expect(() => parseVendedMqttUrl(body({ principalId: '' }))).toThrow('principalId');
    expect(() => parseVendedMqttUrl(body({ clientId: 'p-10', principalId: 'p-1' }))).toThrow('"clientId" does not start with "principalId"');
    expect(() => parseVendedMqttUrl(body({ clientId: 'xp-1', principalId: 'p-1' }))).toThrow('"clientId" does not start with "principalId"');
  });
});
