/**
 * MQTT persistent sessions (CONNECT with clean session 0) through the IoT gateway, as AWS IoT Core
 * keeps them (`PERSISTENT_SESSION_EXPIRY_SECONDS` in `local/broker-limits.ts` quotes the sources):
 * QoS 1 messages for QoS 1 subscriptions are queued while the client is away and delivered, in
 * order, when it resumes (CONNACK session present 1, no SUBSCRIBE needed), each one still checked
 * against `iot:Receive` under the NEW connection's policy; QoS 0 queues nothing; a session nobody
 * resumed within the expiry period is discarded (session present 0, nothing delivered); a resume
 * before then keeps it; a clean-session CONNECT discards it at once.
 *
 * Each group runs its own gateway on 127.0.0.1 with a short expiry (the timer is real); the
 * one-CONNECT-per-second rule runs on the gateway's clock, which the tests move instead of waiting.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { IClientOptions } from 'mqtt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signMqttUrl } from '../../lambda/sigv4.js';
import { MAX_PERSISTENT_SESSION_EXPIRY_SECONDS, PERSISTENT_SESSION_EXPIRY_SECONDS } from '../../local/broker-limits.js';
import { parsePolicy } from '../../local/iam-policy.js';
import { IotGateway, validatePersistentSessionExpiry } from '../../local/iot-gateway.js';
import { iotArn } from '../../local/iot-permissions.js';
import { LocalSts } from '../../local/sts-server.js';
import { closed, connectRecording, end, messagesOn, nextMessage, type RecordingClient } from './mqtt-helpers.js';

const scope = { partition: 'aws', region: 'us-east-1', account: '000000000000' };
const ROLE = 'arn:aws:iam::000000000000:role/lab-client';
const arn = (resource: string): string => iotArn(scope, resource);
const INBOX = 'lab/alpha/inbox';

/** The role's identity policy: everything under lab/, any client ID. */
const rolePolicy = parsePolicy({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: arn('client/*') },
    { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: arn('topic/lab/*') },
    { Effect: 'Allow', Action: 'iot:Subscribe', Resource: arn('topicfilter/lab/*') },
  ],
});

/** The subscriber: client IDs "alpha-…" (one per test, so no test resumes another's session), everything under lab/alpha/. */
const alphaPolicy = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: arn('client/alpha-*') },
    { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: arn('topic/lab/alpha/*') },
    { Effect: 'Allow', Action: 'iot:Subscribe', Resource: arn('topicfilter/lab/alpha/*') },
  ],
};

/** The same subscriber, later, with a narrower session: it may receive its inbox and nothing else. */
const alphaInboxOnlyPolicy = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: arn('client/alpha-*') },
    { Effect: 'Allow', Action: 'iot:Receive', Resource: arn(`topic/${INBOX}`) },
    { Effect: 'Allow', Action: 'iot:Subscribe', Resource: arn('topicfilter/lab/alpha/*') },
  ],
};

/** Another principal: client ID "beta", publishes anywhere under lab/. */
const betaPolicy = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: arn('client/beta') },
    { Effect: 'Allow', Action: 'iot:Publish', Resource: arn('topic/lab/*') },
  ],
};

interface Session { accessKeyId: string; secretAccessKey: string; sessionToken: string }

let sts: LocalSts;
let stsClient: STSClient;
/** Time let pass on the gateways' clock (one CONNECT per second per client ID). */
let elapsedMs = 0;
const clients: RecordingClient[] = [];

function gatewayNow(): Date {
  return new Date(Date.now() + elapsedMs);
}

async function assumeRole(policy: object): Promise<Session> {
  const { Credentials: c } = await stsClient.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'persistent-test', DurationSeconds: 900, Policy: JSON.stringify(policy) }));
  if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined || c.SessionToken === undefined) throw new Error('no credentials');
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

