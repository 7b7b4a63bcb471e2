/**
 * Persistent sessions on the whole local stack, as the browser client's `resume` will use them:
 * alice connects with `clean: false` on her vended client ID and subscribes at QoS 1 to a room she
 * shares with bob; her connection is dropped (`dropMqttConnections`, a network failure); bob publishes
 * 50 QoS 1 messages; alice vends a new URL (a new STS session) and reconnects with `clean: false`:
 * CONNACK session present 1 and all 50 messages, in order, without a SUBSCRIBE. With
 * `persistentSessionExpirySeconds: 1`, a session left alone for a second is gone.
 * (`persistent-sessions.test.ts` covers the gateway's rules one by one.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_GRANTS } from '../../local/demo-grants.js';
import { startLocalStack, type LocalStack } from '../../local/dev-server.js';
import { closed, connectRecording, end, messagesOn, type RecordingClient } from './mqtt-helpers.js';
import { signIn, vend, type StackUser } from './stack-users.js';

const ROOM = 'rooms/team-a/for-alice';

let stack: LocalStack;
/** Time let pass on the stack's clock: one CONNECT per second per client ID, so each connect moves it a second on. */
let elapsedMs = 0;
const logLines: string[] = [];
const clients: RecordingClient[] = [];
let alice: StackUser;
let bob: StackUser;

async function connect(user: StackUser, clean: boolean): Promise<RecordingClient> {
  elapsedMs += 1_001;
  const vended = await vend(stack.url, user);
  const recording = await connectRecording(vended.url, vended.clientId, { clean });
  clients.push(recording);
  return recording;
}

/** Drops every MQTT connection and waits until alice's client has seen hers close. */
async function dropAll(recording: RecordingClient): Promise<void> {
  expect(stack.dropMqttConnections()).toBeGreaterThan(0);
  await closed(recording.client);
}

async function publishAsBob(payloads: readonly string[]): Promise<void> {
  const sender = await connect(bob, true);
  for (const payload of payloads) await sender.client.publishAsync(ROOM, payload, { qos: 1 });
  await end(sender.client);
}

/** Resolves once the stack has logged a line matching `pattern`, checking every 10 ms. */
async function logged(pattern: RegExp): Promise<string> {
  for (;;) {
    const line = logLines.find((candidate) => pattern.test(candidate));
    if (line !== undefined) return line;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    publishTopicTemplates: DEMO_GRANTS.publish,
    subscribeTopicTemplates: DEMO_GRANTS.subscribe,
    log: (line) => logLines.push(line),
    now: () => new Date(Date.now() + elapsedMs),
    // Every connect vends; the Lambda's per-user rate limit has its own tests.
    userRatePerSecond: 0,
    persistentSessionExpirySeconds: 1,
  });
  [alice, bob] = await Promise.all([signIn(stack.url, 'alice'), signIn(stack.url, 'bob')]);
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((recording) => end(recording.client)));
});

afterAll(async () => {
  await stack?.stop();
});

describe('persistent sessions on the local stack (expiry 1 s)', () => {
  it('delivers the 50 QoS 1 messages bob published while alice was away when she resumes, in order, with no SUBSCRIBE', async () => {
    const first = await connect(alice, false);
    expect(first.sessionPresent).toBe(false);
    expect(await first.client.subscribeAsync(ROOM, { qos: 1 })).toEqual([{ topic: ROOM, qos: 1 }]);
    await dropAll(first);

    const sent = Array.from({ length: 50 }, (_, index) => `while away ${index + 1}`);
    await publishAsBob(sent);

    const resumed = await connect(alice, false);
    expect(resumed.sessionPresent).toBe(true);
    expect(await messagesOn(resumed, ROOM, 50)).toEqual(sent);
  });

  it('forgets a session nobody resumed within the expiry period: session present 0 and nothing delivered', async () => {
    // A clean start: the previous test's session (and any message whose PUBACK its end beat) is discarded.
    const wipe = await connect(alice, true);
    expect(wipe.sessionPresent).toBe(false);
    await end(wipe.client);
    const first = await connect(alice, false);
    expect(first.sessionPresent).toBe(false);
    await first.client.subscribeAsync(ROOM, { qos: 1 });
    await dropAll(first);
    await publishAsBob(['lost 1', 'lost 2']);

    const line = await logged(/persistent session expired .* 2 queued message\(s\) discarded$/);
    expect(line).toMatch(/^MQTT client="[^"]+" persistent session expired \(1 s after its last connection closed\)/);

    const later = await connect(alice, false);
    expect(later.sessionPresent).toBe(false);
    await later.client.subscribeAsync(ROOM, { qos: 1 });
    await publishAsBob(['after expiry']);
    expect(await messagesOn(later, ROOM, 1)).toEqual(['after expiry']);
    expect(later.messages.map((message) => message.payload)).toEqual(['after expiry']);
  });
});
