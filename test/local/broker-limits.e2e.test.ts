/**
 * AWS IoT's message-broker limits end to end (`local/broker-limits.ts` names each rule's source):
 * the local stack with the demo grants, alice breaking a limit and bob, subscribed to the shared
 * lobby, showing that nothing of hers reached him. Each refusal is the one AWS documents where it
 * documents one (SUBACK 0x80 stays the policy's answer; limits close the connection) and is logged
 * with its rule. Also: the maximum connection duration, shortened, and the dev server's Host check.
 */
import { request } from 'node:http';
import type { IClientOptions } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_BYTES } from '../../local/broker-limits.js';
import { DEMO_GRANTS } from '../../local/demo-grants.js';
import { startLocalStack, type LocalStack } from '../../local/dev-server.js';
import { closed, connectRecording, end, nextMessage, subscribeGranted, type RecordingClient } from './mqtt-helpers.js';
import { signIn, vend, type StackUser } from './stack-users.js';

let stack: LocalStack;
const logLines: string[] = [];
const clients: RecordingClient[] = [];
/**
 * Time the tests let pass on the stack's clock: one CONNECT per second per client ID is itself a
 * limit under test, so every other connection moves the clock a second on instead of waiting.
 */
let elapsedMs = 0;
let alice: StackUser;
let bob: StackUser;
let markers = 0;

async function connect(user: StackUser, options: IClientOptions = {}): Promise<RecordingClient> {
  elapsedMs += 1_001;
  const vended = await vend(stack.url, user);
  const recording = await connectRecording(vended.url, vended.clientId, options);
  clients.push(recording);
  return recording;
}

/** Bob, subscribed to the whole shared lobby (where alice may publish). */
async function watcher(): Promise<RecordingClient> {
  const recording = await connect(bob);
  expect(await subscribeGranted(recording.client, ['lobby/#'])).toEqual([0]);
  return recording;
}

/**
 * Alice publishes a marker from a new connection; once bob has it, he must have nothing else: the
 * refused message, published before it, never reached him.
 */
async function expectOnlyMarker(bobsView: RecordingClient): Promise<void> {
  const marker = `marker ${++markers}`;
  const sender = await connect(alice);
  await sender.client.publishAsync('lobby/marker', marker);
  expect(await nextMessage(bobsView, 'lobby/marker')).toBe(marker);
  expect(bobsView.messages.map((message) => message.payload)).toEqual([marker]);
}

/** The gateway's log line for a refusal under `rule`. */
function refusal(rule: string): string | undefined {
  return logLines.find((line) => line.includes(`refused (${rule}:`));
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((recording) => end(recording.client)));
});

