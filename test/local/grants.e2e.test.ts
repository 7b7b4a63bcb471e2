/**
 * The four kinds of grant end to end, over real sockets: the local stack (in-process, port 0) with
 * the demo grants (`local/demo-grants.ts`), the demo's groups (alice and bob in team-a, carol in
 * team-b, dave in none) and the simulated device publishing every 200 ms; users sign in, vend
 * through the real Lambda and talk MQTT through the local IoT gateway with mqtt.js.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../lambda/vending/errors.js';
import { DEMO_GRANTS } from '../../local/demo-grants.js';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/dev-server.js';
import { closed, end, messagesOn, nextMessage, subscribeGranted, type RecordingClient } from './mqtt-helpers.js';
import { connectUser, signIn, vend, vendResponse, type StackUser } from './stack-users.js';

/**
 * Time these tests let pass on the stack's clock: AWS IoT accepts one CONNECT per second per client
 * ID and the tests connect each user many times, so every connection moves the clock a second on.
 */
let elapsedMs = 0;

const DEMO: LocalStackOptions = {
  port: 0,
  publishTopicTemplates: DEMO_GRANTS.publish,
  subscribeTopicTemplates: DEMO_GRANTS.subscribe,
  simulatedDevice: { intervalMs: 200 },
  now: () => new Date(Date.now() + elapsedMs),
  // The tests vend many URLs per user; the Lambda's per-user rate limit has its own tests.
  userRatePerSecond: 0,
};
const TELEMETRY = 'telemetry/sensor-1';

const clients: RecordingClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((recording) => end(recording.client)));
});

