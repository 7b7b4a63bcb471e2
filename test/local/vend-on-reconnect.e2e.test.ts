/**
 * Issue 13 against the local stack, with `URL_TTL_SECONDS=10` and the Lambda's default per-user rate
 * limit: `connectMqtt` (in Node) vends once for the first connect and never while connected; after
 * its socket is dropped with the URL expired, it vends once more and reconnects with the new URL; a
 * 429 `rate_limited` on that vend is waited out (`Retry-After`) and the reconnect follows.
 *
 * Time is moved, not waited for: `Date` is faked (advancing with real time as well) and the stack
 * runs on that clock, so the client and the stack both see the 35 s pass at once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/dev-server.js';
import { connectMqtt, type FetchLike, type MqttConnection } from '../../web/connect-mqtt.js';
import { handshake, subscribeGranted } from './mqtt-helpers.js';
import { signIn, vendResponse, type StackUser, type VendedUrl } from './stack-users.js';

let stack: LocalStack;
let connection: MqttConnection | undefined;

/** A `fetch` that keeps the URL of every 200 answer (compared in the test, never printed). */
function recordingFetch(): { fetch: FetchLike; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      if (response.ok) urls.push(((await response.clone().json()) as VendedUrl).url);
      return response;
    },
  };
}

function connectedOnce(connected: MqttConnection): Promise<void> {
  return new Promise((resolve) => connected.client.once('connect', () => resolve()));
}

beforeAll(async () => {
  // Faked before the stack starts, so that the stack's clock (its default `now`) is the test's.
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  stack = await startLocalStack({ port: 0, quiet: true, urlTtlSeconds: 10, now: () => new Date() });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await connection?.end();
  connection = undefined;
});

afterAll(async () => {
  await stack?.stop();
  vi.useRealTimers();
});

describe('connectMqtt vends on reconnect, not on a timer (URL_TTL_SECONDS=10)', () => {
  it('one vend in 35 s of connected time; after a drop it reconnects with a newly vended URL (the old one expired): one vend more', async () => {
    const alice = await signIn(stack.url, 'alice');
    const recorded = recordingFetch();
    const started = stack.vends.vended;
    connection = await connectMqtt({ apiUrl: stack.url, getToken: () => alice.token, clientSuffix: 'ttl10', fetch: recorded.fetch, mqttOptions: { reconnectPeriod: 100 } });
    await connectedOnce(connection);
    expect(stack.vends.vended - started).toBe(1);

    // 35 s of connected time: three and a half URL lifetimes, and not one request.
    vi.setSystemTime(Date.now() + 35_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(connection.client.connected).toBe(true);
    expect(recorded.urls).toHaveLength(1);
    expect(stack.vends.vended - started).toBe(1);
    // The URL the connection was opened with has expired by now: the gateway refuses it.
    expect(await handshake(recorded.urls[0] ?? '')).toEqual({ status: 403, body: 'Forbidden: url-expired\n' });

    const droppedAt = Date.now();
    const dropped = performance.now();
    const reconnected = connectedOnce(connection);
    expect(stack.dropMqttConnections()).toBe(1);
    await reconnected;
    const reconnectMs = Math.round(performance.now() - dropped);
    expect(recorded.urls).toHaveLength(2);
    expect(recorded.urls[1] !== recorded.urls[0], 'the reconnect used a new URL').toBe(true);
    expect(stack.vends.vended - started).toBe(2);
    expect(connection.currentUrl).toMatchObject({ vendedFor: 'reconnect', attempts: 1 });
    expect(connection.currentUrl?.vendedAt).toBeGreaterThanOrEqual(droppedAt);
    // The vend ran during mqtt.js's 100 ms reconnect wait: the reconnect took hardly longer than that.
    console.log(`[vend-on-reconnect] Node: connected again ${reconnectMs} ms after the drop (reconnectPeriod 100 ms, vend included)`);

    // The connection works, and stays up without calling the API.
    expect(await subscribeGranted(connection.client, [`users/${alice.sub}/#`])).toEqual([0]);
    const received = new Promise<string>((resolve) => connection?.client.once('message', (_topic, payload) => resolve(payload.toString('utf8'))));
    await connection.client.publishAsync(`users/${alice.sub}/chat`, 'back with a new URL');
    expect(await received).toBe('back with a new URL');
    vi.setSystemTime(Date.now() + 35_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stack.vends.vended - started).toBe(2);
  });

  it('waits out a 429 rate_limited (Retry-After) from the Lambda on the reconnect path, then reconnects', async () => {
    const bob: StackUser = await signIn(stack.url, 'bob');
    // No herd jitter: the reconnect's vend goes at once, before bob's bucket refills (1 per second).
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const recorded = recordingFetch();
    const errors: Error[] = [];
    connection = await connectMqtt({ apiUrl: stack.url, getToken: () => bob.token, clientSuffix: 'limited', fetch: recorded.fetch, mqttOptions: { reconnectPeriod: 100 } });
    connection.client.on('error', (error) => errors.push(error));
    await connectedOnce(connection);
    vi.setSystemTime(Date.now() + 35_000); // the URL expires; bob's bucket (1/s, burst 5) is full again

    // Bob spends his whole burst elsewhere (another tab, say) just before the drop.
    const burst = await Promise.all(Array.from({ length: 5 }, () => vendResponse(stack.url, bob)));
    expect(burst.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    const refusedBefore = stack.vends.refused;

    const reconnected = connectedOnce(connection);
    stack.dropMqttConnections();
    await reconnected;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ name: 'VendingError', status: 429, code: 'TooManyRequests', apiCode: 'rate_limited', retryAfterSeconds: 1, permanent: false });
    expect(stack.vends.refused - refusedBefore).toBe(1);
    expect(recorded.urls).toHaveLength(2);
    expect(connection.currentUrl).toMatchObject({ vendedFor: 'reconnect' });
  });
});
