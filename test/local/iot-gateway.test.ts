import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signMqttUrl } from '../../lambda/sigv4.js';
import { parsePolicy } from '../../local/iam-policy.js';
import { IotGateway } from '../../local/iot-gateway.js';
import { iotArn, iotPermissions } from '../../local/iot-permissions.js';
import { LocalSts } from '../../local/sts-server.js';
import { closed, connectRecording, end, handshake, nextMessage, subscribeGranted, type RecordingClient } from './mqtt-helpers.js';

const scope = { partition: 'aws', region: 'us-east-1', account: '000000000000' };
const ROLE = 'arn:aws:iam::000000000000:role/lab-client';
const OTHER_ROLE = 'arn:aws:iam::000000000000:role/unrelated';
const arn = (resource: string): string => iotArn(scope, resource);

/** The role's identity policy: everything under lab/, any client id. */
const rolePolicy = parsePolicy({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: arn('client/*') },
    { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive', 'iot:RetainPublish'], Resource: arn('topic/lab/*') },
    { Effect: 'Allow', Action: 'iot:Subscribe', Resource: arn('topicfilter/lab/*') },
  ],
});

let sts: LocalSts;
let stsClient: STSClient;
let server: Server;
let gateway: IotGateway;
let host: string;
let clockOffsetMs = 0;
/**
 * Time the tests let pass on the gateway's clock: AWS IoT accepts one CONNECT per second per client
 * ID, and these tests reuse client IDs, so each test (and each reconnect) moves the clock a second on.
 */
let elapsedMs = 0;
const logLines: string[] = [];
const clients: RecordingClient[] = [];

interface Session { accessKeyId: string; secretAccessKey: string; sessionToken: string }

async function assumeRole(policy: object | undefined, roleArn = ROLE): Promise<Session> {
  const { Credentials: c } = await stsClient.send(new AssumeRoleCommand({
    RoleArn: roleArn,
    RoleSessionName: 'gateway-test',
    DurationSeconds: 900,
    Policy: policy === undefined ? undefined : JSON.stringify(policy),
  }));
  if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined || c.SessionToken === undefined) throw new Error('no credentials');
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

function gatewayNow(): Date {
  return new Date(Date.now() + elapsedMs + clockOffsetMs);
}

/** Lets the CONNECT-per-client-ID window pass without waiting for it. */
function nextSecond(): void {
  elapsedMs += 1_001;
}

function urlFor(session: Session, options: { expiresIn?: number | null; signingDate?: Date } = {}): string {
  return signMqttUrl({ host, region: 'us-east-1', credentials: session, expiresIn: options.expiresIn, signingDate: options.signingDate ?? gatewayNow() });
}

async function connect(url: string, clientId: string): Promise<RecordingClient> {
  const recording = await connectRecording(url, clientId);
  clients.push(recording);
  return recording;
}

/** A session allowed client id "alpha*", publish/receive on lab/alpha/*, subscribe on lab/alpha/*. */
const alphaPolicy = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: [arn('client/alpha'), arn('client/alpha-*')] },
    { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: arn('topic/lab/alpha/*') },
    { Effect: 'Allow', Action: 'iot:Subscribe', Resource: arn('topicfilter/lab/alpha/*') },
  ],
};

