/**
 * A stream between a client's WebSocket and the broker that lets through only packets within AWS
 * IoT's message-broker limits (`broker-limits.ts`). Packets are forwarded byte for byte, whole; the
 * first one that breaks a limit is reported to `onViolation` and nothing more is forwarded (the
 * gateway then closes the connection), so the broker never sees it and no subscriber receives it.
 *
 * A PUBLISH is judged as soon as its topic has arrived (the payload size follows from the remaining
 * length), so a 5 MiB payload is refused without being buffered. Other control packets larger than
 * `MAX_CONTROL_PACKET_BYTES` are refused before they are buffered.
 *
 * The gate keeps the connection's subscriptions (SUBSCRIBE adds, UNSUBSCRIBE removes, a filter the
 * policy refuses is {@link PacketGate.forget | forgotten}) for the subscriptions-per-connection limit.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { MAX_CONTROL_PACKET_BYTES, MAX_TOPIC_BYTES, publishViolation, subscribeViolation, type LimitViolation } from './broker-limits.js';
import {
  MalformedPacketError,
  PacketType,
  publishQos,
  publishTopicLength,
  readConnectWill,
  readFixedHeader,
  readPublish,
  readSubscribe,
  readUnsubscribe,
  type FixedHeader,
} from './mqtt-frames.js';

/** A refused packet: the limit it broke (with the topic or filter at fault, when one is) and which packet. */
export interface GateViolation extends LimitViolation {
  readonly packet: 'CONNECT' | 'PUBLISH' | 'SUBSCRIBE' | 'packet';
}

/** Options of {@link PacketGate}. */
export interface PacketGateOptions {
  /** Called once, for the first packet that breaks a limit. Nothing is forwarded after it. */
  readonly onViolation: (violation: GateViolation) => void;
  /**
   * Filters the broker already holds for this client (a persistent session's restored ones), counted
   * with the gate's own for the subscriptions-per-connection limit.
   * @default - none
   */
  readonly brokerSubscriptions?: () => Iterable<string>;
}

const PACKET_NAMES: Readonly<Record<number, GateViolation['packet']>> = {
  [PacketType.CONNECT]: 'CONNECT',
  [PacketType.PUBLISH]: 'PUBLISH',
  [PacketType.SUBSCRIBE]: 'SUBSCRIBE',
};

/** The gate. Pipe the client's bytes in and the broker reads the output. */
export class PacketGate extends Transform {
  readonly #options: PacketGateOptions;
  readonly #subscriptions = new Set<string>();
  #buffered: Buffer = Buffer.alloc(0);
  /** Whether the PUBLISH at the head of the buffer passed its checks (its payload may still be arriving). */
  #headAdmitted = false;
  #refused = false;

  constructor(options: PacketGateOptions) {
    super();
    this.#options = options;
  }

  /** Whether a packet broke a limit (the gate forwards nothing any more). */
  get refused(): boolean {
    return this.#refused;
  }

  /** The filters this connection holds, as far as the gate knows. */
  get subscriptions(): ReadonlySet<string> {
    return this.#subscriptions;
  }

  /** Drops a filter the broker did not grant (SUBACK 0x80): it does not count as a subscription. */
  forget(filter: string): void {
    this.#subscriptions.delete(filter);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#refused) {
      callback();
      return;
    }
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    try {
      this.#drain();
    } catch (error) {
      if (!(error instanceof MalformedPacketError)) throw error;
      this.#refuse({ packet: 'packet', rule: 'malformed', reason: `malformed packet: ${error.message}` });
    }
    callback();
  }

  #drain(): void {
    while (!this.#refused) {
      const header = readFixedHeader(this.#buffered);
      if (header === undefined) return;
      const total = header.headerLength + header.remainingLength;
      if (header.type === PacketType.PUBLISH) {
        if (!this.#admitPublish(header)) return;
      } else if (header.remainingLength > MAX_CONTROL_PACKET_BYTES) {
        this.#refuse({
          packet: PACKET_NAMES[header.type] ?? 'packet',
          rule: 'packet-too-large',
          reason: `a ${header.remainingLength}-byte control packet (at most ${MAX_CONTROL_PACKET_BYTES})`,
        });
        return;
      }
      if (this.#buffered.length < total) return;
      const packet = this.#buffered.subarray(0, total);
      const violation = this.#inspect(header, packet.subarray(header.headerLength));
      if (violation !== undefined) {
        this.#refuse(violation);
        return;
      }
      this.#buffered = this.#buffered.subarray(total);
      this.#headAdmitted = false;
      this.push(packet);
    }
  }

  /**
   * Judges a PUBLISH from its variable header alone.
   * @returns whether it may be forwarded once complete (`false` also while its topic is still arriving)
   */
  #admitPublish(header: FixedHeader): boolean {
    if (this.#headAdmitted) return true;
    const body = this.#buffered.subarray(header.headerLength);
    const topicLength = publishTopicLength(body);
    if (topicLength === undefined) return false;
    const qos = publishQos(header.flags);
    // A too long topic is refused before it is buffered (its text is not needed to say so).
    const early = topicLength > MAX_TOPIC_BYTES ? publishViolation('', 0, qos, topicLength) : undefined;
    if (early !== undefined) {
      this.#refuse({ ...early, packet: 'PUBLISH' });
      return false;
    }
    if (body.length < 2 + topicLength) return false;
    const summary = readPublish(header.flags, header.remainingLength, body);
    const violation = publishViolation(summary.topic, summary.payloadBytes, summary.qos, summary.topicBytes);
    if (violation !== undefined) {
      this.#refuse({ ...violation, packet: 'PUBLISH' });
      return false;
    }
    this.#headAdmitted = true;
    return true;
  }

  /** Checks a whole packet other than PUBLISH (already judged) and keeps the subscription count. */
  #inspect(header: FixedHeader, body: Buffer): GateViolation | undefined {
    switch (header.type) {
      case PacketType.CONNECT: {
        const will = readConnectWill(body);
        const violation = will === undefined ? undefined : publishViolation(will.topic, will.payloadBytes, will.qos, will.topicBytes);
        return violation === undefined ? undefined : { ...violation, packet: 'CONNECT', reason: `will message: ${violation.reason}` };
      }
      case PacketType.SUBSCRIBE: {
        const filters = readSubscribe(body);
        const held = new Set([...this.#subscriptions, ...(this.#options.brokerSubscriptions?.() ?? [])]);
        const violation = subscribeViolation(filters, held);
        if (violation !== undefined) return { ...violation, packet: 'SUBSCRIBE' };
        for (const { filter } of filters) this.#subscriptions.add(filter);
        return undefined;
      }
      case PacketType.UNSUBSCRIBE:
        for (const filter of readUnsubscribe(body)) this.#subscriptions.delete(filter);
        return undefined;
      default:
        return undefined;
    }
  }

  #refuse(violation: GateViolation): void {
    if (this.#refused) return;
    this.#refused = true;
    this.#buffered = Buffer.alloc(0);
    this.#options.onViolation(violation);
  }
}
