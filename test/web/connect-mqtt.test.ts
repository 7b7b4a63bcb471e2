/**
 * connectMqtt in Node against a real broker over real sockets; only `fetch` (the vending API) is
 * scripted. Fake setTimeout/Date (advancing with real time) let the tests jump hours ahead (a URL's
 * expiry, an API outage, the prefetch moment) while mqtt.js and the sockets run for real.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectMqttOptionError, VendingError, connectMqtt, type MqttConnection } from '../../web/connect-mqtt.js';
import { FakeFetch, jsonResponse, vendedBody } from './fixtures.js';
import { TestWsBroker } from './ws-broker.js';

const API = 'https://api.example.com/';
/**
 * aedes times keepalives out with setTimeout, which these tests fake: jumping minutes ahead would
 * make it drop the client. Keepalive 0 switches it off on both ends, so every drop is the test's.
 */
const NO_KEEPALIVE = { keepalive: 0 } as const;
const broker = new TestWsBroker();
let fake: FakeFetch;
let serial: number;
let connection: MqttConnection | undefined;

/** Answers every vend with a new URL for the test broker, signed "now", `sig<n>`. */
function vendFreshUrls(): void {
  fake.otherwise(() => {
    serial += 1;
    return jsonResponse(200, vendedBody({ signedAt: new Date(Date.now()), serial, host: broker.host }));
  });
}

function once<T extends unknown[]>(client: MqttClient, event: 'connect' | 'close' | 'error' | 'offline' | 'end'): Promise<T> {
  return new Promise((resolve) => client.once(event, (...args: unknown[]) => resolve(args as T)));
}

/** Resolves when the fake fetch has been called `count` times in total. */
async function vendCount(count: number): Promise<void> {
  await vi.waitFor(() => expect(fake.requests.length).toBeGreaterThanOrEqual(count), { timeout: 5_000, interval: 5 });
}

beforeAll(async () => {
  await broker.start();
});
afterAll(async () => {
  await broker.stop();
});
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], shouldAdvanceTime: true });
  fake = new FakeFetch();
  serial = 0;
  broker.reset();
});
afterEach(async () => {
  await connection?.end();
  connection = undefined;
  vi.useRealTimers();
});

