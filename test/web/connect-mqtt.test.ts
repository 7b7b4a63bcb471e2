/**
 * connectMqtt in Node against a real broker over real sockets; only `fetch` (the vending API) is
 * scripted. Fake setTimeout/Date (advancing with real time) let the tests jump to the prefetch
 * moment while mqtt.js and the sockets run for real.
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

function once<T extends unknown[]>(client: MqttClient, event: 'connect' | 'close' | 'error' | 'offline'): Promise<T> {
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

  it('prefetches before expiry and reconnects with the prefetched URL after a dropped connection', async () => {
    vendFreshUrls();
    connection = await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, mqttOptions: NO_KEEPALIVE });
    const { client } = connection;
    await once(client, 'connect');

    await vi.advanceTimersByTimeAsync(240_000); // 80 % of 300 s: the prefetch is due by now
    await vendCount(2);

    const reconnected = once(client, 'connect');
    client.stream.destroy();
    await reconnected;
    expect(broker.signatures()).toEqual(['sig1', 'sig2']);
    expect(fake.requests).toHaveLength(2); // the reconnect itself needed no request
  });

  it('currentUrl tells which URL each connection used: the one vended at connect, the prefetched one, reused', async () => {
    vendFreshUrls();
    connection = await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, mqttOptions: { ...NO_KEEPALIVE, reconnectPeriod: 50 } });
    const { client } = connection;
    await once(client, 'connect');
    const firstVend = Date.now();
    expect(connection.currentUrl).toMatchObject({ vendedFor: 'connect', attempts: 1 });
    expect(Math.abs((connection.currentUrl?.vendedAt ?? 0) - firstVend)).toBeLessThan(1_000);

    await vi.advanceTimersByTimeAsync(240_000);
    await vendCount(2);
    let reconnected = once(client, 'connect');
    client.stream.destroy();
    await reconnected;
    expect(connection.currentUrl).toMatchObject({ vendedFor: 'prefetch', attempts: 1 });
    expect(connection.currentUrl?.vendedAt).toBeGreaterThanOrEqual(firstVend + 240_000 - 30_000);

    reconnected = once(client, 'connect');
    client.stream.destroy();
    await reconnected;
    expect(connection.currentUrl).toMatchObject({ vendedFor: 'prefetch', attempts: 2 });
    expect(broker.signatures()).toEqual(['sig1', 'sig2', 'sig2']);
    // Never the URL itself.
    expect(JSON.stringify(connection.currentUrl)).not.toContain('X-Amz');
  });

  it('replaces a URL that fails to connect twice (an endpoint that forgot its session) and reconnects with the new one', async () => {
    vendFreshUrls();
    connection = await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, mqttOptions: { ...NO_KEEPALIVE, reconnectPeriod: 50 } });
    const { client } = connection;
    await once(client, 'connect');
    broker.refuse('sig1'); // still valid by the clock, but the endpoint no longer accepts it

    const reconnected = once(client, 'connect');
    client.stream.destroy();
    await reconnected;
    expect(broker.handshakes.map((h) => h.refused)).toEqual([false, true, true, false]);
    expect(broker.signatures()).toEqual(['sig1', 'sig1', 'sig1', 'sig2']);
    expect(fake.requests).toHaveLength(2);
    expect(connection.currentUrl).toMatchObject({ vendedFor: 'reconnect', attempts: 1 });
  });

  it('after refreshes failed until the URL went stale, a dropped connection re-vends and reconnects', async () => {
    fake.next(() => jsonResponse(200, vendedBody({ signedAt: new Date(Date.now()), serial: 1, host: broker.host })));
    const unavailable = (): Response =>
      jsonResponse(503, { error: { code: 'ServiceUnavailable', message: 'try later' } }, { 'Retry-After': '30' });
    for (let i = 0; i < 3; i += 1) fake.next(unavailable);
    serial = 1;
    vendFreshUrls();

    const errors: Error[] = [];
    connection = await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, mqttOptions: NO_KEEPALIVE });
    const { client } = connection;
    client.on('error', (error) => errors.push(error));
    await once(client, 'connect');

    // Prefetch at 240 s and retries 30 s apart all fail: URL 1 is past its use-by time at 295 s.
    await vi.advanceTimersByTimeAsync(240_000 + 30_000 + 30_000 - 1);
    expect(fake.requests).toHaveLength(4);
    expect(errors).toHaveLength(3);
    expect(errors[0]).toBeInstanceOf(VendingError);
    expect(errors[0]).toMatchObject({ status: 503, code: 'ServiceUnavailable', retryAfterSeconds: 30 });
    broker.refuse('sig1'); // as AWS IoT refuses an expired URL

    const reconnected = once(client, 'connect');
    client.stream.destroy();
    await reconnected;
    expect(fake.requests).toHaveLength(5); // the drop itself triggered the re-vend
    expect(broker.signatures()).toEqual(['sig1', 'sig2']);
  });

  it('stops refreshing after a permanent refusal and emits it once as an error with permanent: true', async () => {
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
      mqttOptions: NO_KEEPALIVE,
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
    // A reconnect with the now stale URL does not call the API or the token provider either.
    const reconnected = once(client, 'connect');
    client.stream.destroy();
    await reconnected;
    expect(fake.requests).toHaveLength(3);
    expect(asked).toHaveLength(3);
    expect(errors).toHaveLength(1);
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