beforeAll(async () => {
  sts = new LocalSts({ now: gatewayNow });
  const caller = { accessKeyId: 'AKIAGATEWAYTESTCALLER', secretAccessKey: 'caller-secret' };
  sts.registerCaller(caller);
  sts.trustRole(ROLE, [caller.accessKeyId]);
  sts.trustRole(OTHER_ROLE, [caller.accessKeyId]);
  const stsUrl = await sts.start();
  stsClient = new STSClient({ region: 'us-east-1', endpoint: stsUrl, credentials: caller });
  server = createServer((_request, response) => response.writeHead(404).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  gateway = await IotGateway.create({ host, scope, sessions: sts, rolePolicies: new Map([[ROLE, rolePolicy]]), now: gatewayNow, log: (line) => logLines.push(line) });
  server.on('upgrade', (request, socket, head) => gateway.handleUpgrade(request, socket, head));
});

afterEach(async () => {
  clockOffsetMs = 0;
  nextSecond();
  await Promise.all(clients.splice(0).map((recording) => end(recording.client)));
});

afterAll(async () => {
  await gateway.close();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  await sts.stop();
  stsClient.destroy();
});

describe('handshake', () => {
  it('accepts a good signature (101) and lets the session connect', async () => {
    const session = await assumeRole(alphaPolicy);
    expect(await handshake(urlFor(session))).toEqual({ status: 101, body: '' });
    const { client } = await connect(urlFor(session), 'alpha');
    expect(client.connected).toBe(true);
  });

  it.each<[string, (session: Session) => Promise<string> | string, string]>([
    ['a tampered signature', (s) => urlFor(s).replace(/X-Amz-Signature=([0-9a-f])/, (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`), 'bad-signature'],
    ['the wrong secret', (s) => urlFor({ ...s, secretAccessKey: 'wrong-secret' }), 'bad-signature'],
    ['an unknown access key', (s) => urlFor({ ...s, accessKeyId: 'ASIAUNKNOWNKEY000000' }), 'unknown-access-key'],
    ['a missing session token', (s) => urlFor(s).replace(/&X-Amz-Security-Token=[^&]*/, ''), 'missing-session-token'],
    ['another session\'s token', async (s) => urlFor({ ...s, sessionToken: (await assumeRole(alphaPolicy)).sessionToken }), 'wrong-session-token'],
    ['a signed session token', async (s) => {
      const signer = new SignatureV4({ service: 'iotdevicegateway', region: 'us-east-1', credentials: s, sha256: Sha256 });
      const presigned = await signer.presign(new HttpRequest({ method: 'GET', protocol: 'ws:', hostname: host, path: '/mqtt', headers: { host } }), { expiresIn: 300 });
      return `ws://${host}/mqtt?${Object.entries(presigned.query ?? {}).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join('&')}`;
    }, 'signed-session-token'],
  ])('refuses %s with HTTP 403', async (_name, makeUrl, code) => {
    const session = await assumeRole(alphaPolicy);
    expect(await handshake(await makeUrl(session))).toEqual({ status: 403, body: `Forbidden: ${code}\n` });
  });

  it('refuses an expired session even with a freshly dated URL', async () => {
    const session = await assumeRole(alphaPolicy);
    clockOffsetMs = 901_000;
    expect(await handshake(urlFor(session, { signingDate: gatewayNow() }))).toEqual({ status: 403, body: 'Forbidden: session-expired\n' });
  });

  it('refuses a URL past its X-Amz-Expires, and one older than the 15-minute window', async () => {
    const session = await assumeRole(alphaPolicy);
    const signedAt = gatewayNow();
    const short = urlFor(session, { signingDate: signedAt, expiresIn: 60 });
    const long = urlFor(session, { signingDate: signedAt, expiresIn: 3600 });
    clockOffsetMs = 61_000;
    expect(await handshake(short)).toEqual({ status: 403, body: 'Forbidden: url-expired\n' });
    expect((await handshake(long)).status).toBe(101);
    clockOffsetMs = 890_000;
    expect((await handshake(long)).status).toBe(101);
    clockOffsetMs = 899_000 + 2_000;
    expect(await handshake(long)).toEqual({ status: 403, body: 'Forbidden: url-too-old\n' });
  });

  it('never logs the query string of a handshake', () => {
    expect(logLines.some((line) => line.includes('403 bad-signature'))).toBe(true);
    // No access key id, session token, signature or query parameter value.
    expect(logLines.filter((line) => /ASIA[A-Z2-7]{16}|IQoJb3Jp|[0-9a-f]{64}|X-Amz-[A-Za-z-]+=/.test(line))).toEqual([]);
  });
});

describe('MQTT authorization (role policy ∩ session policy)', () => {
  it('refuses CONNECT for a client id outside the session policy with CONNACK 5', async () => {
    const session = await assumeRole(alphaPolicy);
    await expect(connect(urlFor(session), 'beta')).rejects.toMatchObject({ code: 5 });
    await expect(connect(urlFor(session), 'alphabet')).rejects.toMatchObject({ code: 5 });
    expect((await connect(urlFor(session), 'alpha-tab2')).client.connected).toBe(true);
  });

  it('refuses MQTT 5 with CONNACK 1: aedes speaks MQTT 3.1.1 only (a documented limit; AWS IoT accepts 5)', async () => {
    const session = await assumeRole(alphaPolicy);
    await expect(connectRecording(urlFor(session), 'alpha', { protocolVersion: 5 })).rejects.toMatchObject({ code: 1 });
  });

  it('allows nothing to a session of a role the gateway does not know', async () => {
    const session = await assumeRole(alphaPolicy, OTHER_ROLE);
    await expect(connect(urlFor(session), 'alpha')).rejects.toMatchObject({ code: 5 });
  });

  it('answers SUBACK 0x80 for each refused filter and grants the others', async () => {
    const { client } = await connect(urlFor(await assumeRole(alphaPolicy)), 'alpha');
    expect(await subscribeGranted(client, ['lab/alpha/#', 'lab/beta/#', 'lab/+/x', '#', 'lab/alpha/+'])).toEqual([0, 128, 128, 128, 0]);
  });

  it('disconnects a client that publishes outside its policy, and the message goes nowhere', async () => {
    const watcherPolicy = { Version: '2012-10-17', Statement: [
      { Effect: 'Allow', Action: 'iot:Connect', Resource: arn('client/watcher') },
      { Effect: 'Allow', Action: ['iot:Subscribe'], Resource: arn('topicfilter/lab/*') },
      { Effect: 'Allow', Action: ['iot:Receive'], Resource: arn('topic/lab/*') },
    ] };
    const watcher = await connect(urlFor(await assumeRole(watcherPolicy)), 'watcher');
    expect(await subscribeGranted(watcher.client, ['lab/#'])).toEqual([0]);
    const alpha = await connect(urlFor(await assumeRole(alphaPolicy)), 'alpha');
    alpha.client.publish('lab/beta/chat', 'intrusion');
    await closed(alpha.client);
    nextSecond();
    const alphaAgain = await connect(urlFor(await assumeRole(alphaPolicy)), 'alpha');
    await alphaAgain.client.publishAsync('lab/alpha/chat', 'legit');
    expect(await nextMessage(watcher, 'lab/alpha/chat')).toBe('legit');
    expect(watcher.messages.map((m) => m.payload)).not.toContain('intrusion');
    expect(logLines.some((line) => line.includes('topic="lab/beta/chat" refused'))).toBe(true);
  });

  it('refuses a retained PUBLISH without iot:RetainPublish', async () => {
    const alpha = await connect(urlFor(await assumeRole(alphaPolicy)), 'alpha');
    alpha.client.publish('lab/alpha/state', 'kept', { retain: true });
    await closed(alpha.client);
  });

  it('does not deliver messages the subscriber may not receive (iot:Receive per message)', async () => {
    const narrowReceiver = { Version: '2012-10-17', Statement: [
      { Effect: 'Allow', Action: 'iot:Connect', Resource: arn('client/receiver') },
      { Effect: 'Allow', Action: 'iot:Subscribe', Resource: arn('topicfilter/lab/*') },
      { Effect: 'Allow', Action: 'iot:Receive', Resource: arn('topic/lab/open/*') },
    ] };
    const publisherPolicy = { Version: '2012-10-17', Statement: [
      { Effect: 'Allow', Action: 'iot:Connect', Resource: arn('client/publisher') },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: arn('topic/lab/*') },
    ] };
    const receiver = await connect(urlFor(await assumeRole(narrowReceiver)), 'receiver');
    expect(await subscribeGranted(receiver.client, ['lab/#'])).toEqual([0]);
    const publisher = await connect(urlFor(await assumeRole(publisherPolicy)), 'publisher');
    await publisher.client.publishAsync('lab/secret/x', 'hidden');
    await publisher.client.publishAsync('lab/open/x', 'visible');
    // Same publisher, same QoS: delivered in order, so "hidden" would have arrived first.
    expect(await nextMessage(receiver, 'lab/open/x')).toBe('visible');
    expect(receiver.messages.map((m) => m.topic)).toEqual(['lab/open/x']);
  });

  it('publishes for an in-process principal (a device) by its own policy; each delivery still needs iot:Receive', async () => {
    const device = {
      name: 'thermo-1',
      permissions: iotPermissions(scope, [parsePolicy({ Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: arn('topic/lab/*') }] })]),
    };
    const narrowReceiver = { Version: '2012-10-17', Statement: [
      { Effect: 'Allow', Action: 'iot:Connect', Resource: arn('client/receiver') },
      { Effect: 'Allow', Action: 'iot:Subscribe', Resource: arn('topicfilter/lab/*') },
      { Effect: 'Allow', Action: 'iot:Receive', Resource: arn('topic/lab/open/*') },
    ] };
    const receiver = await connect(urlFor(await assumeRole(narrowReceiver)), 'receiver');
    expect(await subscribeGranted(receiver.client, ['lab/#'])).toEqual([0]);
    expect(await gateway.publishAs(device, 'elsewhere/x', 'outside its policy')).toBe(false);
    // AWS IoT's message-broker limits hold for devices too.
    expect(await gateway.publishAs(device, 'lab/open/big', Buffer.alloc(128 * 1024 + 1))).toBe(false);
    expect(logLines).toContain('MQTT PUBLISH principal="thermo-1" topic="lab/open/big" refused (payload-too-large: the payload is 131073 bytes (at most 131072, 128 KB))');
    expect(await gateway.publishAs(device, 'lab/open/x', 'retained?', { retain: true })).toBe(false);
    expect(await gateway.publishAs(device, 'lab/secret/x', 'hidden')).toBe(true);
    expect(await gateway.publishAs(device, 'lab/open/x', 'visible')).toBe(true);
    expect(await nextMessage(receiver, 'lab/open/x')).toBe('visible');
    expect(receiver.messages.map((m) => m.payload)).toEqual(['visible']);
    expect(logLines).toContain('MQTT PUBLISH principal="thermo-1" topic="elsewhere/x" refused (implicit-deny)');
  });

  it('honours an explicit Deny in the session policy', async () => {
    const denying = { ...alphaPolicy, Statement: [...alphaPolicy.Statement, { Effect: 'Deny', Action: 'iot:Subscribe', Resource: arn('topicfilter/lab/alpha/private') }] };
    const { client } = await connect(urlFor(await assumeRole(denying)), 'alpha');
    expect(await subscribeGranted(client, ['lab/alpha/private', 'lab/alpha/public'])).toEqual([128, 0]);
  });

  it('lets the newest connection with a client id take over the older one, as AWS IoT does', async () => {
    const first = await connect(urlFor(await assumeRole(alphaPolicy)), 'alpha');
    nextSecond();
    const second = await connect(urlFor(await assumeRole(alphaPolicy)), 'alpha');
    await closed(first.client);
    expect(second.client.connected).toBe(true);
  });
});

