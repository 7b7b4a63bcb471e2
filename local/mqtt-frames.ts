/**
 * Just enough of MQTT 3.1.1's wire format (https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html,
 * section 2 and 3) to see, before the broker does, what a client asks for: where each packet ends
 * (fixed header, remaining length), and the topic, QoS and payload size of a PUBLISH, the filters of
 * a SUBSCRIBE or UNSUBSCRIBE and the will of a CONNECT. Pure byte reading; malformed input throws
 * {@link MalformedPacketError}.
 */

/** MQTT control packet types (the high nibble of the first byte). */
export const PacketType = { CONNECT: 1, PUBLISH: 3, SUBSCRIBE: 8, UNSUBSCRIBE: 10 } as const;

/** The bytes do not form a valid MQTT 3.1.1 packet. */
export class MalformedPacketError extends Error {
  override readonly name = 'MalformedPacketError';
}

/** A packet's fixed header. */
export interface FixedHeader {
  /** The packet type (1 CONNECT, 3 PUBLISH, 8 SUBSCRIBE, …). */
  readonly type: number;
  /** The low nibble of the first byte (for PUBLISH: DUP, QoS, RETAIN). */
  readonly flags: number;
  /** Length of the variable header plus payload. */
  readonly remainingLength: number;
  /** Length of the fixed header itself (2 to 5 bytes). */
  readonly headerLength: number;
}

/**
 * Reads the fixed header at the start of `bytes`.
 * @returns the header, or `undefined` when more bytes are needed
 * @throws MalformedPacketError when the remaining length takes more than four bytes
 */
export function readFixedHeader(bytes: Uint8Array): FixedHeader | undefined {
  const first = bytes[0];
  if (first === undefined) return undefined;
  let remainingLength = 0;
  for (let index = 1; index <= 4; index++) {
    const byte = bytes[index];
    if (byte === undefined) return undefined;
    remainingLength += (byte & 0x7f) * 128 ** (index - 1);
    if ((byte & 0x80) === 0) return { type: first >> 4, flags: first & 0x0f, remainingLength, headerLength: index + 1 };
  }
  throw new MalformedPacketError('the remaining length takes more than four bytes');
}

/** The QoS bits of a PUBLISH's flags. */
export function publishQos(flags: number): number {
  return (flags >> 1) & 0x03;
}

/** Reads a two-byte big-endian length at `offset`, or throws when it is not there. */
function uint16(bytes: Uint8Array, offset: number): number {
  const high = bytes[offset];
  const low = bytes[offset + 1];
  if (high === undefined || low === undefined) throw new MalformedPacketError('the packet ends inside a length field');
  return (high << 8) | low;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Reads a length-prefixed UTF-8 string at `offset`; returns it, its byte length and the next offset. */
function utf8String(bytes: Uint8Array, offset: number): { readonly text: string; readonly byteLength: number; readonly next: number } {
  const byteLength = uint16(bytes, offset);
  const start = offset + 2;
  if (start + byteLength > bytes.length) throw new MalformedPacketError('a string runs past the end of the packet');
  let text: string;
  try {
    text = decoder.decode(bytes.subarray(start, start + byteLength));
  } catch {
    throw new MalformedPacketError('a string is not valid UTF-8');
  }
  return { text, byteLength, next: start + byteLength };
}

/** What the gateway needs of a PUBLISH. */
export interface PublishSummary {
  readonly topic: string;
  readonly topicBytes: number;
  readonly qos: number;
  readonly payloadBytes: number;
}

/**
 * The two-byte topic length at the start of a PUBLISH's variable header, or `undefined` when those
 * bytes have not arrived yet. Lets a too long topic be refused before it is buffered.
 */
export function publishTopicLength(body: Uint8Array): number | undefined {
  return body.length < 2 ? undefined : uint16(body, 0);
}

/**
 * Reads a PUBLISH's topic and works out its payload size from the remaining length, so it needs
 * only the start of the packet (`head`: the variable header, the payload may still be on its way).
 * @param flags the fixed header's flags
 * @param remainingLength the fixed header's remaining length
 * @param head at least the topic's bytes (see {@link publishTopicLength})
 */
export function readPublish(flags: number, remainingLength: number, head: Uint8Array): PublishSummary {
  const qos = publishQos(flags);
  const { text, byteLength } = utf8String(head, 0);
  const payloadBytes = remainingLength - 2 - byteLength - (qos > 0 ? 2 : 0);
  if (payloadBytes < 0) throw new MalformedPacketError('the PUBLISH is shorter than its topic');
  return { topic: text, topicBytes: byteLength, qos, payloadBytes };
}

/** Reads a SUBSCRIBE's filters and their requested QoS. */
export function readSubscribe(body: Uint8Array): { readonly filter: string; readonly qos: number }[] {
  const filters: { filter: string; qos: number }[] = [];
  let offset = 2; // packet identifier
  while (offset < body.length) {
    const { text, next } = utf8String(body, offset);
    const options = body[next];
    if (options === undefined) throw new MalformedPacketError('a SUBSCRIBE filter has no requested QoS');
    filters.push({ filter: text, qos: options & 0x03 });
    offset = next + 1;
  }
  if (filters.length === 0) throw new MalformedPacketError('a SUBSCRIBE must carry at least one filter');
  return filters;
}

/** Reads an UNSUBSCRIBE's filters. */
export function readUnsubscribe(body: Uint8Array): string[] {
  const filters: string[] = [];
  let offset = 2; // packet identifier
  while (offset < body.length) {
    const { text, next } = utf8String(body, offset);
    filters.push(text);
    offset = next;
  }
  return filters;
}

/**
 * Reads the will of an MQTT 3.1 or 3.1.1 CONNECT.
 * @returns the will as a PUBLISH would be, `undefined` without a will or for another protocol
 *   version (the broker answers those itself)
 */
export function readConnectWill(body: Uint8Array): PublishSummary | undefined {
  const protocol = utf8String(body, 0);
  const level = body[protocol.next];
  const flags = body[protocol.next + 1];
  if (level === undefined || flags === undefined) throw new MalformedPacketError('the CONNECT ends inside its variable header');
  if (level !== 3 && level !== 4) return undefined;
  if ((flags & 0x04) === 0) return undefined;
  const clientId = utf8String(body, protocol.next + 4); // level, flags, keep alive (2)
  const topic = utf8String(body, clientId.next);
  const payloadBytes = uint16(body, topic.next);
  if (topic.next + 2 + payloadBytes > body.length) throw new MalformedPacketError('the will message runs past the end of the CONNECT');
  return { topic: topic.text, topicBytes: topic.byteLength, qos: (flags >> 3) & 0x03, payloadBytes };
}
