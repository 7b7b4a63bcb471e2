/**
 * Several connections of one user against the local stack, with `connectMqtt` in Node and real time
 * (a takeover loop is a matter of seconds, and the gateway enforces AWS IoT's one CONNECT per second
 * per client ID):
 * - two default connections get distinct client IDs and stay up (before suffixes were the default,
 *   they flapped: 11 and 10 connects in 20 s);
 * - two connections forced onto one client ID end the loop: one gets `ClientIdConflict` and ends,
 *   the other stays up (before: 41 connects in 40 s, forever);
 * - what looks like a takeover and is not does not raise it: a refused publish (the gateway closes
 *   the connection, as AWS IoT does) and a lost network (the connection drops, attempts fail).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/dev-server.js';
import { connectMqtt, type ConnectMqttOptions, type MqttConnection } from '../../web/connect-mqtt.js';
import { signIn, type StackUser } from './stack-users.js';

let stack: LocalStack;
let alice: StackUser;
let bob: StackUser;
let carol: StackUser;
let dave: StackUser;
const open: MqttConnection[] = [];

/** A connection with its `connect` times (ms since it was opened) and errors recorded. */
interface Watched {
  readonly connection: MqttConnection;
  readonly connects: number[];
  readonly errors: Error[];
  readonly ended: Promise<void>;
}

async function watchedConnection(user: StackUser, options: Partial<ConnectMqttOptions> = {}): Promise<Watched> {
  const opened = performance.now();
  const connection = await connectMqtt({ apiUrl: stack.url, getToken: () => user.token, ...options });
  open.push(connection);
  const connects: number[] = [];
  const errors: Error[] = [];
  connection.client.on('connect', () => connects.push(Math.round(performance.now() - opened)));
  connection.client.on('error', (error) => errors.push(error));
  const ended = new Promise<void>((resolve) => connection.client.once('end', () => resolve()));
  return { connection, connects, errors, ended };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(condition: () => boolean, timeoutMs: number, state: () => unknown = () => ''): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${JSON.stringify(state())}`);
    await sleep(20);
  }
}

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, quiet: true, userRatePerSecond: 0 });
  alice = await signIn(stack.url, 'alice');
  bob = await signIn(stack.url, 'bob');
  carol = await signIn(stack.url, 'carol');
  dave = await signIn(stack.url, 'dave');
});

afterAll(async () => {
  await Promise.all(open.splice(0).map((connection) => connection.end()));
  await stack?.stop();
});

// These three mostly wait, each as a user of its own, so they run side by side.
describe.concurrent('several connections of one user', () => {
  it('two default connections get distinct client IDs and stay connected: at most 2 connects each in 20 s', async () => {
    const first = await watchedConnection(alice);
    const second = await watchedConnection(alice);
    expect(first.connection.clientId).not.toBe(second.connection.clientId);
    for (const { connection } of [first, second]) expect(connection.clientId.startsWith(`${alice.sub}-`)).toBe(true);
    await sleep(20_000);
    console.log(`[tabs] two default connections, 20 s: ${first.connects.length} and ${second.connects.length} connects`);
    expect(first.connects.length).toBeLessThanOrEqual(2);
    expect(second.connects.length).toBeLessThanOrEqual(2);
    expect(first.connection.client.connected && second.connection.client.connected).toBe(true);
    expect([...first.errors, ...second.errors]).toEqual([]);
  }, 30_000);

  it('two connections forced onto one client ID: one gets ClientIdConflict within 30 s and ends, the other stays; at most 10 connects in all', async () => {
    const started = performance.now();
    const first = await watchedConnection(bob, { clientSuffix: 'shared' });
    await until(() => first.connects.length === 1, 5_000);
    const second = await watchedConnection(bob, { clientSuffix: 'shared' });
    const conflicts = (): Error[] => [...first.errors, ...second.errors].filter((error) => error.name === 'ClientIdConflict');
    await until(() => conflicts().length > 0, 30_000);
    const detectedMs = Math.round(performance.now() - started);
    const [loser, winner] = first.errors.some((error) => error.name === 'ClientIdConflict') ? [first, second] : [second, first];
    await loser.ended;
    const connectsAtDetection = first.connects.length + second.connects.length;

    // The loop is over: the winner stays up, nobody connects again.
    await sleep(6_000);
    console.log(`[takeover] ClientIdConflict after ${detectedMs} ms, ${connectsAtDetection} connects in all`);
    expect(conflicts()).toHaveLength(1);
    expect(conflicts()[0]).toMatchObject({ name: 'ClientIdConflict', clientId: `${bob.sub}-shared`, kicks: 3 });
    expect(first.connects.length + second.connects.length).toBe(connectsAtDetection);
    expect(connectsAtDetection).toBeLessThanOrEqual(10);
    expect(winner.connection.client.connected).toBe(true);
    expect(loser.connection.client.connected).toBe(false);
  }, 45_000);

  it('a publish the policy refuses closes the connection each time, and never raises ClientIdConflict', async () => {
    const watched = await watchedConnection(carol, { mqttOptions: { reconnectPeriod: 200 } });
    for (let round = 1; round <= 4; round++) {
      await until(() => watched.connects.length === round && watched.connection.client.connected, 10_000);
      // Alice's inbox: the gateway disconnects carol at once, as AWS IoT does on MQTT 3.1.1.
      watched.connection.client.publish(`users/${alice.sub}/inbox`, `refused ${round}`);
    }
    await until(() => watched.connects.length === 5, 10_000);
    expect(watched.errors.filter((error) => error.name === 'ClientIdConflict')).toEqual([]);
    expect(watched.connection.client.connected).toBe(true);
  }, 45_000);
});

// After the others: a lost network drops every connection of the stack.
describe('what looks like a takeover and is not', () => {
  it('a lost network (connections dropped, attempts failing while it lasts) never raises ClientIdConflict', async () => {
    // Each loss outlasts the first reconnect (200 ms + at most 2 s of jitter): as on a real network,
    // the attempts made while it lasts fail. Each connection is cut at once: only that tells it apart.
    const watched = await watchedConnection(dave, { mqttOptions: { reconnectPeriod: 200 } });
    const state = (): unknown => ({ connects: watched.connects, errors: watched.errors.map((e) => e.message), connected: watched.connection.client.connected });
    for (let round = 1; round <= 4; round++) {
      await until(() => watched.connects.length === round && watched.connection.client.connected, 20_000, state);
      stack.loseNetwork(2_500);
    }
    await until(() => watched.connects.length === 5, 20_000, state);
    expect(watched.errors.filter((error) => error.name === 'ClientIdConflict')).toEqual([]);
    expect(watched.connection.client.connected).toBe(true);
  }, 60_000);
});