describe('log lines', () => {
  it('quotes client IDs, filters and topics, so a line break in one cannot start a forged line', async () => {
    const forged = 'MQTT CONNECT client=alpha accepted';
    const evil = await connect(urlFor(await assumeRole(alphaPolicy)), `alpha-x\n${forged}`);
    expect(await subscribeGranted(evil.client, [`lab/beta/\r\n${forged}`])).toEqual([128]);
    evil.client.publish(`lab/beta/\u2028\u0085${forged}`, 'x');
    await closed(evil.client);

    // However a reader splits lines, none of them is the forged one.
    const physicalLines = logLines.join('\n').split(/\r\n|[\r\n\u0085\u2028\u2029]/);
    expect(physicalLines.filter((line) => line.startsWith('MQTT CONNECT client=alpha'))).toEqual([]);
    expect(logLines).toContain('MQTT CONNECT client="alpha-x\\nMQTT CONNECT client=alpha accepted" session="gateway-test" accepted');
    expect(logLines).toContain('MQTT SUBSCRIBE client="alpha-x\\nMQTT CONNECT client=alpha accepted" filter="lab/beta/\\r\\nMQTT CONNECT client=alpha accepted" refused (implicit-deny)');
    expect(logLines).toContain('MQTT PUBLISH client="alpha-x\\nMQTT CONNECT client=alpha accepted" topic="lab/beta/\\u2028\\u0085MQTT CONNECT client=alpha accepted" refused (implicit-deny): disconnecting');
  });
});

describe('shutdown', () => {
  it('drops open connections on demand', async () => {
    const alpha = await connect(urlFor(await assumeRole(alphaPolicy)), 'alpha');
    expect(gateway.connectionCount).toBeGreaterThanOrEqual(1);
    expect(gateway.dropConnections()).toBeGreaterThanOrEqual(1);
    await closed(alpha.client);
  });
});