/** A gateway on its own loopback port, with its log and a way to wait for a log line. */
interface RunningGateway {
  readonly gateway: IotGateway;
  readonly logLines: string[];
  /** Resolves with the first log line (already logged, or logged later) that matches. */
  logged(pattern: RegExp): Promise<string>;
  /** Connects with a new session of `policy` (the clock moves a second on first). */
  connect(policy: object, clientId: string, options?: IClientOptions): Promise<RecordingClient>;
  stop(): Promise<void>;
}

async function startGateway(persistentSessionExpirySeconds: number): Promise<RunningGateway> {
  const logLines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const server: Server = createServer((_request, response) => response.writeHead(404).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const gateway = await IotGateway.create({
    host,
    scope,
    sessions: sts,
    rolePolicies: new Map([[ROLE, rolePolicy]]),
    now: gatewayNow,
    persistentSessionExpirySeconds,
    log: (line) => {
      logLines.push(line);
      for (const waiter of waiters.filter(({ pattern }) => pattern.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    },
  });
  server.on('upgrade', (request, socket, head) => gateway.handleUpgrade(request, socket, head));
  return {
    gateway,
    logLines,
    logged: async (pattern) => logLines.find((line) => pattern.test(line)) ?? new Promise((resolve) => waiters.push({ pattern, resolve })),
    connect: async (policy, clientId, options = {}) => {
      elapsedMs += 1_001;
      const session = await assumeRole(policy);
      const url = signMqttUrl({ host, region: 'us-east-1', credentials: session, signingDate: gatewayNow() });
      const recording = await connectRecording(url, clientId, options);
      clients.push(recording);
      return recording;
    },
    stop: async () => {
      await gateway.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Resolves once `condition` holds, checking every 5 ms (the gateway's socket events have no hook). */
async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`still false after ${timeoutMs} ms: ${String(condition)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Closes every WebSocket from the gateway's side, as a network failure would, and waits until the
 * gateway has seen them close (the client may notice first): the expiry period starts then.
 */
async function drop(running: RunningGateway, recording: RecordingClient): Promise<void> {
  expect(running.gateway.dropConnections()).toBeGreaterThan(0);
  await closed(recording.client);
  await until(() => running.gateway.connectionCount === 0);
}

/** Publishes `payloads` one after the other as beta (each QoS 1 publish waits for its PUBACK). */
async function publishAsBeta(running: RunningGateway, topic: string, payloads: readonly string[], qos: 0 | 1 = 1): Promise<void> {
  const beta = await running.connect(betaPolicy, 'beta');
  for (const payload of payloads) await beta.client.publishAsync(topic, payload, { qos });
  await end(beta.client);
}

/**
 * Publishes a marker to `topic` as beta and waits until `recording` has it: whatever was to reach
 * `recording` before it has arrived by then (the broker delivers in order), so the test can assert
 * that nothing else did.
 */
async function markerReceived(running: RunningGateway, recording: RecordingClient, topic: string): Promise<void> {
  const marker = `marker ${elapsedMs}`;
  const before = recording.messages.filter((message) => message.topic === topic).length;
  const arrived = messagesOn(recording, topic, before + 1);
  await publishAsBeta(running, topic, [marker]);
  expect((await arrived).at(-1)).toBe(marker);
}

function payloads(recording: RecordingClient): string[] {
  return recording.messages.map((message) => message.payload);
}

const numbered = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, index) => `${prefix} ${index + 1}`);

let tests = 0;
/** The subscriber's client ID in the current test. */
let alpha = '';

beforeAll(async () => {
  sts = new LocalSts({ now: gatewayNow });
  const caller = { accessKeyId: 'AKIAPERSISTENTCALLER', secretAccessKey: 'caller-secret' };
  sts.registerCaller(caller);
  sts.trustRole(ROLE, [caller.accessKeyId]);
  stsClient = new STSClient({ region: 'us-east-1', endpoint: await sts.start(), credentials: caller });
});

beforeEach(() => {
  alpha = `alpha-${++tests}`;
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((recording) => end(recording.client)));
});

afterAll(async () => {
  await sts.stop();
  stsClient.destroy();
});

describe('resuming a persistent session (expiry 60 s, never reached here)', () => {
  let running: RunningGateway;

  beforeAll(async () => {
    running = await startGateway(60);
  });

  afterAll(async () => {
    await running.stop();
  });

  it('delivers all 50 QoS 1 messages published while the client was away, in order, without a new SUBSCRIBE', async () => {
    const first = await running.connect(alphaPolicy, alpha, { clean: false });
    expect(first.sessionPresent).toBe(false);
    expect(await first.client.subscribeAsync(INBOX, { qos: 1 })).toEqual([{ topic: INBOX, qos: 1 }]);
    await drop(running, first);
    expect(running.gateway.isSessionExpiring(alpha)).toBe(true);

    const sent = numbered('queued', 50);
    await publishAsBeta(running, INBOX, sent);

    const resumed = await running.connect(alphaPolicy, alpha, { clean: false });
    expect(resumed.sessionPresent).toBe(true);
    expect(running.gateway.isSessionExpiring(alpha)).toBe(false);
    expect(await messagesOn(resumed, INBOX, 50)).toEqual(sent);
    // The restored subscription keeps working for live messages too.
    await markerReceived(running, resumed, INBOX);
    expect(payloads(resumed)).toHaveLength(51);
  });

  it('checks each queued message against iot:Receive under the policy of the connection that resumes', async () => {
    const first = await running.connect(alphaPolicy, alpha, { clean: false });
    await first.client.subscribeAsync('lab/alpha/#', { qos: 1 });
    await drop(running, first);
    // Interleaved: the narrower session below may receive the inbox, not the other topic.
    const beta = await running.connect(betaPolicy, 'beta');
    for (let index = 1; index <= 5; index++) {
      await beta.client.publishAsync(INBOX, `inbox ${index}`, { qos: 1 });
      await beta.client.publishAsync('lab/alpha/private', `private ${index}`, { qos: 1 });
    }

    const narrower = await running.connect(alphaInboxOnlyPolicy, alpha, { clean: false });
    expect(narrower.sessionPresent).toBe(true);
    expect(await messagesOn(narrower, INBOX, 5)).toEqual(numbered('inbox', 5));
    await markerReceived(running, narrower, INBOX);
    expect(narrower.messages.some((message) => message.topic === 'lab/alpha/private')).toBe(false);

    // A message refused at delivery is dropped, not kept for a later resume under a wider policy.
    await drop(running, narrower);
    const wider = await running.connect(alphaPolicy, alpha, { clean: false });
    expect(wider.sessionPresent).toBe(true);
    await markerReceived(running, wider, 'lab/alpha/private');
    // (The inbox marker may come again: the drop can beat its PUBACK, and an unacknowledged message is redelivered.)
    expect(wider.messages.filter((message) => message.topic === 'lab/alpha/private').map((message) => message.payload)).toEqual([expect.stringMatching(/^marker /)]);
  });

  it('checks each restored subscription against iot:Subscribe under the policy of the connection that resumes', async () => {
    const first = await running.connect(alphaPolicy, alpha, { clean: false });
    await first.client.subscribeAsync(['lab/alpha/a', 'lab/alpha/b'], { qos: 1 });
    await drop(running, first);

    const onlyA = await running.connect({ ...alphaPolicy, Statement: [...alphaPolicy.Statement.slice(0, 2), { Effect: 'Allow', Action: 'iot:Subscribe', Resource: arn('topicfilter/lab/alpha/a') }] }, alpha, { clean: false });
    expect(onlyA.sessionPresent).toBe(true);
    expect(await running.logged(new RegExp(`^MQTT SUBSCRIBE client="${alpha}" filter="lab/alpha/b" refused \\(implicit-deny\\)$`))).toBeDefined();
    await publishAsBeta(running, 'lab/alpha/b', ['not subscribed on this connection']);
    await markerReceived(running, onlyA, 'lab/alpha/a');
    expect(payloads(onlyA)).toEqual([expect.stringMatching(/^marker /)]);
  });

  it('queues nothing for a QoS 0 subscription, nor a QoS 0 message for a QoS 1 subscription', async () => {
    const first = await running.connect(alphaPolicy, alpha, { clean: false });
    await first.client.subscribeAsync('lab/alpha/q0', { qos: 0 });
    await first.client.subscribeAsync('lab/alpha/q1', { qos: 1 });
    await drop(running, first);
    await publishAsBeta(running, 'lab/alpha/q0', ['QoS 1 message, QoS 0 subscription'], 1);
    await publishAsBeta(running, 'lab/alpha/q1', ['QoS 0 message, QoS 1 subscription'], 0);
    await publishAsBeta(running, 'lab/alpha/q1', ['QoS 1 message, QoS 1 subscription'], 1);

    const resumed = await running.connect(alphaPolicy, alpha, { clean: false });
    // Both subscriptions were kept (no SUBSCRIBE since), so the session is present.
    expect(resumed.sessionPresent).toBe(true);
    expect(await nextMessage(resumed, 'lab/alpha/q1')).toBe('QoS 1 message, QoS 1 subscription');
    await markerReceived(running, resumed, 'lab/alpha/q0');
    expect(payloads(resumed)).toEqual(['QoS 1 message, QoS 1 subscription', expect.stringMatching(/^marker /)]);
  });

  it('discards the session at once when the client ID connects with a clean session (and starts no expiry timer)', async () => {
    const first = await running.connect(alphaPolicy, alpha, { clean: false });
    await first.client.subscribeAsync(INBOX, { qos: 1 });
    await drop(running, first);
    await publishAsBeta(running, INBOX, numbered('lost', 3));

    const clean = await running.connect(alphaPolicy, alpha, { clean: true });
    expect(clean.sessionPresent).toBe(false);
    await clean.client.subscribeAsync('lab/alpha/other', { qos: 1 });
    await markerReceived(running, clean, 'lab/alpha/other');
    expect(payloads(clean)).toEqual([expect.stringMatching(/^marker /)]);
    await drop(running, clean);
    expect(running.gateway.isSessionExpiring(alpha)).toBe(false);

    const later = await running.connect(alphaPolicy, alpha, { clean: false });
    expect(later.sessionPresent).toBe(false);
    await later.client.subscribeAsync(INBOX, { qos: 1 });
    await markerReceived(running, later, INBOX);
    expect(payloads(later)).toEqual([expect.stringMatching(/^marker /)]);
  });

  it('keeps the session through a takeover: only the last connection to close starts the expiry timer', async () => {
    const first = await running.connect(alphaPolicy, alpha, { clean: false });
    await first.client.subscribeAsync(INBOX, { qos: 1 });
    const second = await running.connect(alphaPolicy, alpha, { clean: false });
    expect(second.sessionPresent).toBe(true);
    await closed(first.client);
    await until(() => running.gateway.connectionCount === 1);
    expect(running.gateway.isSessionExpiring(alpha)).toBe(false);
    await drop(running, second);
    expect(running.gateway.isSessionExpiring(alpha)).toBe(true);
  });
});

describe('persistent session expiry (1 s)', () => {
  let running: RunningGateway;

  beforeAll(async () => {
    running = await startGateway(1);
  });

  afterAll(async () => {
    await running.stop();
  });

  it('discards a session nobody resumed within the expiry period: session present 0, nothing delivered, one log line', async () => {
    const first = await running.connect(alphaPolicy, alpha, { clean: false });
    await first.client.subscribeAsync(INBOX, { qos: 1 });
    const dropped = performance.now();
    await drop(running, first);
    await publishAsBeta(running, INBOX, numbered('expired', 3));

    const line = await running.logged(/persistent session expired/);
    expect(performance.now() - dropped).toBeGreaterThanOrEqual(990);
    expect(line).toBe(`MQTT client="${alpha}" persistent session expired (1 s after its last connection closed): its subscriptions and 3 queued message(s) discarded`);
    expect(running.gateway.isSessionExpiring(alpha)).toBe(false);

    const later = await running.connect(alphaPolicy, alpha, { clean: false });
    expect(later.sessionPresent).toBe(false);
    await later.client.subscribeAsync(INBOX, { qos: 1 });
    await markerReceived(running, later, INBOX);
    expect(payloads(later)).toEqual([expect.stringMatching(/^marker /)]);
  });
});

describe('persistent session expiry (2 s), resumed in time', () => {
  let running: RunningGateway;

  beforeAll(async () => {
    running = await startGateway(2);
  });

  afterAll(async () => {
    await running.stop();
  });

  it('keeps a session resumed before it expires; the resume cancels the timer, the next disconnect starts a new one', async () => {
    const first = await running.connect(alphaPolicy, alpha, { clean: false });
    await first.client.subscribeAsync(INBOX, { qos: 1 });
    const started = performance.now();
    await drop(running, first);
    expect(running.gateway.isSessionExpiring(alpha)).toBe(true);

    // Resumed at once: the first timer (due at 2 s) is cancelled.
    const resumed = await running.connect(alphaPolicy, alpha, { clean: false });
    expect(resumed.sessionPresent).toBe(true);
    expect(running.gateway.isSessionExpiring(alpha)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 1_200 - (performance.now() - started)));
    // Away again at 1.2 s: a new timer, due at 3.2 s.
    await drop(running, resumed);
    await publishAsBeta(running, INBOX, ['kept']);
    await new Promise((resolve) => setTimeout(resolve, 2_500 - (performance.now() - started)));

    // At 2.5 s the first timer would have discarded the session; the second has not fired yet.
    const again = await running.connect(alphaPolicy, alpha, { clean: false });
    expect(again.sessionPresent).toBe(true);
    expect(await nextMessage(again, INBOX)).toBe('kept');
    expect(running.logLines.some((line) => line.includes('persistent session expired'))).toBe(false);
  });
});

describe('the persistentSessionExpirySeconds option', () => {
  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, MAX_PERSISTENT_SESSION_EXPIRY_SECONDS + 1])('refuses %s with a RangeError naming the option and the value', async (seconds) => {
    await expect(IotGateway.create({ host: '127.0.0.1:1', scope, sessions: sts, rolePolicies: new Map(), persistentSessionExpirySeconds: seconds })).rejects.toThrow(
      new RangeError(`persistentSessionExpirySeconds must be a number of seconds above 0 and at most 604800 (7 days) (received ${String(seconds)})`),
    );
  });

  it("defaults to AWS IoT's 1 hour and accepts anything above 0 up to 7 days", () => {
    expect(PERSISTENT_SESSION_EXPIRY_SECONDS).toBe(3_600);
    expect(validatePersistentSessionExpiry(undefined)).toBe(3_600);
    expect(validatePersistentSessionExpiry(0.5)).toBe(0.5);
    expect(validatePersistentSessionExpiry(604_800)).toBe(604_800);
  });

  it('clears every expiry timer when the gateway closes, and discards nothing after', async () => {
    const running = await startGateway(0.3);
    try {
      const first = await running.connect(alphaPolicy, alpha, { clean: false });
      await first.client.subscribeAsync(INBOX, { qos: 1 });
      await drop(running, first);
      expect(running.gateway.expiringSessionCount).toBe(1);
    } finally {
      await running.stop();
    }
    expect(running.gateway.expiringSessionCount).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(running.logLines.some((line) => line.includes('persistent session expired'))).toBe(false);
  });
});