describe('the demo grants (private, group, shared, read-only)', () => {
  let stack: LocalStack;
  const logLines: string[] = [];
  let alice: StackUser;
  let bob: StackUser;
  let carol: StackUser;
  let dave: StackUser;

  async function connect(user: StackUser): Promise<RecordingClient> {
    elapsedMs += 1_001;
    const recording = await connectUser(stack.url, user);
    clients.push(recording);
    return recording;
  }

  beforeAll(async () => {
    stack = await startLocalStack({ ...DEMO, log: (line) => logLines.push(line) });
    [alice, bob, carol, dave] = await Promise.all([signIn(stack.url, 'alice'), signIn(stack.url, 'bob'), signIn(stack.url, 'carol'), signIn(stack.url, 'dave')]);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('puts the demo users in their groups, in cognito:groups, and leaves the claim out for others', () => {
    expect([alice.groups, bob.groups, carol.groups, dave.groups]).toEqual([['team-a'], ['team-a'], ['team-b'], undefined]);
  });

  it("vends each caller's grants with every variable filled in: one room per group, shared topics as written", async () => {
    expect((await vend(stack.url, alice)).topics).toEqual({
      publish: [`users/${alice.sub}/*`, 'rooms/team-a/*', 'lobby/*'],
      subscribe: [`users/${alice.sub}/*`, 'rooms/team-a/*', 'lobby/*', 'telemetry/*'],
    });
    expect((await vend(stack.url, carol)).topics).toEqual({
      publish: [`users/${carol.sub}/*`, 'rooms/team-b/*', 'lobby/*'],
      subscribe: [`users/${carol.sub}/*`, 'rooms/team-b/*', 'lobby/*', 'telemetry/*'],
    });
    // No group, no room.
    expect((await vend(stack.url, dave)).topics).toEqual({
      publish: [`users/${dave.sub}/*`, 'lobby/*'],
      subscribe: [`users/${dave.sub}/*`, 'lobby/*', 'telemetry/*'],
    });
  });

  it('lets the members of a group talk in its room', async () => {
    const a = await connect(alice);
    const b = await connect(bob);
    expect(await subscribeGranted(a.client, ['rooms/team-a/#'])).toEqual([0]);
    expect(await subscribeGranted(b.client, ['rooms/team-a/#'])).toEqual([0]);
    await a.client.publishAsync('rooms/team-a/chat', 'hi bob, alice here');
    expect(await nextMessage(b, 'rooms/team-a/chat')).toBe('hi bob, alice here');
    await b.client.publishAsync('rooms/team-a/chat', 'hi alice');
    expect(await messagesOn(a, 'rooms/team-a/chat', 2)).toEqual(['hi bob, alice here', 'hi alice']);
  });

  it("refuses a non-member's subscriptions to the room with SUBACK 0x80, and grants their own room", async () => {
    const c = await connect(carol);
    expect(await subscribeGranted(c.client, ['rooms/team-a/#', 'rooms/team-a/chat', 'rooms/+/chat', 'rooms/#'])).toEqual([128, 128, 128, 128]);
    expect(await subscribeGranted(c.client, ['rooms/team-b/#'])).toEqual([0]);
    const d = await connect(dave);
    expect(await subscribeGranted(d.client, ['rooms/team-a/#', 'rooms/team-b/#'])).toEqual([128, 128]);
  });

  it('disconnects a non-member who publishes into the room; the members receive nothing of it', async () => {
    const a = await connect(alice);
    const b = await connect(bob);
    expect(await subscribeGranted(a.client, ['rooms/team-a/#'])).toEqual([0]);
    const c = await connect(carol);
    c.client.publish('rooms/team-a/chat', 'carol sneaking in');
    await closed(c.client);
    await b.client.publishAsync('rooms/team-a/chat', 'members only');
    expect(await nextMessage(a, 'rooms/team-a/chat')).toBe('members only');
    expect(a.messages.map((m) => m.payload)).toEqual(['members only']);
    expect(logLines).toContain(`MQTT PUBLISH client=${JSON.stringify(carol.sub)} topic="rooms/team-a/chat" refused (implicit-deny): disconnecting`);
  });

  it('shares the lobby with every signed-in user, in a group or not', async () => {
    const d = await connect(dave);
    const c = await connect(carol);
    expect(await subscribeGranted(d.client, ['lobby/#'])).toEqual([0]);
    await c.client.publishAsync('lobby/chat', 'hello, everyone');
    expect(await nextMessage(d, 'lobby/chat')).toBe('hello, everyone');
  });

  it("delivers the simulated device's telemetry to every signed-in user", async () => {
    const users = await Promise.all([alice, carol, dave].map((user) => connect(user)));
    for (const user of users) expect(await subscribeGranted(user.client, ['telemetry/#'])).toEqual([0]);
    const received = await Promise.all(users.map((user) => messagesOn(user, TELEMETRY, 1)));
    for (const [payload] of received) {
      expect(JSON.parse(payload ?? '')).toEqual({ device: 'sensor-1', temperature: expect.any(Number), at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) });
    }
    expect(stack.device?.published).toBeGreaterThan(0);
  });

  it("refuses a user's publish to the telemetry topic (disconnect), and nobody receives it", async () => {
    const a = await connect(alice);
    expect(await subscribeGranted(a.client, ['telemetry/#'])).toEqual([0]);
    const c = await connect(carol);
    c.client.publish(TELEMETRY, '{"device":"sensor-1","temperature":99.9}');
    await closed(c.client);
    // Readings keep coming after the attempt; the forged one is not among them.
    const before = a.messages.length;
    await messagesOn(a, TELEMETRY, before + 2);
    expect(a.messages.map((m) => m.payload).filter((payload) => payload.includes('99.9'))).toEqual([]);
  });

  it('refuses a retained PUBLISH when retain is not allowed, and keeps nothing for later subscribers', async () => {
    const a = await connect(alice);
    a.client.publish('lobby/notice', 'kept?', { retain: true });
    await closed(a.client);
    expect(logLines).toContain(`MQTT PUBLISH client=${JSON.stringify(alice.sub)} topic="lobby/notice" (retained) refused (implicit-deny): disconnecting`);
    const b = await connect(bob);
    expect(await subscribeGranted(b.client, ['lobby/#'])).toEqual([0]);
    await b.client.publishAsync('lobby/notice', 'live');
    expect(await nextMessage(b, 'lobby/notice')).toBe('live');
    expect(b.messages.map((m) => m.payload)).toEqual(['live']);
  });
});

describe('retained messages, GROUP_PREFIX and MAX_GROUPS', () => {
  let stack: LocalStack;
  const lambdaLines: Record<string, unknown>[] = [];
  let alice: StackUser;
  let bob: StackUser;
  let erin: StackUser;

  async function connect(user: StackUser): Promise<RecordingClient> {
    elapsedMs += 1_001;
    const recording = await connectUser(stack.url, user);
    clients.push(recording);
    return recording;
  }

  /** Subscribes and resolves with the first message on `topic` and whether it came as retained. */
  async function firstOn(recording: RecordingClient, filter: string, topic: string): Promise<{ payload: string; retain: boolean }> {
    const arrived = new Promise<{ payload: string; retain: boolean }>((resolve) => {
      recording.client.on('message', (received, payload, packet) => {
        if (received === topic) resolve({ payload: payload.toString('utf8'), retain: packet.retain });
      });
    });
    expect(await subscribeGranted(recording.client, [filter])).toEqual([0]);
    return arrived;
  }

  beforeAll(async () => {
    stack = await startLocalStack({
      ...DEMO,
      // Only the Lambda's own request lines are kept (not its metrics lines).
      log: (line) => {
        if (!line.startsWith('{')) return;
        const record = JSON.parse(line) as Record<string, unknown>;
        if (record['message'] === 'mqtt-url') lambdaLines.push(record);
      },
      simulatedDevice: undefined,
      allowRetain: true,
      groupPrefix: 'team-',
      maxGroups: 2,
      // `admins` lacks the prefix and `team/x` holds a `/`: Cognito accepts both, the Lambda grants neither.
      userGroups: { alice: ['team-a', 'admins', 'team/x'], bob: ['team-a'], erin: ['team-a', 'team-b', 'team-c'] },
    });
    [alice, bob, erin] = await Promise.all([signIn(stack.url, 'alice'), signIn(stack.url, 'bob'), signIn(stack.url, 'erin')]);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('grants rooms only for eligible groups (GROUP_PREFIX, safe names)', async () => {
    expect(alice.groups).toEqual(['team-a', 'admins', 'team/x']);
    expect((await vend(stack.url, alice)).topics.publish).toEqual([`users/${alice.sub}/*`, 'rooms/team-a/*', 'lobby/*']);
    // The claim reached the handler as payload 2.0's "[team-a admins team/x]": three names, one eligible.
    expect(lambdaLines.at(-1)).toMatchObject({ message: 'mqtt-url', sub: alice.sub, status: 200, groups: 1, ineligibleGroups: 2 });
  });

  it('answers 403 too_many_groups past MAX_GROUPS eligible groups', async () => {
    const response = await vendResponse(stack.url, erin);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: 'too_many_groups' } });
  });

  it('keeps a retained message for a later subscriber, in the lobby and in a group room', async () => {
    const a = await connect(alice);
    expect(await subscribeGranted(a.client, ['lobby/#', 'rooms/team-a/#'])).toEqual([0, 0]);
    await a.client.publishAsync('lobby/notice', 'kept for later', { retain: true });
    await a.client.publishAsync('rooms/team-a/topic', 'team-a agenda', { retain: true });
    // Seen live by the publisher: the broker has handled (and kept) both.
    expect(await messagesOn(a, 'rooms/team-a/topic', 1)).toEqual(['team-a agenda']);
    expect(a.client.connected).toBe(true);

    const b = await connect(bob);
    expect(await firstOn(b, 'lobby/#', 'lobby/notice')).toEqual({ payload: 'kept for later', retain: true });
    expect(await firstOn(b, 'rooms/team-a/#', 'rooms/team-a/topic')).toEqual({ payload: 'team-a agenda', retain: true });
  });

  it('still refuses a retained PUBLISH outside the publish grants', async () => {
    const a = await connect(alice);
    a.client.publish('telemetry/sensor-1', 'forged', { retain: true });
    await closed(a.client);
  });
});

describe('a configuration the Lambda refuses', () => {
  it('fails the start-up with the Lambda\'s ConfigurationError (a "*" level before ${sub} would reach other users)', async () => {
    const environmentBefore = process.env['IOT_ENDPOINT'];
    const failure: unknown = await startLocalStack({ port: 0, quiet: true, publishTopicTemplates: ['tenants/*/users/${sub}/*'] }).then(
      async (stack) => {
        await stack.stop();
        return undefined;
      },
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ConfigurationError);
    expect(failure).toMatchObject({ variable: 'PUBLISH_TOPIC_TEMPLATES' });
    expect((failure as Error).message).toContain('tenants/*/users/${sub}/*');
    // Nothing left behind: the environment is restored and another stack can start.
    expect(process.env['IOT_ENDPOINT']).toBe(environmentBefore);
    const next = await startLocalStack({ port: 0, quiet: true });
    await next.stop();
  });
});
