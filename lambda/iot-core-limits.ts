/**
 * AWS IoT Core's published limits, each with its source: facts that the vending Lambda (topic
 * templates), the browser client (one CONNECT per second per client ID), `verify` and the local
 * gateway (which enforces them, `local/broker-limits.ts`) all rely on, so they live in one neutral
 * module that ships with the package. Where a comment says how "the gateway" reacts, it is the local
 * stack's choice where AWS documents no reaction (docs/local-stack-vs-aws.md).
 *
 * Sources (read December 2026):
 * - Quotas: https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits
 *   and https://docs.aws.amazon.com/general/latest/gr/iot-core.html#iot-protocol-limits
 * - Protocol: https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html#mqtt-differences
 * - Reserved topics: https://docs.aws.amazon.com/iot/latest/developerguide/reserved-topics.html
 * - Persistent sessions: https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html#mqtt-persistent-sessions
 *   and the AWS IoT Lens: https://docs.aws.amazon.com/wellarchitected/latest/iot-lens/workload-architecture.html
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
