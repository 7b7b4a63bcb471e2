/**
 * End to end over real sockets: the local stack on an ephemeral port, two users signing in through
 * `/cognito`, vending through `/mqtt-url` (JWT authorizer + the real Lambda + loopback STS), and
 * talking MQTT through the local IoT gateway with mqtt.js in Node, and with the browser client
 * (`web/connect-mqtt.ts`) running in Node.
 */
import { existsSync } from 'node:fs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { signMqttUrl } from '../../lambda/sigv4.js';
import { LOCAL_CLIENT_ROLE_ARN, startLocalStack, type LocalStack } from '../../local/dev-server.js';
import { LOCAL_FUNCTION_CREDENTIALS } from '../../local/local-lambda.js';
import { connectMqtt, type FetchLike } from '../../web/connect-mqtt.js';
import { closed, connectRecording, end, handshake, nextMessage, subscribeGranted, type RecordingClient } from './mqtt-helpers.js';

interface Vended {
  url: string;
  clientId: string;
  expiresAt: string;
  endpoint: string;
  region: string;
  topics: { publish: string[]; subscribe: string[] };
}

interface User {
  name: string;
  token: string;
  sub: string;
}

let stack: LocalStack;
/** Shifts the stack's one clock (Lambda, STS, user pool, authorizer, gateway). */
let clockOffsetMs = 0;
/**
 * Time the tests let pass on that clock: AWS IoT accepts one CONNECT per second per client ID, and
 * the tests connect each user many times, so each connection moves the clock a second on.
 */
let elapsedMs = 0;
const logLines: string[] = [];
const clients: RecordingClient[] = [];

async function signIn(name: string): Promise<User> {
  const response = await fetch(`${stack.url}/cognito`, {
    method: 'POST',
    headers: { 'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth', 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: 'local', AuthParameters: { USERNAME: name, PASSWORD: 'local-dev' } }),
  });
  expect(response.status).toBe(200);
  const { AuthenticationResult } = (await response.json()) as { AuthenticationResult: { IdToken: string } };
  const [, payload = ''] = AuthenticationResult.IdToken.split('.');
  const { sub } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub: string };
  return { name, token: AuthenticationResult.IdToken, sub };
}