describe('connectMqtt', () => {
  it('vends, connects with the vended client ID over the vended URL, and exchanges messages', async () => {
    vendFreshUrls();
    connection = await connectMqtt({ apiUrl: API, getToken: () => 'id-token', fetch: fake.fetch, clientSuffix: 'tab1', mqttOptions: NO_KEEPALIVE });
    const { client } = connection;
    await once(client, 'connect');

    expect(fake.requests[0]?.url).toBe('https://api.example.com/mqtt-url?clientSuffix=tab1');
    expect(connection).toMatchObject({ clientId: 'user-1', endpoint: broker.host, region: 'eu-west-1' });
    expect(connection.topics.subscribe).toEqual(['users/user-1/*']);
    expect(broker.signatures()).toEqual(['sig1']);
    expect(broker.handshakes[0]?.url).toMatch(/^\/mqtt\?X-Amz-Algorithm=AWS4-HMAC-SHA256&/);
    expect(client.options).toMatchObject({ clientId: 'user-1', protocolVersion: 4, clean: true });
    // The signed query never sits in the client's options, where apps might log it.
    expect(JSON.stringify({ ...client.options, transformWsUrl: undefined })).not.toContain('X-Amz');

    await client.subscribeAsync('users/user-1/#');
    const received = new Promise<[string, string]>((resolve) =>
      client.once('message', (topic, payload) => resolve([topic, payload.toString()])),
    );
    await client.publishAsync('users/user-1/chat', 'hello');
    expect(await received).toEqual(['users/user-1/chat', 'hello']);
  });

  it('a connection that never drops makes exactly one vend over two simulated hours', async () => {
    vendFreshUrls();
    connection = await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, mqttOptions: NO_KEEPALIVE });
    const { client } = connection;
    await once(client, 'connect');

    // Two hours in 1-minute steps: every timer due in that time runs (the URL expires 24 times over).
    for (let minute = 0; minute < 120; minute += 1) await vi.advanceTimersByTimeAsync(60_000);
    expect(client.connected).toBe(true);
    expect(fake.requests).toHaveLength(1);
    expect(broker.handshakes).toHaveLength(1);
    expect(connection.currentUrl).toMatchObject({ vendedFor: 'connect', attempts: 1 });
  });

  it('a drop while the URL is usable reconnects with the same URL and makes no request', async () => {
    vendFreshUrls();
    connection = await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, mqttOptions: { ...NO_KEEPALIVE, reconnectPeriod: 50 } });
    const { client } = connection;
    await once(client, 'connect');
    await vi.advanceTimersByTimeAsync(200_000); // 200 s into a 300 s URL: still usable

    const reconnected = once(client, 'connect');
    client.stream.destroy();
    await reconnected;
    expect(fake.requests).toHaveLength(1);
    expect(broker.signatures()).toEqual(['sig1', 'sig1']);
    expect(connection.currentUrl).toMatchObject({ vendedFor: 'connect', attempts: 2 });
  });

  it('a drop after the URL expired vends once, at the drop, and reconnects with the new URL', async () => {
    const handshakesAtVend: number[] = [];
    fake.otherwise(() => {
      serial += 1;
      handshakesAtVend.push(broker.handshakes.length);
      return jsonResponse(200, vendedBody({ signedAt: new Date(Date.now()), serial, host: broker.host }));
    });
    connection = await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, mqttOptions: { ...NO_KEEPALIVE, reconnectPeriod: 50 } });
    const { client } = connection;
    await once(client, 'connect');
    await vi.advanceTimersByTimeAsync(300_000); // expired (and no request meanwhile)
    expect(fake.requests).toHaveLength(1);
    broker.refuse('sig1'); // as AWS IoT refuses an expired URL

    const droppedAt = Date.now();
    const reconnected = once(client, 'connect');
    client.stream.destroy();
    await reconnected;
    expect(fake.requests).toHaveLength(2);
    // The vend ran before any attempt: no attempt was wasted on the expired URL.
    expect(handshakesAtVend).toEqual([0, 1]);
    expect(broker.signatures()).toEqual(['sig1', 'sig2']);
    expect(connection.currentUrl).toMatchObject({ vendedFor: 'reconnect', attempts: 1 });
    expect(connection.currentUrl?.vendedAt).toBeGreaterThanOrEqual(droppedAt);
    expect(connection.currentUrl?.vendDurationMs).toBeGreaterThanOrEqual(0);
    // Never the URL itself.
    expect(JSON.stringify(connection.currentUrl)).not.toContain('X-Amz');

    // Connected again: no further request however long it stays up.
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(fake.requests).toHaveLength(2);
  });

  it('with prefetch: true keeps the next URL ready (about 16 vends an hour) and reconnects with it without a request', async () => {
    vendFreshUrls();
    connection = await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, prefetch: true, mqttOptions: { ...NO_KEEPALIVE, reconnectPeriod: 50 } });
    const { client } = connection;
    await once(client, 'connect');

    await vi.advanceTimersByTimeAsync(240_000); // 80 % of 300 s: the prefetch is due by now
    await vendCount(2);
    const reconnected = once(client, 'connect');
    client.stream.destroy();
    await reconnected;
    expect(broker.signatures()).toEqual(['sig1', 'sig2']);
    expect(fake.requests).toHaveLength(2); // the reconnect itself needed no request
    expect(connection.currentUrl).toMatchObject({ vendedFor: 'prefetch', attempts: 1 });

    for (let minute = 0; minute < 60; minute += 1) await vi.advanceTimersByTimeAsync(60_000);
    // One every 210-240 s: 15 to 18 in an hour, on top of the two above.
    expect(fake.requests.length - 2).toBeGreaterThanOrEqual(15);
    expect(fake.requests.length - 2).toBeLessThanOrEqual(18);
  });

  it('replaces a URL that fails to connect twice (an endpoint that forgot its session) and reconnects with the new one', async () => {
    vendFreshUrls();
    connection = await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, mqttOptions: { ...NO_KEEPALIVE, reconnectPeriod: 50 } });
    const { client } = connection;
    await once(client, 'connect');
    broker.refuse('sig1'); // still valid by the clock, but the endpoint no longer accepts it

    const reconnected = once(client, 'connect');
    client.stream.destroy();
    // After two failed attempts the third waits a backoff of up to 1 s (on the fake clock): skip it.
    await vi.waitFor(() => expect(broker.handshakes).toHaveLength(3), { timeout: 5_000, interval: 5 });
    await vi.advanceTimersByTimeAsync(1_000);
    await reconnected;
    expect(broker.handshakes.map((h) => h.refused)).toEqual([false, true, true, false]);
    expect(broker.signatures()).toEqual(['sig1', 'sig1', 'sig1', 'sig2']);
    expect(fake.requests).toHaveLength(2);
    expect(connection.currentUrl).toMatchObject({ vendedFor: 'reconnect', attempts: 1 });
  });

  it.each([
    ['503 with Retry-After: 5 (STS throttled)', () => jsonResponse(503, { error: { code: 'throttled', message: 'try later' } }, { 'Retry-After': '5' }), 503, 5, 7],
    ['429 rate_limited with Retry-After: 1', () => jsonResponse(429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'Retry-After': '1' }), 429, 1, 7],
    ['no answer at all (offline)', () => Promise.reject(new TypeError('fetch failed')), 0, undefined, 7],
  ] as const)('during a 60 s API outage on reconnect (%s) vends a bounded number of times, and recovers when the API returns', async (_label, failing, status, retryAfterSeconds, maxVends) => {
    let outage = false;
    fake.otherwise(() => {
      if (outage) return failing();
      serial += 1;
      return jsonResponse(200, vendedBody({ signedAt: new Date(Date.now()), serial, host: broker.host }));
    });
    const errors: Error[] = [];
    connection = await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, mqttOptions: { ...NO_KEEPALIVE, reconnectPeriod: 50 } });
    const { client } = connection;
    client.on('error', (error) => errors.push(error));
    await once(client, 'connect');
    await vi.advanceTimersByTimeAsync(300_000); // the URL has expired

    outage = true;
    client.stream.destroy();
    for (let second = 0; second < 60; second += 1) await vi.advanceTimersByTimeAsync(1_000);
    const vendsInOutage = fake.requests.length - 1;
    expect(vendsInOutage).toBeGreaterThanOrEqual(3);
    expect(vendsInOutage).toBeLessThanOrEqual(maxVends);
    expect(errors).toHaveLength(vendsInOutage);
    expect(errors[0]).toMatchObject({ name: 'VendingError', status, retryAfterSeconds, permanent: false });
    // No connection attempt without a usable URL: the expired one was never tried.
    expect(broker.handshakes).toHaveLength(1);
    expect(client.connected).toBe(false);

    outage = false;
    const reconnected = once(client, 'connect');
    await vi.advanceTimersByTimeAsync(30_000); // the longest backoff step
    await reconnected;
    expect(fake.requests.length - 1).toBe(vendsInOutage + 1);
    expect(broker.signatures()).toEqual(['sig1', 'sig2']);
  });

  it('refreshes the token on a 401 on the reconnect path and reconnects', async () => {
    fake.next(() => jsonResponse(200, vendedBody({ signedAt: new Date(Date.now()), serial: 1, host: broker.host })));
    fake.next(() => jsonResponse(401, { message: 'Unauthorized' }));
    serial = 1;
    vendFreshUrls();
    const asked: unknown[] = [];
    connection = await connectMqtt({
      apiUrl: API,
      getToken: (options) => {
        asked.push(options);
        return options?.forceRefresh ? 'new-token' : 'old-token';
      },
      fetch: fake.fetch,
      mqttOptions: { ...NO_KEEPALIVE, reconnectPeriod: 50 },
    });
    const { client } = connection;
    await once(client, 'connect');
    await vi.advanceTimersByTimeAsync(300_000);

    const reconnected = once(client, 'connect');
    client.stream.destroy();
    await reconnected;
    expect(asked).toEqual([undefined, undefined, { forceRefresh: true }]);
    expect(fake.requests.map((r) => r.authorization)).toEqual(['Bearer old-token', 'Bearer old-token', 'Bearer new-token']);
    expect(broker.signatures()).toEqual(['sig1', 'sig2']);
  });

  it('stops for good on a permanent refusal on the reconnect path: one error with permanent: true, then the client ends', async () => {
    fake.next(() => jsonResponse(200, vendedBody({ signedAt: new Date(Date.now()), serial: 1, host: broker.host })));
    fake.otherwise(() => jsonResponse(403, { error: { code: 'forbidden', message: 'not allowed' } }));
    const errors: Error[] = [];
    connection = await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, mqttOptions: { ...NO_KEEPALIVE, reconnectPeriod: 50 } });
    const { client } = connection;
    client.on('error', (error) => errors.push(error));
    await once(client, 'connect');
    await vi.advanceTimersByTimeAsync(300_000);

    const ended = once(client, 'end');
    client.stream.destroy();
    await ended;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ name: 'VendingError', status: 403, code: 'Forbidden', apiCode: 'forbidden', permanent: true });
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(fake.requests).toHaveLength(2);
    expect(broker.handshakes).toHaveLength(1);
  });

  it('with prefetch: true, a permanent refusal stops prefetching; the connection stays up until it drops with a stale URL', async () => {
    fake.next(() => jsonResponse(200, vendedBody({ signedAt: new Date(Date.now()), serial: 1, host: broker.host })));
    fake.otherwise(() => jsonResponse(401, { error: { code: 'unauthorized', message: 'The token carries no usable identity (sub).' } }));
    const asked: unknown[] = [];
    const errors: Error[] = [];
    connection = await connectMqtt({
      apiUrl: API,
      getToken: (options) => {
        asked.push(options);
        return 't';
      },
      fetch: fake.fetch,
      prefetch: true,
      mqttOptions: { ...NO_KEEPALIVE, reconnectPeriod: 50 },
    });
    const { client } = connection;
    client.on('error', (error) => errors.push(error));
    await once(client, 'connect');

    await vi.advanceTimersByTimeAsync(240_000);
    await vendCount(3);
    await vi.waitFor(() => expect(errors).toHaveLength(1), { timeout: 5_000, interval: 5 });
    expect(errors[0]).toBeInstanceOf(VendingError);
    expect(errors[0]).toMatchObject({ status: 401, code: 'Unauthorized', apiCode: 'unauthorized', permanent: true });
    // The refresh asked for a new token once (the 401 retry), and never again.
    expect(asked).toEqual([undefined, undefined, { forceRefresh: true }]);

    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(client.connected).toBe(true);
    // A drop with the now stale URL calls neither the API nor the token provider: the client ends.
    const ended = once(client, 'end');
    client.stream.destroy();
    await ended;
    expect(fake.requests).toHaveLength(3);
    expect(asked).toHaveLength(3);
    expect(errors).toHaveLength(1);
    expect(broker.handshakes).toHaveLength(1);
  });

  it('stops refreshing when the client closes and reconnects are disabled (reconnectPeriod: 0)', async () => {
    vendFreshUrls();
    connection = await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, mqttOptions: { ...NO_KEEPALIVE, reconnectPeriod: 0 } });
    const { client } = connection;
    await once(client, 'connect');
    const closed = once(client, 'close');
    client.stream.destroy();
    await closed;

    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(fake.requests).toHaveLength(1);
    expect(broker.handshakes).toHaveLength(1);
  });

  it('asks for a new token on 401 and retries once', async () => {
    fake.next(() => jsonResponse(401, { error: { code: 'Unauthorized', message: 'expired' } }));
    vendFreshUrls();
    const asked: unknown[] = [];
    connection = await connectMqtt({
      apiUrl: API,
      getToken: (options) => {
        asked.push(options);
        return options?.forceRefresh ? 'new-token' : 'old-token';
      },
      fetch: fake.fetch,
      mqttOptions: NO_KEEPALIVE,
    });
    await once(connection.client, 'connect');
    expect(asked).toEqual([undefined, { forceRefresh: true }]);
    expect(fake.requests.map((r) => r.authorization)).toEqual(['Bearer old-token', 'Bearer new-token']);
  });

  it('rejects with the VendingError of a failed first vend and opens no connection', async () => {
    fake.next(() => jsonResponse(403, { error: { code: 'Forbidden', message: 'sub not allowed' } }));
    const error = await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, mqttOptions: NO_KEEPALIVE }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'VendingError', status: 403, code: 'Forbidden', message: 'sub not allowed' });
    expect(broker.handshakes).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it.each([
    ['mqttOptions.clientId', { mqttOptions: { clientId: 'someone-else' } }],
    ['mqttOptions.transformWsUrl', { mqttOptions: { transformWsUrl: (url: string) => url } }],
    ['mqttOptions.host', { mqttOptions: { host: 'evil.example.com' } }],
    ['mqttOptions', { mqttOptions: 'keepalive=5' }],
    ['getToken', { getToken: 'a token' }],
    ['fetch', { fetch: 'fetch' }],
    ['prefetch', { prefetch: 'yes' }],
    ['clientSuffix', { clientSuffix: 'a/b' }],
    ['apiUrl', { apiUrl: 'api.example.com' }],
  ])('refuses a bad %s before any request', async (option, override) => {
    const options = { apiUrl: API, getToken: () => 't', fetch: fake.fetch, ...override };
    const error = await connectMqtt(options as Parameters<typeof connectMqtt>[0]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectMqttOptionError);
    expect(error).toMatchObject({ option });
    expect(fake.requests).toHaveLength(0);
  });

  it('end() stops refreshing and closes the connection; calling it twice is fine', async () => {
    vendFreshUrls();
    connection = await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, mqttOptions: NO_KEEPALIVE });
    const { client } = connection;
    await once(client, 'connect');

    await Promise.all([connection.end(), connection.end()]);
    expect(client.connected).toBe(false);
    expect(client.disconnected).toBe(true);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(fake.requests).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops refreshing when the app ends the client itself', async () => {
    vendFreshUrls();
    connection = await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, mqttOptions: NO_KEEPALIVE });
    await once(connection.client, 'connect');
    await connection.client.endAsync();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(fake.requests).toHaveLength(1);
  });
});