describe('AWS IoT message-broker limits on the local stack', () => {
  beforeAll(async () => {
    stack = await startLocalStack({
      port: 0,
      publishTopicTemplates: DEMO_GRANTS.publish,
      subscribeTopicTemplates: DEMO_GRANTS.subscribe,
      log: (line) => logLines.push(line),
      now: () => new Date(Date.now() + elapsedMs),
      // Many vends per user here; the Lambda's per-user rate limit has its own tests.
      userRatePerSecond: 0,
    });
    [alice, bob] = await Promise.all([signIn(stack.url, 'alice'), signIn(stack.url, 'bob')]);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('disconnects a 200 KB PUBLISH and delivers it to nobody; 128 KB exactly passes', async () => {
    const bobsView = await watcher();
    const a = await connect(alice);
    a.client.publish('lobby/big', Buffer.alloc(200 * 1024, 'x'));
    await closed(a.client);
    expect(refusal('payload-too-large')).toMatch(/^MQTT PUBLISH client="[^"]+" topic="lobby\/big" refused \(payload-too-large: the payload is 204800 bytes \(at most 131072, 128 KB\)\): disconnecting$/);
    await expectOnlyMarker(bobsView);

    const limit = await connect(alice);
    await limit.client.publishAsync('lobby/limit', Buffer.alloc(MAX_PAYLOAD_BYTES, 'y'));
    expect((await nextMessage(bobsView, 'lobby/limit')).length).toBe(MAX_PAYLOAD_BYTES);
  });

  it('disconnects a SUBSCRIBE with 9 topic filters without a SUBACK; nothing sent after it is delivered', async () => {
    const bobsView = await watcher();
    const a = await connect(alice);
    const suback = a.client.subscribeAsync(Array.from({ length: 9 }, (_, index) => `lobby/${index}`));
    suback.catch(() => undefined);
    // Sent on the same socket right behind the SUBSCRIBE: the gateway forwards nothing after a refusal.
    a.client.publish('lobby/after', 'sent after the refused subscribe');
    await closed(a.client);
    expect(refusal('too-many-filters')).toContain('9 topic filters in one SUBSCRIBE (at most 8)');
    await expectOnlyMarker(bobsView);

    const eight = await connect(alice);
    expect(await subscribeGranted(eight.client, Array.from({ length: 8 }, (_, index) => `lobby/${index}`))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('allows 50 subscriptions per connection and disconnects at the 51st; refused and repeated filters do not count', async () => {
    const bobsView = await watcher();
    const a = await connect(alice);
    // A filter the policy refuses (SUBACK 0x80) holds no subscription.
    expect(await subscribeGranted(a.client, [`users/${bob.sub}/#`])).toEqual([128]);
    const filters = Array.from({ length: 50 }, (_, index) => `lobby/room-${index}`);
    for (let start = 0; start < filters.length; start += 8) {
      const granted = await subscribeGranted(a.client, filters.slice(start, start + 8));
      expect(granted.every((qos) => qos === 0)).toBe(true);
    }
    // Subscribing again to a held filter adds nothing.
    expect(await subscribeGranted(a.client, ['lobby/room-0'])).toEqual([0]);
    expect(a.client.connected).toBe(true);
    a.client.subscribe('lobby/room-50');
    a.client.publish('lobby/after', 'sent after the refused subscribe');
    await closed(a.client);
    expect(refusal('too-many-subscriptions')).toContain('51 subscriptions on one connection (at most 50)');
    await expectOnlyMarker(bobsView);
  });

  it('disconnects a topic longer than 256 bytes or with more than 7 slashes, in a PUBLISH or a SUBSCRIBE', async () => {
    const bobsView = await watcher();
    const longest = `lobby/${'t'.repeat(250)}`;
    const deepest = 'lobby/1/2/3/4/5/6/7';
    expect(Buffer.byteLength(longest)).toBe(256);
    const fine = await connect(alice);
    await fine.client.publishAsync(longest, 'longest allowed');
    await fine.client.publishAsync(deepest, 'deepest allowed');
    expect(await nextMessage(bobsView, deepest)).toBe('deepest allowed');
    expect(await nextMessage(bobsView, longest)).toBe('longest allowed');
    bobsView.messages.length = 0;

    const cases: Array<[string, (client: RecordingClient['client']) => void, string]> = [
      ['topic-too-long', (client) => client.publish(`${longest}é`, 'too long'), 'the topic is 258 bytes long (at most 256)'],
      ['too-many-levels', (client) => client.publish(`${deepest}/8`, 'too deep'), 'the topic has 8 slashes (at most 7)'],
      ['topic-too-long', (client) => client.subscribe(`${longest}/#`), 'the filter is 258 bytes long (at most 256)'],
      ['too-many-levels', (client) => client.subscribe('lobby/+/+/+/+/+/+/+/#'), 'the filter has 8 slashes (at most 7)'],
    ];
    for (const [rule, breakIt, reason] of cases) {
      logLines.length = 0;
      const a = await connect(alice);
      breakIt(a.client);
      await closed(a.client);
      expect(refusal(rule)).toContain(reason);
    }
    await expectOnlyMarker(bobsView);
  });

  it('answers a QoS 2 PUBLISH or SUBSCRIBE with neither PUBREC nor SUBACK, disconnects, and delivers nothing', async () => {
    const bobsView = await watcher();
    const a = await connect(alice);
    const packets: string[] = [];
    a.client.on('packetreceive', (packet) => packets.push(packet.cmd));
    a.client.publish('lobby/exactly-once', 'QoS 2', { qos: 2 });
    await closed(a.client);
    expect(packets).toEqual([]);
    expect(refusal('qos-2')).toContain('topic="lobby/exactly-once" refused (qos-2: QoS 2 is not supported (AWS IoT supports QoS 0 and 1))');

    const s = await connect(alice);
    s.client.on('packetreceive', (packet) => packets.push(packet.cmd));
    s.client.subscribe('lobby/#', { qos: 2 });
    await closed(s.client);
    expect(packets).toEqual([]);
    await expectOnlyMarker(bobsView);
  });

  it('refuses a second CONNECT with the same client ID within one second (CONNACK 3) and keeps the first connection', async () => {
    const vended = await vend(stack.url, alice);
    elapsedMs += 1_001;
    const first = await connectRecording(vended.url, vended.clientId);
    clients.push(first);
    await expect(connectRecording(vended.url, vended.clientId)).rejects.toMatchObject({ code: 3 });
    expect(logLines.at(-1)).toMatch(/refused \(connect-rate: this client ID connected less than a second ago; retry in \d+ ms\)$/);
    expect(first.client.connected).toBe(true);
    expect(await subscribeGranted(first.client, [`users/${alice.sub}/#`])).toEqual([0]);
    await first.client.publishAsync(`users/${alice.sub}/chat`, 'still connected');
    expect(await nextMessage(first, `users/${alice.sub}/chat`)).toBe('still connected');

    // A second later the same client ID connects, and takes the older connection over.
    elapsedMs += 1_001;
    const second = await connectRecording(vended.url, vended.clientId);
    clients.push(second);
    await closed(first.client);
    expect(second.client.connected).toBe(true);
  });

  it('disconnects a PUBLISH or SUBSCRIBE on a reserved $aws topic, and delivers nothing', async () => {
    const bobsView = await watcher();
    const a = await connect(alice);
    a.client.publish('$aws/things/lamp/shadow/update', '{"state":{}}');
    await closed(a.client);
    expect(refusal('reserved-topic')).toContain('topic="$aws/things/lamp/shadow/update" refused (reserved-topic: topics starting with "$" are reserved for AWS IoT)');
    const s = await connect(alice);
    s.client.subscribe('$aws/events/presence/connected/+');
    await closed(s.client);
    expect(logLines.filter((line) => line.includes('refused (reserved-topic:'))).toHaveLength(2);
    await expectOnlyMarker(bobsView);
  });

  it('refuses a CONNECT whose will breaks a limit, before any CONNACK', async () => {
    logLines.length = 0;
    await expect(connect(alice, { will: { topic: 'lobby/will', payload: Buffer.from('gone'), qos: 2, retain: false } })).rejects.toThrow(/closed before CONNACK/);
    expect(refusal('qos-2')).toMatch(/^MQTT CONNECT client="unknown" topic="lobby\/will" refused \(qos-2: will message: QoS 2 is not supported/);
  });
});

describe('the maximum connection duration, shortened to 1 s', () => {
  beforeAll(async () => {
    logLines.length = 0;
    stack = await startLocalStack({ port: 0, log: (line) => logLines.push(line), maxConnectionDurationSeconds: 1, userRatePerSecond: 0 });
    alice = await signIn(stack.url, 'alice');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('closes a connection when it reaches the duration, and the client may connect again', async () => {
    const opened = Date.now();
    const a = await connect(alice);
    await closed(a.client);
    const lasted = Date.now() - opened;
    expect(lasted).toBeGreaterThanOrEqual(950);
    expect(lasted).toBeLessThan(3_000);
    expect(logLines.some((line) => /^MQTT client="[^"]+" reached the maximum connection duration \(1 s\): disconnecting$/.test(line))).toBe(true);
    // The duration runs from the WebSocket upgrade, the connect-rate window (one CONNECT per second
    // per client ID) from the accepted CONNECT, a little later: on a busy machine an immediate
    // reconnect can land inside that window. This stack runs on the real clock, so wait it out.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const again = await connect(alice);
    expect(again.client.connected).toBe(true);
  });

  it('refuses a duration above 24 hours or not above 0', async () => {
    await expect(startLocalStack({ port: 0, quiet: true, maxConnectionDurationSeconds: 86_401 })).rejects.toThrow(
      'maxConnectionDurationSeconds must be a number of seconds above 0 and at most 86400 (received 86401)',
    );
    await expect(startLocalStack({ port: 0, quiet: true, maxConnectionDurationSeconds: 0 })).rejects.toThrow(/received 0\)$/);
  });
});

describe('the dev server answers only on its loopback Host', () => {
  beforeAll(async () => {
    stack = await startLocalStack({ port: 0, quiet: true });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** A request to the stack's socket with a chosen `Host` header (fetch would not send it). */
  function withHost(host: string, headers: Record<string, string> = {}, path = '/config.json', port = stack.port): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const outgoing = request({ host: '127.0.0.1', port, path, headers: { ...headers, host } }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      outgoing.on('error', reject);
      outgoing.end();
    });
  }

  it('refuses Host: evil.example with 421, for HTTP and for the WebSocket upgrade', async () => {
    const refused = await withHost('evil.example');
    expect(refused.status).toBe(421);
    expect(refused.body).toBe(`Misdirected request: this local stack answers only for Host 127.0.0.1:${stack.port}, localhost:${stack.port}, [::1]:${stack.port}.\n`);
    const upgrade = await withHost('evil.example', { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' }, '/mqtt');
    expect(upgrade.status).toBe(421);
    for (const host of [`evil.example:${stack.port}`, 'localhost', `127.0.0.1:${stack.port + 1}`, `127.0.0.1.evil.example:${stack.port}`]) {
      expect((await withHost(host)).status, host).toBe(421);
    }
    // The loopback STS too (the Lambda's SDK sends its own 127.0.0.1:<port>, as the other tests show).
    const stsPort = Number(new URL(stack.stsUrl).port);
    expect((await withHost('evil.example', {}, '/', stsPort)).status).toBe(421);
  });

  it('answers its own loopback names, and tells the page the origin it was loaded from', async () => {
    for (const host of [`127.0.0.1:${stack.port}`, `LOCALHOST:${stack.port}`, `[::1]:${stack.port}`]) {
      const answer = await withHost(host);
      expect(answer.status, host).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ apiUrl: `http://${host.toLowerCase()}` });
    }
  });
});
