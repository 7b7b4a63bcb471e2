/**
 * AWS IoT Core's published message-broker limits, each with its source, and pure checks that say
 * which limit a PUBLISH, a SUBSCRIBE or a topic filter breaks. No `node:` imports: the local
 * gateway enforces these, and the demo page uses the same checks to explain a refusal to the user.
 *
 * Sources (read December 2026):
 * - Quotas: https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits
 *   and https://docs.aws.amazon.com/general/latest/gr/iot-core.html#iot-protocol-limits
 * - Protocol: https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html#mqtt-differences
 * - Reserved topics: https://docs.aws.amazon.com/iot/latest/developerguide/reserved-topics.html
 * - Persistent sessions: https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html#mqtt-persistent-sessions
 *   and the AWS IoT Lens: https://docs.aws.amazon.com/wellarchitected/latest/iot-lens/workload-architecture.html
 *
 * Where AWS documents how it reacts, the gateway reacts the same way; where it does not, the gateway
 * picks the stricter reaction (closing the connection) and docs/local-stack-vs-aws.md says so.
 */

// AWS IoT's published limits live in a neutral module (the Lambda and the browser client use them
// too); re-exported here for the gateway's modules and the demo.
export {
  QUOTAS_URL,
  PROTOCOL_QUOTAS_URL,
  MQTT_DIFFERENCES_URL,
  RESERVED_TOPICS_URL,
  PERSISTENT_SESSIONS_URL,
  IOT_LENS_URL,
  MAX_PAYLOAD_BYTES,
  MAX_FILTERS_PER_SUBSCRIBE,
  MAX_SUBSCRIPTIONS_PER_CONNECTION,
  MAX_TOPIC_BYTES,
  MAX_TOPIC_SLASHES,
  MAX_QOS,
  CONNECTS_PER_SECOND_PER_CLIENT_ID,
  MAX_CONNECTION_DURATION_SECONDS,
  PERSISTENT_SESSION_EXPIRY_SECONDS,
  MAX_PERSISTENT_SESSION_EXPIRY_SECONDS,
  RESERVED_TOPIC_PREFIX,
} from '../lambda/iot-core-limits.js';
import { MAX_PAYLOAD_BYTES, MAX_FILTERS_PER_SUBSCRIBE, MAX_SUBSCRIPTIONS_PER_CONNECTION, MAX_TOPIC_BYTES, MAX_TOPIC_SLASHES, MAX_QOS, RESERVED_TOPIC_PREFIX } from '../lambda/iot-core-limits.js';

/**
 * Largest control packet other than PUBLISH the gateway reads (a PUBLISH is checked as its header
 * arrives, see `packet-gate.ts`). AWS IoT "rejects publish and connect requests larger than" 128 KB
 * (QUOTAS_URL); a CONNECT with the largest will, or a SUBSCRIBE with thousands of filters, stays far
 * below this, so a bigger packet is refused before it is buffered.
 */
export const MAX_CONTROL_PACKET_BYTES = MAX_PAYLOAD_BYTES + 2048;

/** Which limit an operation breaks. */
export type LimitRule =
  | 'qos-2'
  | 'reserved-topic'
  | 'topic-too-long'
  | 'too-many-levels'
  | 'payload-too-large'
  | 'too-many-filters'
  | 'too-many-subscriptions'
  | 'packet-too-large'
  | 'malformed';

/** A broken limit: which one, and a one-line reason for logs and users (no payload content). */
export interface LimitViolation {
  readonly rule: LimitRule;
  readonly reason: string;
  /** The topic or topic filter at fault, when one is. */
  readonly topic?: string | undefined;
}

const encoder = new TextEncoder();

function slashes(topic: string): number {
  let count = 0;
  for (const character of topic) if (character === '/') count++;
  return count;
}

/** The limits a topic name or filter shares (QoS, reserved prefix, length, levels). */
function topicViolation(kind: 'topic' | 'filter', topic: string, qos: number, topicBytes: number): LimitViolation | undefined {
  const at = (rule: LimitRule, reason: string): LimitViolation => ({ rule, reason, ...(topic === '' ? {} : { topic }) });
  if (qos > MAX_QOS) return at('qos-2', `QoS ${qos} is not supported (AWS IoT supports QoS 0 and 1)`);
  if (topic.startsWith(RESERVED_TOPIC_PREFIX)) return at('reserved-topic', `${kind}s starting with "$" are reserved for AWS IoT`);
  if (topicBytes > MAX_TOPIC_BYTES) return at('topic-too-long', `the ${kind} is ${topicBytes} bytes long (at most ${MAX_TOPIC_BYTES})`);
  const count = slashes(topic);
  if (count > MAX_TOPIC_SLASHES) return at('too-many-levels', `the ${kind} has ${count} slashes (at most ${MAX_TOPIC_SLASHES})`);
  return undefined;
}

/**
 * The limit a PUBLISH breaks, if any.
 * @param topic the topic name
 * @param payloadBytes the payload's size in bytes
 * @param qos the requested QoS (0, 1 or 2)
 * @param topicBytes the topic's UTF-8 length, when the caller already has it
 */
export function publishViolation(topic: string, payloadBytes: number, qos: number, topicBytes = encoder.encode(topic).length): LimitViolation | undefined {
  const violation = topicViolation('topic', topic, qos, topicBytes);
  if (violation !== undefined) return violation;
  if (payloadBytes > MAX_PAYLOAD_BYTES) {
    return { rule: 'payload-too-large', reason: `the payload is ${payloadBytes} bytes (at most ${MAX_PAYLOAD_BYTES}, 128 KB)`, topic };
  }
  return undefined;
}

/** The limit one topic filter of a SUBSCRIBE breaks, if any. */
export function filterViolation(filter: string, qos: number): LimitViolation | undefined {
  return topicViolation('filter', filter, qos, encoder.encode(filter).length);
}

/**
 * The limit a SUBSCRIBE breaks, if any: the number of filters in the packet, each filter, then the
 * connection's total once the new filters are added.
 * @param filters the packet's filters with their requested QoS
 * @param subscribed the filters the connection already holds (a filter subscribed again does not add one)
 */
export function subscribeViolation(
  filters: readonly { readonly filter: string; readonly qos: number }[],
  subscribed: ReadonlySet<string>,
): LimitViolation | undefined {
  if (filters.length > MAX_FILTERS_PER_SUBSCRIBE) {
    return { rule: 'too-many-filters', reason: `${filters.length} topic filters in one SUBSCRIBE (at most ${MAX_FILTERS_PER_SUBSCRIBE})` };
  }
  for (const { filter, qos } of filters) {
    const violation = filterViolation(filter, qos);
    if (violation !== undefined) return violation;
  }
  const total = new Set([...subscribed, ...filters.map(({ filter }) => filter)]).size;
  if (total > MAX_SUBSCRIPTIONS_PER_CONNECTION) {
    return { rule: 'too-many-subscriptions', reason: `${total} subscriptions on one connection (at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION})` };
  }
  return undefined;
}