async function vend(user: User, clientSuffix?: string): Promise<Vended> {
  const query = clientSuffix === undefined ? '' : `?clientSuffix=${clientSuffix}`;
  const response = await fetch(`${stack.url}/mqtt-url${query}`, { headers: { authorization: `Bearer ${user.token}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as Vended;
}

async function connectAs(user: User, options: { clientId?: string; clientSuffix?: string } = {}): Promise<RecordingClient> {
  elapsedMs += 1_001;
  const vended = await vend(user, options.clientSuffix);
  const recording = await connectRecording(vended.url, options.clientId ?? vended.clientId);
  clients.push(recording);
  return recording;
}

let alice: User;
let bob: User;

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    log: (line) => logLines.push(line),
    now: () => new Date(Date.now() + elapsedMs + clockOffsetMs),
    // The tests vend many URLs per user; the Lambda's per-user rate limit has its own tests.
    userRatePerSecond: 0,
  });
  [alice, bob] = await Promise.all([signIn('alice'), signIn('bob')]);
});

afterEach(async () => {
  clockOffsetMs = 0;
  await Promise.all(clients.splice(0).map((recording) => end(recording.client)));
});

afterAll(async () => {
  await stack?.stop();
});

describe('HTTP surface', () => {
  it('serves /config.json for the demo page', async () => {
    const response = await fetch(`${stack.url}/config.json`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      apiUrl: stack.url, cognitoUrl: `${stack.url}/cognito`, userPoolClientId: 'local', region: 'us-east-1', mode: 'local',
    });
  });

  it('serves the demo page and its bundle, or says clearly that they are not written yet', async () => {
    const page = await fetch(`${stack.url}/`);
    const script = await fetch(`${stack.url}/app.js`);
    if (existsSync(new URL('../../web/demo/index.html', import.meta.url))) {
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    } else {
      expect(page.status).toBe(503);
      expect(await page.text()).toMatch(/web\/demo\/index\.html does not exist yet/);
    }
    if (existsSync(new URL('../../web/demo/main.ts', import.meta.url))) {
      expect(script.status).toBe(200);
      expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    } else {
      expect(script.status).toBe(503);
      expect(await script.text()).toMatch(/web\/demo\/main\.ts does not exist yet/);
    }
  });

  it('answers like API Gateway on /mqtt-url: 401 without a token, 404 for other methods', async () => {
    const anonymous = await fetch(`${stack.url}/mqtt-url`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ message: 'Unauthorized' });
    const post = await fetch(`${stack.url}/mqtt-url`, { method: 'POST', headers: { authorization: `Bearer ${alice.token}` } });
    expect(post.status).toBe(404);
    expect(await post.json()).toEqual({ message: 'Not Found' });
  });

  it('vends a loopback URL, the caller\'s client id and topics through the real Lambda', async () => {
    const vended = await vend(alice, 'tab2');
    expect(vended).toMatchObject({
      clientId: `${alice.sub}-tab2`,
      endpoint: `127.0.0.1:${stack.port}`,
      region: 'us-east-1',
      topics: { publish: [`users/${alice.sub}/*`], subscribe: [`users/${alice.sub}/*`] },
    });
    expect(vended.url.startsWith(`ws://127.0.0.1:${stack.port}/mqtt?X-Amz-Algorithm=AWS4-HMAC-SHA256&`)).toBe(true);
    const call = stack.sts.calls.at(-1);
    expect(call).toMatchObject({ roleArn: 'arn:aws:iam::000000000000:role/local-mqtt-client', callerAccessKeyId: 'AKIALOCALSTACKFUNCTION' });
    expect(call?.policy).toContain(`topic/users/${alice.sub}/*`);
  });

  it('logs one line per request (the client-controlled path quoted) and never a signed URL, token or signature', async () => {
    await vend(alice);
    expect(logLines.some((line) => /^POST "\/cognito" 200 \d+ms$/.test(line))).toBe(true);
    expect(logLines.some((line) => /^GET "\/mqtt-url" 200 \d+ms$/.test(line))).toBe(true);
    // The Lambda's own JSON line goes to the same log.
    expect(logLines.some((line) => line.startsWith('{') && (JSON.parse(line) as { message?: string }).message === 'mqtt-url')).toBe(true);
    expect(logLines.filter((line) => /ASIA[A-Z2-7]{16}|IQoJb3Jp|[0-9a-f]{64}|X-Amz-[A-Za-z-]+=|eyJ[\w-]+\.eyJ/.test(line))).toEqual([]);
  });
});

describe('two users over MQTT', () => {
  it('lets each user publish and receive in their own namespace', async () => {
    const a = await connectAs(alice);
    const b = await connectAs(bob);
    expect(await subscribeGranted(a.client, [`users/${alice.sub}/#`])).toEqual([0]);
    expect(await subscribeGranted(b.client, [`users/${bob.sub}/#`])).toEqual([0]);
    await a.client.publishAsync(`users/${alice.sub}/chat`, 'hello from alice');
    await b.client.publishAsync(`users/${bob.sub}/chat`, 'hello from bob');
    expect(await nextMessage(a, `users/${alice.sub}/chat`)).toBe('hello from alice');
    expect(await nextMessage(b, `users/${bob.sub}/chat`)).toBe('hello from bob');
    expect(a.messages.map((m) => m.payload)).toEqual(['hello from alice']);
    expect(b.messages.map((m) => m.payload)).toEqual(['hello from bob']);
  });

  it('refuses subscriptions to the other user\'s namespace and to wildcards that would reach it', async () => {
    const a = await connectAs(alice);
    expect(await subscribeGranted(a.client, [`users/${bob.sub}/#`, `users/${bob.sub}/chat`, 'users/+/chat', 'users/#', '#'])).toEqual([128, 128, 128, 128, 128]);
    const b = await connectAs(bob);
    await b.client.publishAsync(`users/${bob.sub}/chat`, 'for bob only');
    // alice's own subscription still works, and nothing of bob's reached her.
    expect(await subscribeGranted(a.client, [`users/${alice.sub}/#`])).toEqual([0]);
    await a.client.publishAsync(`users/${alice.sub}/marker`, 'marker');
    expect(await nextMessage(a, `users/${alice.sub}/marker`)).toBe('marker');
    expect(a.messages.map((m) => m.payload)).toEqual(['marker']);
  });

  it('disconnects a user who publishes into the other\'s namespace; the other receives nothing', async () => {
    const b = await connectAs(bob);
    expect(await subscribeGranted(b.client, [`users/${bob.sub}/#`])).toEqual([0]);
    const a = await connectAs(alice);
    a.client.publish(`users/${bob.sub}/chat`, 'spoofed');
    await closed(a.client);
    await b.client.publishAsync(`users/${bob.sub}/chat`, 'genuine');
    expect(await nextMessage(b, `users/${bob.sub}/chat`)).toBe('genuine');
    expect(b.messages.map((m) => m.payload)).toEqual(['genuine']);
  });

  it('refuses a connection with the other user\'s client id (CONNACK 5) and leaves their session alone', async () => {
    const b = await connectAs(bob);
    expect(await subscribeGranted(b.client, [`users/${bob.sub}/#`])).toEqual([0]);
    await expect(connectAs(alice, { clientId: bob.sub })).rejects.toMatchObject({ code: 5 });
    await expect(connectAs(alice, { clientId: `${bob.sub}-tab2` })).rejects.toMatchObject({ code: 5 });
    expect(b.client.connected).toBe(true);
    await b.client.publishAsync(`users/${bob.sub}/chat`, 'still here');
    expect(await nextMessage(b, `users/${bob.sub}/chat`)).toBe('still here');
  });

  it('accepts the user\'s own suffixed client id for a second tab', async () => {
    const tab1 = await connectAs(alice);
    const tab2 = await connectAs(alice, { clientSuffix: 'tab2' });
    expect(await subscribeGranted(tab2.client, [`users/${alice.sub}/#`])).toEqual([0]);
    await tab1.client.publishAsync(`users/${alice.sub}/chat`, 'to my other tab');
    expect(await nextMessage(tab2, `users/${alice.sub}/chat`)).toBe('to my other tab');
  });
});

describe('stale URLs', () => {
  it('refuses a reconnect with the stale URL; a re-vended one (transformWsUrl) succeeds', async () => {
    const first = await vend(alice);
    let current = first.url;
    const recording = await connectRecording(first.url, first.clientId, { reconnectPeriod: 50, transformWsUrl: () => current });
    clients.push(recording);
    const { client } = recording;

    // Every part of the stack jumps past the URL's expiry (300 s), still inside the session and token.
    clockOffsetMs = 301_000;
    expect(await handshake(first.url)).toEqual({ status: 403, body: 'Forbidden: url-expired\n' });

    // mqtt.js reports a refused handshake as a reconnect attempt followed by a close.
    const failedAttempt = new Promise<void>((resolve) => client.once('reconnect', () => client.once('close', () => resolve())));
    expect(stack.dropMqttConnections()).toBeGreaterThanOrEqual(1);
    await failedAttempt;
    expect(client.connected).toBe(false);

    const fresh = await vend(alice);
    expect(fresh.url).not.toBe(first.url);
    const reconnected = new Promise<void>((resolve) => client.once('connect', () => resolve()));
    current = fresh.url;
    await reconnected;
    expect(await subscribeGranted(client, [`users/${alice.sub}/#`])).toEqual([0]);
    await client.publishAsync(`users/${alice.sub}/chat`, 'back online');
    expect(await nextMessage(recording, `users/${alice.sub}/chat`)).toBe('back online');
    expect(logLines.filter((line) => line.startsWith('WS /mqtt 403 url-expired')).length).toBeGreaterThanOrEqual(2);
  });
});

describe('only the function obtains client-role sessions', () => {
  /** AssumeRole of the client role as an attacker would ask: no session policy, the whole role. */
  async function assumeClientRole(credentials: { accessKeyId: string; secretAccessKey: string }): Promise<unknown> {
    const client = new STSClient({ region: 'us-east-1', endpoint: stack.stsUrl, credentials, maxAttempts: 1 });
    try {
      return await client.send(new AssumeRoleCommand({ RoleArn: LOCAL_CLIENT_ROLE_ARN, RoleSessionName: 'intruder' }));
    } finally {
      client.destroy();
    }
  }

  it('a session not minted by the function can neither eavesdrop nor take over a client id', async () => {
    const b = await connectAs(bob);
    expect(await subscribeGranted(b.client, [`users/${bob.sub}/#`])).toEqual([0]);
    const callsBefore = stack.sts.calls.length;

    // Unsigned, as in the audit: it used to return a session allowed users/+/chat and every client id.
    const unsigned = await fetch(stack.stsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: new URLSearchParams({ Action: 'AssumeRole', Version: '2011-06-15', RoleArn: LOCAL_CLIENT_ROLE_ARN, RoleSessionName: 'intruder' }).toString(),
    });
    expect(unsigned.status).toBe(403);
    const unsignedBody = await unsigned.text();
    expect(unsignedBody).toContain('<Code>MissingAuthenticationToken</Code>');
    expect(unsignedBody).not.toContain('<Credentials>');

    // Keys STS does not know, and the function's key id without its secret.
    await expect(assumeClientRole({ accessKeyId: 'AKIAINTRUDER00000001', secretAccessKey: 'made-up' })).rejects.toMatchObject({ name: 'InvalidClientTokenId' });
    await expect(assumeClientRole({ accessKeyId: LOCAL_FUNCTION_CREDENTIALS.accessKeyId, secretAccessKey: 'guessed' })).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    // A genuine principal of the account that the client role does not trust.
    const mallory = { accessKeyId: 'AKIAMALLORY000000001', secretAccessKey: 'mallory-secret', arn: 'arn:aws:iam::000000000000:user/mallory' };
    stack.sts.registerCaller(mallory);
    await expect(assumeClientRole(mallory)).rejects.toMatchObject({
      name: 'AccessDenied',
      message: `User: ${mallory.arn} is not authorized to perform: sts:AssumeRole on resource: ${LOCAL_CLIENT_ROLE_ARN}`,
    });
    // Only mallory's request was authenticated and reached AssumeRole, which refused it.
    expect(stack.sts.calls.slice(callsBefore).map((call) => call.callerAccessKeyId)).toEqual([mallory.accessKeyId]);

    // Without a session, the gateway refuses the handshake, whatever client id it would claim.
    const forged = signMqttUrl({ host: `127.0.0.1:${stack.port}`, region: 'us-east-1', credentials: mallory });
    expect(await handshake(forged)).toEqual({ status: 403, body: 'Forbidden: unknown-access-key\n' });
    expect(b.client.connected).toBe(true);
    await b.client.publishAsync(`users/${bob.sub}/chat`, 'still private');
    expect(await nextMessage(b, `users/${bob.sub}/chat`)).toBe('still private');
  });
});

describe('the browser client (connectMqtt) in Node', () => {
  it('reconnects after a drop with a newly vended URL once the old one is stale', async () => {
    const vendedUrls: string[] = [];
    const recordingFetch: FetchLike = async (input, init) => {
      const response = await fetch(input, init);
      if (response.ok) vendedUrls.push(((await response.clone().json()) as Vended).url);
      return response;
    };
    const vendLines = (): number => logLines.filter((line) => /^GET "\/mqtt-url" 200 /.test(line)).length;
    const vendsBefore = vendLines();
    const connection = await connectMqtt({
      apiUrl: stack.url,
      getToken: () => alice.token,
      clientSuffix: 'node',
      fetch: recordingFetch,
      mqttOptions: { reconnectPeriod: 50 },
    });
    try {
      const { client } = connection;
      await new Promise<void>((resolve) => client.once('connect', () => resolve()));
      expect(connection.clientId).toBe(`${alice.sub}-node`);
      expect(vendedUrls).toHaveLength(1);

      // Time passes for everyone (stack and client) beyond the URL's 300 s; Date keeps ticking.
      vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
      vi.setSystemTime(Date.now() + 301_000);
      expect(await handshake(vendedUrls[0] ?? '')).toEqual({ status: 403, body: 'Forbidden: url-expired\n' });

      const reconnected = new Promise<void>((resolve) => client.once('connect', () => resolve()));
      expect(stack.dropMqttConnections()).toBeGreaterThanOrEqual(1);
      await reconnected;
      // One new vend, and the connection that succeeded used it (the old URL is refused above).
      expect(vendedUrls).toHaveLength(2);
      expect(vendedUrls[1]).not.toBe(vendedUrls[0]);
      expect(vendLines() - vendsBefore).toBe(2);
      expect(await subscribeGranted(client, [`users/${alice.sub}/#`])).toEqual([0]);
      const received = new Promise<string>((resolve) => client.once('message', (_topic, payload) => resolve(payload.toString('utf8'))));
      await client.publishAsync(`users/${alice.sub}/chat`, 'reconnected by connectMqtt');
      expect(await received).toBe('reconnected by connectMqtt');
    } finally {
      vi.useRealTimers();
      await connection.end();
    }
  });
});

describe('connectMqtt error codes against the local stack', () => {
  it('rejects a token the JWT authorizer refuses with code Unauthorized (HTTP 401), after one forced refresh', async () => {
    const asked: unknown[] = [];
    const getToken = (options?: unknown): string => {
      asked.push(options);
      return 'not.a.token';
    };
    await expect(connectMqtt({ apiUrl: stack.url, getToken })).rejects.toMatchObject({
      name: 'VendingError',
      status: 401,
      code: 'Unauthorized',
      apiCode: undefined,
      message: 'Unauthorized',
      permanent: true,
    });
    expect(asked).toEqual([undefined, { forceRefresh: true }]);
  });

  it('rejects a bad clientSuffix refused by the Lambda with code BadRequest and its own code as apiCode', async () => {
    const response = await fetch(`${stack.url}/mqtt-url?clientSuffix=${'x'.repeat(40)}`, { headers: { authorization: `Bearer ${alice.token}` } });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string } };
    const replay: FetchLike = async (_input, init) => fetch(`${stack.url}/mqtt-url?clientSuffix=${'x'.repeat(40)}`, init);
    await expect(connectMqtt({ apiUrl: stack.url, getToken: () => alice.token, fetch: replay })).rejects.toMatchObject({
      status: 400,
      code: 'BadRequest',
      apiCode: error.code,
    });
  });
});

describe('stop', () => {
  it('closes MQTT connections, the HTTP server and STS, and can be called twice', async () => {
    const a = await connectAs(alice);
    const stsUrl = process.env['AWS_ENDPOINT_URL_STS'];
    await stack.stop();
    await closed(a.client);
    await expect(fetch(`${stack.url}/config.json`)).rejects.toThrow();
    await expect(fetch(`${stsUrl ?? 'http://127.0.0.1:1'}/`)).rejects.toThrow();
    expect(process.env['IOT_ENDPOINT']).toBeUndefined();
    await stack.stop();
  });
});
