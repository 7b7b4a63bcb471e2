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

/** The AWS IoT Core quotas page, message broker section. */
export const QUOTAS_URL = 'https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits';
/** The AWS IoT Core quotas page, protocol section. */
export const PROTOCOL_QUOTAS_URL = 'https://docs.aws.amazon.com/general/latest/gr/iot-core.html#iot-protocol-limits';
/** AWS IoT's differences from the MQTT specifications. */
export const MQTT_DIFFERENCES_URL = 'https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html#mqtt-differences';
/** AWS IoT's reserved topics. */
export const RESERVED_TOPICS_URL = 'https://docs.aws.amazon.com/iot/latest/developerguide/reserved-topics.html';
/** AWS IoT's MQTT persistent sessions (MQTT guide). */
export const PERSISTENT_SESSIONS_URL = 'https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html#mqtt-persistent-sessions';
/** The AWS IoT Lens of the Well-Architected Framework, the one AWS page that gives the expiry period's range. */
export const IOT_LENS_URL = 'https://docs.aws.amazon.com/wellarchitected/latest/iot-lens/workload-architecture.html';

/**
 * "Message size: the payload for every publish request can be no larger than 128 KB. AWS IoT Core
 * rejects publish and connect requests larger than this size." (QUOTAS_URL). Read as 128 KiB.
 * Reaction on MQTT 3.1.1 (no negative PUBACK): the connection is closed.
 */
export const MAX_PAYLOAD_BYTES = 128 * 1024;

/**
 * "Maximum subscriptions per subscribe request: a single SUBSCRIBE request has a quota of 8
 * subscriptions." (QUOTAS_URL). Reaction undocumented; the gateway closes the connection, SUBACK-less.
 */
export const MAX_FILTERS_PER_SUBSCRIBE = 8;

/**
 * "Subscriptions per connection: 50" (adjustable; QUOTAS_URL): requests beyond it "might be rejected
 * and the connection could be closed". The gateway closes the connection (the stricter reading).
 */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 50;

/**
 * "Topic size: the topic passed to the message broker when publishing a message can't exceed 256
 * bytes of UTF-8 encoded characters." (QUOTAS_URL). The gateway applies it to topic filters too.
 */
export const MAX_TOPIC_BYTES = 256;

/**
 * "Maximum number of slashes in topic and topic filter: a topic in a publish or subscribe request
 * can have no more than 7 forward slashes (/)" (QUOTAS_URL; the `$aws/rules/<rule>/` Basic Ingest
 * prefix is exempt, and moot here: every `$` topic is refused below).
 */
export const MAX_TOPIC_SLASHES = 7;

/**
 * "AWS IoT supports MQTT QoS levels 0 and 1 only ... When QoS level 2 is requested, the message
 * broker doesn't send a PUBACK or SUBACK." (MQTT_DIFFERENCES_URL). The gateway sends neither and
 * closes the connection, so nothing is delivered (what happens to the message is undocumented).
 */
export const MAX_QOS = 1;

/**
 * "Connect requests per second per client ID: AWS IoT Core restricts MQTT CONNECT requests from the
 * same accountId and clientId to 1 MQTT CONNECT operation per second." (QUOTAS_URL; not adjustable).
 * Reaction undocumented; the gateway answers CONNACK 3 (server unavailable) and keeps the older
 * connection with that client ID.
 */
export const CONNECTS_PER_SECOND_PER_CLIENT_ID = 1;

/**
 * AWS IoT closes MQTT-over-WebSocket connections after 24 hours (PROTOCOL_QUOTAS_URL; confirmed by an
 * AWS maintainer: https://github.com/aws/aws-iot-device-sdk-python-v2/issues/283).
 */
export const MAX_CONNECTION_DURATION_SECONDS = 24 * 60 * 60;

/**
 * "Persistent session expiry period: The duration for which the message broker stores an MQTT
 * persistent session. The expiry period begins when the message broker detects the session has become
 * disconnected. After the expiry period has elapsed, the message broker terminates the session and
 * discards any associated queued messages." Default 1 hour, adjustable (QUOTAS_URL). "By default, a
 * persistent session expires one hour after the message broker detects that a client has
 * disconnected", and "when a client reconnects after the session has expired with a `cleanSession`
 * flag to `0`, the service creates a new persistent session. Any subscriptions or messages from the
 * previous session are not available to this session" (PERSISTENT_SESSIONS_URL): CONNACK session
 * present 0. "The session expiration time is approximate and a session could persist for up to 30
 * minutes longer than the account limit; however, a session will not be shorter than the account
 * limit" (PERSISTENT_SESSIONS_URL): the gateway expires it at the period exactly, the earliest AWS may.
 *
 * What a session holds: "When the client disconnects, the message broker stores unacknowledged QoS 1
 * messages and new QoS 1 messages published to topics to which the client is subscribed"; only
 * messages "published with a QOS = 1 and subscribed to with a QOS =1 while the device was
 * disconnected are sent after the device reconnects" (PERSISTENT_SESSIONS_URL). aedes queues exactly
 * those (a QoS 0 publish, or a QoS 0 subscription, queues nothing).
 *
 * Not enforced locally: "Messages are stored according to account limit. Messages that exceed the
 * limit will be dropped", and "all stored messages are sent to the client at a maximum rate of 10
 * messages per second", so "it will take several seconds to deliver all stored messages if a session
 * has more than 10 stored messages to deliver" (PERSISTENT_SESSIONS_URL; the account limit is the
 * "Queued messages per second per account" quota on QUOTAS_URL). The gateway queues without a limit
 * and replays the whole queue at once.
 */
export const PERSISTENT_SESSION_EXPIRY_SECONDS = 60 * 60;

/**
 * "Persistent session expiry period what can be adjusted between 1 hour and 7 days" (sic, IOT_LENS_URL):
 * the longest `persistentSessionExpirySeconds` the gateway accepts. It accepts shorter periods than
 * AWS's 1 hour (down to fractions of a second) so that tests need not wait.
 */
export const MAX_PERSISTENT_SESSION_EXPIRY_SECONDS = 7 * 24 * 60 * 60;

/**
 * "Topics that begin with a dollar sign ($) are reserved for use by AWS IoT ... Unsupported publish
 * or subscribe operations to reserved topics can result in a terminated connection."
 * (RESERVED_TOPICS_URL). The local stack emulates none of the services behind them (shadows, jobs,
 * rules, events), so every `$` topic and filter closes the connection.
 */
export const RESERVED_TOPIC_PREFIX = '$';

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
