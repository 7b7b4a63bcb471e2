/**
 * Dropped connections against the local stack, with `connectMqtt` in Node:
 * - `resume: true`: all 50 QoS 1 messages published while a connection was away arrive when it is
 *   back, without a re-subscribe; the same drop without `resume` loses them all (as documented);
 * - 200 tabs of 200 users dropped at once (their URLs expired, so every reconnect needs a vend):
 *   the vends and the reconnects are spread over more than a second, and all are back within 5 s.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/dev-server.js';
import { connectMqtt, type FetchLike, type MqttConnection } from '../../web/connect-mqtt.js';
import { connectRecording, end } from './mqtt-helpers.js';
import { signIn, vend, type StackUser } from './stack-users.js';

let stack: LocalStack;
const open: MqttConnection[] = [];

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

beforeAll(async () => {
  // The stack reads the global Date, so that the herd test can make every URL expire at once.
  stack = await startLocalStack({ port: 0, quiet: true, urlTtlSeconds: 10, userRatePerSecond: 0, now: () => new Date() });
});

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(open.splice(0).map((connection) => connection.end()));
});

afterAll(async () => {
  await stack?.stop();
});

/**
 * Connects `user` with `connectMqtt`, subscribes at QoS 1 to its inbox, drops every connection, has
 * a second connection of the same user publish 50 QoS 1 messages while the first is away (its
 * reconnect waits 3 s), and returns what the first received once it is back.
 */
async function dropAndPublish(user: StackUser, resume: boolean): Promise<{ readonly received: string[]; readonly subscribes: number; readonly sessionPresent: boolean }> {
  const connection = await connectMqtt({ apiUrl: stack.url, getToken: () => user.token, resume, mqttOptions: { reconnectPeriod: 3_000 } });
  open.push(connection);
  const { client } = connection;
  await new Promise((resolve) => client.once('connect', resolve));
  const inbox = `users/${user.sub}/inbox`;
  await client.subscribeAsync(inbox, { qos: 1 });
  const received: string[] = [];
  client.on('message', (_topic, payload) => received.push(payload.toString('utf8')));
  let subscribes = 0;
  client.on('packetsend', (packet) => {
    if (packet.cmd === 'subscribe') subscribes += 1;
  });
  const back = new Promise<{ sessionPresent: boolean }>((resolve) => client.once('connect', resolve));

  expect(stack.dropMqttConnections()).toBe(1);
  const vended = await vend(stack.url, user);
  const publisher = await connectRecording(vended.url, vended.clientId);
  for (let i = 1; i <= 50; i++) await publisher.client.publishAsync(inbox, `missed ${i}`, { qos: 1 });
  expect(client.connected).toBe(false); // all 50 were published while it was away
  await end(publisher.client);

  const connack = await back;
  await sleep(1_000);
  return { received, subscribes, sessionPresent: connack.sessionPresent };
}

describe('resume', () => {
  it('resume: true delivers all 50 QoS 1 messages published during a drop, in order, without re-subscribing', async () => {
    const carol = await signIn(stack.url, 'carol');
    const { received, subscribes, sessionPresent } = await dropAndPublish(carol, true);
    console.log(`[resume] with resume: ${received.length} of 50 missed messages arrived after the reconnect`);
    expect(sessionPresent).toBe(true);
    expect(received).toEqual(Array.from({ length: 50 }, (_, i) => `missed ${i + 1}`));
    expect(subscribes).toBe(0);
  }, 30_000);

  it('without resume the same drop loses every one of them (a clean session re-subscribes and starts empty)', async () => {
    const dave = await signIn(stack.url, 'dave');
    const { received, subscribes, sessionPresent } = await dropAndPublish(dave, false);
    console.log(`[resume] without resume: ${received.length} of 50 missed messages arrived after the reconnect`);
    expect(sessionPresent).toBe(false);
    expect(received).toEqual([]);
    expect(subscribes).toBe(1);
  }, 30_000);
});

describe('a fleet dropped at once', () => {
  it('200 tabs of 200 users: vends and reconnects spread over more than a second, all back within 5 s', async () => {
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    const users: StackUser[] = [];
    for (let i = 0; i < 200; i += 20) users.push(...(await Promise.all(Array.from({ length: 20 }, (_, j) => signIn(stack.url, `herd-${i + j}`)))));
    const vendTimes: number[] = [];
    let dropped = Number.POSITIVE_INFINITY;
    const timedFetch: FetchLike = async (input, init) => {
      if (performance.now() >= dropped) vendTimes.push(performance.now() - dropped);
      return fetch(input, init);
    };
    // Opened 20 at a time: the first connects are not what is measured, and 200 STS calls at once
    // on a busy 2-core machine can outlast the Lambda's STS timeout (a 503 the first vend does not retry).
    const tabs: MqttConnection[] = [];
    for (let i = 0; i < users.length; i += 20) {
      const batch = await Promise.all(users.slice(i, i + 20).map((user) => connectMqtt({ apiUrl: stack.url, getToken: () => user.token, fetch: timedFetch })));
      tabs.push(...batch);
      open.push(...batch);
    }
    await until(() => tabs.every((tab) => tab.client.connected), 20_000);

    vi.setSystemTime(Date.now() + 15_000); // every URL (10 s) has expired: each reconnect vends
    const reconnects: number[] = [];
    for (const tab of tabs) tab.client.once('connect', () => reconnects.push(performance.now() - dropped));
    dropped = performance.now();
    expect(stack.dropMqttConnections()).toBe(200);
    await until(() => reconnects.length === 200, 10_000);

    const sorted = [...reconnects].sort((a, b) => a - b);
    const vends = [...vendTimes].sort((a, b) => a - b);
    const ms = (value: number | undefined): number => Math.round(value ?? Number.NaN);
    console.log(
      `[herd] 200 tabs: vends ${vends.length} from ${ms(vends[0])} to ${ms(vends.at(-1))} ms; reconnects from ${ms(sorted[0])} to ${ms(sorted.at(-1))} ms (median ${ms(sorted[100])} ms) after the drop`,
    );
    expect(vends).toHaveLength(200);
    expect((vends.at(-1) ?? 0) - (vends[0] ?? 0)).toBeGreaterThan(1_000);
    expect((sorted.at(-1) ?? 0) - (sorted[0] ?? 0)).toBeGreaterThan(1_000);
    expect(sorted.at(-1)).toBeLessThan(5_000);
  }, 60_000);
});
