/**
 * The gateway's limit checks without sockets: the pure rules of `broker-limits.ts` at their
 * boundaries, the MQTT framing of `mqtt-frames.ts`, the stream gate (split packets, early refusal of
 * a huge PUBLISH before it is buffered, the subscription count), the CONNECT-per-second throttle and
 * the dev server's Host check.
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_CONTROL_PACKET_BYTES,
  MAX_PAYLOAD_BYTES,
  publishViolation,
  subscribeViolation,
  type LimitViolation,
} from '../../local/broker-limits.js';
import { ConnectThrottle } from '../../local/connect-throttle.js';
import { isLoopbackHost } from '../../local/loopback-host.js';
import { MalformedPacketError, readConnectWill, readFixedHeader } from '../../local/mqtt-frames.js';
import { PacketGate, type GateViolation } from '../../local/packet-gate.js';

/** MQTT's variable-length "remaining length". */
function remainingLength(length: number): Buffer {
  const bytes: number[] = [];
  let rest = length;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest > 0);
  return Buffer.from(bytes);
}

function utf8(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
}

function packet(firstByte: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([firstByte]), remainingLength(body.length), body]);
}

function publish(topic: string, payload: Buffer | number, qos = 0): Buffer {
  const bytes = typeof payload === 'number' ? Buffer.alloc(payload) : payload;
  return packet(0x30 | (qos << 1), Buffer.concat([utf8(topic), qos > 0 ? Buffer.from([0, 1]) : Buffer.alloc(0), bytes]));
}

function subscribe(filters: readonly string[], qos = 0): Buffer {
  return packet(0x82, Buffer.concat([Buffer.from([0, 1]), ...filters.map((filter) => Buffer.concat([utf8(filter), Buffer.from([qos])]))]));
}

function unsubscribe(filters: readonly string[]): Buffer {
  return packet(0xa2, Buffer.concat([Buffer.from([0, 2]), ...filters.map(utf8)]));
}

function connectWithWill(willTopic: string, willQos: number): Buffer {
  const flags = 0x02 | 0x04 | (willQos << 3);
  return packet(0x10, Buffer.concat([utf8('MQTT'), Buffer.from([4, flags, 0, 60]), utf8('client-1'), utf8(willTopic), utf8('bye')]));
}

/** Runs chunks through a gate; returns what it forwarded and what it refused. */
async function throughGate(chunks: readonly Buffer[], gate = newGate()): Promise<{ forwarded: Buffer; violations: GateViolation[]; gate: PacketGate }> {
  const forwarded: Buffer[] = [];
  gate.instance.on('data', (chunk: Buffer) => forwarded.push(chunk));
  for (const chunk of chunks) await new Promise<void>((resolve, reject) => gate.instance.write(chunk, (error) => (error ? reject(error) : resolve())));
  return { forwarded: Buffer.concat(forwarded), violations: gate.violations, gate: gate.instance };
}

function newGate(held: readonly string[] = []): { instance: PacketGate; violations: GateViolation[] } {
  const violations: GateViolation[] = [];
  const instance = new PacketGate({ onViolation: (violation) => violations.push(violation), brokerSubscriptions: () => held });
  return { instance, violations };
}

describe('broker-limits rules at their boundaries', () => {
  it.each<[string, string, number, number, LimitViolation['rule'] | undefined]>([
    ['128 KB exactly', 'a/b', MAX_PAYLOAD_BYTES, 0, undefined],
    ['one byte more', 'a/b', MAX_PAYLOAD_BYTES + 1, 0, 'payload-too-large'],
    ['QoS 1', 'a/b', 1, 1, undefined],
    ['QoS 2', 'a/b', 1, 2, 'qos-2'],
    ['a 256-byte topic', 'x'.repeat(256), 1, 0, undefined],
    ['a 257-byte topic (UTF-8 bytes, not characters)', `${'x'.repeat(255)}é`, 1, 0, 'topic-too-long'],
    ['7 slashes', 'a/b/c/d/e/f/g/h', 1, 0, undefined],
    ['8 slashes', 'a/b/c/d/e/f/g/h/i', 1, 0, 'too-many-levels'],
    ['a reserved topic', '$aws/things/t/shadow/update', 1, 0, 'reserved-topic'],
  ])('PUBLISH with %s', (_name, topic, payload, qos, rule) => {
    expect(publishViolation(topic, payload, qos)?.rule).toBe(rule);
  });

  it('counts filters per SUBSCRIBE, then each filter, then the connection total (a held filter adds nothing)', () => {
    const filters = (count: number, prefix = 'f'): { filter: string; qos: number }[] => Array.from({ length: count }, (_, i) => ({ filter: `${prefix}/${i}`, qos: 0 }));
    expect(subscribeViolation(filters(8), new Set())).toBeUndefined();
    expect(subscribeViolation(filters(9), new Set())).toMatchObject({ rule: 'too-many-filters', reason: '9 topic filters in one SUBSCRIBE (at most 8)' });
    expect(subscribeViolation([{ filter: 'a/#', qos: 2 }], new Set())).toMatchObject({ rule: 'qos-2', topic: 'a/#' });
    expect(subscribeViolation([{ filter: '$aws/events/#', qos: 0 }], new Set())).toMatchObject({ rule: 'reserved-topic' });
    const held = new Set(filters(49, 'held').map(({ filter }) => filter));
    expect(subscribeViolation(filters(1), held)).toBeUndefined();
    expect(subscribeViolation([{ filter: 'held/0', qos: 0 }, ...filters(1)], held)).toBeUndefined();
    expect(subscribeViolation(filters(2), held)).toMatchObject({ rule: 'too-many-subscriptions', reason: '51 subscriptions on one connection (at most 50)' });
  });
});

