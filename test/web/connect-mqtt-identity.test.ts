/**
 * connectMqtt's client ID and session options in Node, against a real broker over real sockets
 * (the vending API scripted): a suffix of each connection's own by default, `clientSuffix: false`
 * and explicit suffixes, the fallback for users whose sub takes no suffix, `resume` (a persistent
 * session, refused with `clean: true`), and `end()` discarding that session unless asked to keep it.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectMqttOptionError, connectMqtt, type MqttConnection } from '../../web/connect-mqtt.js';
import { FakeFetch, jsonResponse, vendedBody } from './fixtures.js';
import { TestWsBroker } from './ws-broker.js';

const API = 'https://api.example.com/';
const broker = new TestWsBroker();
let fake: FakeFetch;
let serial: number;
const open: MqttConnection[] = [];

function vendFreshUrls(): void {
  fake.otherwise(() => {
    serial += 1;
    return jsonResponse(200, vendedBody({ signedAt: new Date(), serial, host: broker.host }));
  });
}

async function connected(connection: MqttConnection): Promise<MqttConnection> {
  open.push(connection);
  if (!connection.client.connected) await new Promise((resolve) => connection.client.once('connect', resolve));
  return connection;
}

function suffixOf(url: string | undefined): string | null {
  return new URL(url ?? 'https://x/').searchParams.get('clientSuffix');
}

beforeAll(async () => {
  await broker.start();
});
afterAll(async () => {
  await broker.stop();
});
beforeEach(() => {
  fake = new FakeFetch();
  serial = 0;
  broker.reset();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((connection) => connection.end({ keepSession: true })));
});

describe('connectMqtt client IDs', () => {
  it('by default every call asks for a suffix of its own (12 random characters)', async () => {
    vendFreshUrls();
    await connected(await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch }));
    await connected(await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch }));
    const [first, second] = fake.requests.map((request) => suffixOf(request.url));
    expect(first).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(second).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(first).not.toBe(second);
  });

  it('clientSuffix: false asks for none (the bare <sub>); an explicit suffix is sent as it is', async () => {
    vendFreshUrls();
    await connected(await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, clientSuffix: false }));
    await connected(await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, clientSuffix: 'pinned' }));
    expect(fake.requests.map((request) => request.url)).toEqual([`${API}mqtt-url`, `${API}mqtt-url?clientSuffix=pinned`]);
  });

  it('a default suffix the API refuses (a sub that is not a UUID) falls back to the bare <sub>; an explicit one does not', async () => {
    const refuse = jsonResponse(400, { error: { code: 'invalid_request', message: 'clientSuffix is only available to users whose sub is a UUID (as Cognito issues)' } });
    fake.otherwise((request) => {
      if (suffixOf(request.url) !== null) return refuse.clone();
      serial += 1;
      return jsonResponse(200, vendedBody({ signedAt: new Date(), serial, host: broker.host }));
    });
    const connection = await connected(await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch }));
    expect(connection.clientId).toBe('user-1');
    expect(fake.requests.map((request) => suffixOf(request.url) === null)).toEqual([false, true]);

    await expect(connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, clientSuffix: 'mine' })).rejects.toMatchObject({ name: 'VendingError', status: 400 });
  });

  it('a bad clientSuffix, resume or mqttOptions.clean is refused before any request', async () => {
    vendFreshUrls();
    const attempts: Array<[unknown, string]> = [
      [{ clientSuffix: 'has space' }, 'clientSuffix'],
      [{ clientSuffix: 12 }, 'clientSuffix'],
      [{ clientSuffix: true }, 'clientSuffix'],
      [{ resume: 'yes' }, 'resume'],
      [{ resume: true, mqttOptions: { clean: true } }, 'mqttOptions.clean'],
    ];
    for (const [extra, option] of attempts) {
      const error = await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, ...(extra as object) }).catch((e: unknown) => e);
      expect(error, option).toBeInstanceOf(ConnectMqttOptionError);
      expect((error as ConnectMqttOptionError).option).toBe(option);
    }
    expect(fake.requests).toHaveLength(0);
    expect((await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, resume: true, mqttOptions: { clean: true } }).catch((e: Error) => e.message)) as string).toBe(
      'Invalid mqttOptions.clean: cannot be true with resume: true, which keeps a persistent session (clean: false) (received true)',
    );
  });
});

describe('connectMqtt resume', () => {
  it('connects with clean: false; end() then discards the session with a clean CONNECT a second after the last one', async () => {
    vendFreshUrls();
    const connection = await connected(await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, resume: true }));
    expect(connection.resume).toBe(true);
    expect(connection.client.options.clean).toBe(false);
    open.length = 0;
    const started = performance.now();
    await connection.end();
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_000); // AWS IoT's one CONNECT per second per client ID
    expect(broker.connects).toEqual([
      { clientId: 'user-1', clean: false },
      { clientId: 'user-1', clean: true },
    ]);
    expect(fake.requests).toHaveLength(1); // the held URL was still usable: no vend for the discard
  });

  it('end({ keepSession: true }) leaves the session; without resume end() connects nothing more', async () => {
    vendFreshUrls();
    const kept = await connected(await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, resume: true }));
    const plain = await connected(await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch }));
    open.length = 0;
    await kept.end({ keepSession: true });
    await plain.end();
    expect(broker.connects.map((c) => c.clean)).toEqual([false, true]);
  });

  it('does not re-subscribe when the broker kept the session', async () => {
    vendFreshUrls();
    const connection = await connected(await connectMqtt({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, resume: true, mqttOptions: { reconnectPeriod: 50 } }));
    await connection.client.subscribeAsync('users/user-1/#', { qos: 1 });
    const sent: string[] = [];
    connection.client.on('packetsend', (packet) => sent.push(packet.cmd));
    const back = new Promise<{ sessionPresent: boolean }>((resolve) => connection.client.once('connect', (connack) => resolve(connack)));
    broker.dropAll();
    expect((await back).sessionPresent).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sent).not.toContain('subscribe');
  });
});