describe('mqtt-frames', () => {
  it('reads the fixed header once it is complete, and refuses a five-byte remaining length', () => {
    const header = remainingLength(300_000);
    expect(readFixedHeader(Buffer.from([0x30]))).toBeUndefined();
    expect(readFixedHeader(Buffer.concat([Buffer.from([0x32]), header.subarray(0, 1)]))).toBeUndefined();
    expect(readFixedHeader(Buffer.concat([Buffer.from([0x32]), header]))).toEqual({ type: 3, flags: 2, remainingLength: 300_000, headerLength: 4 });
    expect(() => readFixedHeader(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(MalformedPacketError);
  });

  it("reads a CONNECT's will, and ignores a CONNECT without one", () => {
    const withWill = connectWithWill('a/will', 1);
    const header = readFixedHeader(withWill);
    expect(readConnectWill(withWill.subarray(header?.headerLength))).toEqual({ topic: 'a/will', topicBytes: 6, qos: 1, payloadBytes: 3 });
    const plain = packet(0x10, Buffer.concat([utf8('MQTT'), Buffer.from([4, 0x02, 0, 60]), utf8('client-1')]));
    expect(readConnectWill(plain.subarray(2))).toBeUndefined();
  });
});

describe('PacketGate', () => {
  it('forwards allowed packets byte for byte, even when they arrive one byte at a time', async () => {
    const bytes = Buffer.concat([subscribe(['a/#', 'b/+']), publish('a/b', Buffer.from('hello'), 1), unsubscribe(['b/+'])]);
    const { forwarded, violations, gate } = await throughGate([...bytes].map((byte) => Buffer.from([byte])));
    expect(violations).toEqual([]);
    expect(forwarded.equals(bytes)).toBe(true);
    expect([...gate.subscriptions]).toEqual(['a/#']);
  });

  it('refuses a 5 MiB PUBLISH from its header, before the payload arrives, and forwards nothing after it', async () => {
    const huge = publish('a/b', 5 * 1024 * 1024);
    const head = huge.subarray(0, 16);
    const { forwarded, violations } = await throughGate([publish('a/ok', 1), head]);
    expect(violations).toEqual([{ packet: 'PUBLISH', rule: 'payload-too-large', reason: 'the payload is 5242880 bytes (at most 131072, 128 KB)', topic: 'a/b' }]);
    expect(forwarded.equals(publish('a/ok', 1))).toBe(true);
  });

  it('refuses a too long topic as soon as its length arrives', async () => {
    const { violations } = await throughGate([publish('x'.repeat(5000), 1).subarray(0, 5)]);
    expect(violations).toEqual([{ packet: 'PUBLISH', rule: 'topic-too-long', reason: 'the topic is 5000 bytes long (at most 256)' }]);
  });

  it('refuses an oversized control packet before buffering it, and malformed bytes', async () => {
    const big = Buffer.concat([Buffer.from([0x82]), remainingLength(MAX_CONTROL_PACKET_BYTES + 1)]);
    expect((await throughGate([big])).violations).toMatchObject([{ packet: 'SUBSCRIBE', rule: 'packet-too-large' }]);
    expect((await throughGate([Buffer.from([0x82, 3, 0, 1, 0])])).violations).toMatchObject([{ packet: 'packet', rule: 'malformed' }]);
  });

  it('counts the broker-held filters and forgets refused ones towards the 50 per connection', async () => {
    const held = Array.from({ length: 45 }, (_, i) => `held/${i}`);
    const gate = newGate(held);
    const five = Array.from({ length: 5 }, (_, i) => `mine/${i}`);
    await throughGate([subscribe(five)], gate);
    gate.instance.forget('mine/0');
    expect(gate.violations).toEqual([]);
    await throughGate([subscribe(['mine/5'])], gate);
    expect(gate.violations).toEqual([]);
    await throughGate([subscribe(['mine/6'])], gate);
    expect(gate.violations).toMatchObject([{ packet: 'SUBSCRIBE', rule: 'too-many-subscriptions' }]);
    expect(gate.instance.refused).toBe(true);
  });

  it('refuses a CONNECT whose will breaks a limit', async () => {
    expect((await throughGate([connectWithWill('a/will', 2)])).violations).toMatchObject([{ packet: 'CONNECT', rule: 'qos-2', topic: 'a/will' }]);
    expect((await throughGate([connectWithWill('a/will', 1)])).violations).toEqual([]);
  });
});

describe('ConnectThrottle', () => {
  it('accepts one CONNECT per second per client ID; refused attempts do not count', () => {
    let now = 10_000;
    const throttle = new ConnectThrottle(() => now);
    expect(throttle.tryConnect('a')).toBeUndefined();
    expect(throttle.tryConnect('b')).toBeUndefined();
    now += 400;
    expect(throttle.tryConnect('a')).toBe(600);
    now += 599;
    expect(throttle.tryConnect('a')).toBe(1);
    now += 1;
    expect(throttle.tryConnect('a')).toBeUndefined();
    now -= 5_000; // a clock moved back by a test starts a new window
    expect(throttle.tryConnect('a')).toBeUndefined();
  });
});

describe('isLoopbackHost', () => {
  it.each<[string | undefined, boolean]>([
    ['127.0.0.1:3000', true],
    ['localhost:3000', true],
    ['LocalHost:3000', true],
    ['[::1]:3000', true],
    ['evil.example', false],
    ['evil.example:3000', false],
    ['localhost', false],
    ['127.0.0.1:3001', false],
    ['localhost.:3000', false],
    [undefined, false],
  ])('%s → %s', (host, allowed) => {
    expect(isLoopbackHost(host, 3000)).toBe(allowed);
  });
});
