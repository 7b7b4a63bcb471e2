/**
 * Subscribe and publish, and what the page remembers to explain a closed connection: AWS IoT answers
 * a PUBLISH it does not allow, and a SUBSCRIBE beyond its limits, by closing the connection (MQTT
 * 3.1.1 has no reason codes for them), so the page keeps the last PUBLISH and the SUBSCRIBEs in flight.
 */
import { isReadOnlyFeed } from './grants.js';
import { log, setStatus, ui } from './page.js';
import { publishRefusalReason, publishRefusalText, subscribeRefusalText, type SentPublish } from './refusals.js';
import { demo } from './state.js';

/**
 * How soon after a PUBLISH a closed connection counts as its refusal. AWS IoT answers a PUBLISH it
 * does not allow by closing the connection (MQTT 3.1.1 has no negative PUBACK), within milliseconds.
 */
const PUBLISH_REFUSAL_WINDOW_MS = 2000;

/** The last PUBLISH sent, to explain a close that follows it at once. */
let lastPublish: (SentPublish & { readonly at: number }) | undefined;
/** The filters the current connection holds (granted), for the per-connection limit's explanation. */
const subscribed = new Set<string>();
/** SUBSCRIBEs awaiting their answer: a close meanwhile is explained by their callback. */
let pendingSubscribes = 0;
/** Whether the page just explained a refusal that closed the connection (no second "lost" line). */
let refusalReported = false;

/** Whether a refusal explains the latest close, or a SUBSCRIBE's callback is about to. */
export function closeIsExplained(): boolean {
  return refusalReported || pendingSubscribes > 0;
}

/** The connection is back: a later close needs its own explanation. */
export function connectionRestored(): void {
  refusalReported = false;
}

/** Forgets everything about the previous connection (a new connection, a disconnect, a sign-out). */
export function resetPubSub(): void {
  lastPublish = undefined;
  pendingSubscribes = 0;
  refusalReported = false;
  subscribed.clear();
}

/** The connection is being dropped on purpose: the close is not the last publish's refusal. */
export function forgetLastPublish(): void {
  lastPublish = undefined;
}

/** Explains a connection that AWS IoT closed right after a PUBLISH: that is how it refuses one. */
export function reportPublishRefusal(): void {
  const recent = lastPublish;
  lastPublish = undefined;
  if (recent === undefined || Date.now() - recent.at > PUBLISH_REFUSAL_WINDOW_MS) return;
  // A publish within the limits and the grants was not what closed the connection.
  const reason = publishRefusalReason(recent, demo.grants, false);
  if (reason === undefined) return;
  const text = publishRefusalText(recent.topic, reason);
  refusalReported = true;
  setStatus(ui.publishStatus, text, 'error');
  log.add('error', text);
}

/** Whether mqtt.js's subscribe error is a SUBACK refusal (0x80) rather than a closed connection. */
function refusedBySuback(error: Error): boolean {
  const granted = (error as { packet?: { granted?: unknown } }).packet?.granted;
  return Array.isArray(granted) && granted.some((code) => typeof code === 'number' && (code & 0x80) !== 0);
}

/** Subscribes to the filter in the form, and says what the server answered. */
export function subscribe(): void {
  const filter = ui.subscribeTopic.value.trim();
  const current = demo.connection;
  if (current === undefined || filter === '') return;
  const held = new Set(subscribed);
  setStatus(ui.subscribeStatus, `Subscribing to ${filter}…`);
  pendingSubscribes += 1;
  // With resume, QoS 1: only QoS 1 subscriptions have messages queued while the connection is away.
  current.client.subscribe(filter, { qos: current.resume ? 1 : 0 }, (error) => {
    pendingSubscribes = Math.max(0, pendingSubscribes - 1);
    if (demo.connection !== current) return;
    if (!error) {
      subscribed.add(filter);
      setStatus(ui.subscribeStatus, `Subscribed to ${filter}`, 'ok');
      log.add('info', `Subscribed to ${filter}`);
      return;
    }
    const bySuback = refusedBySuback(error);
    if (!bySuback) {
      // mqtt.js would send a SUBSCRIBE that closed the connection again on every reconnect.
      current.client.unsubscribe(filter);
      refusalReported = true;
    }
    const text = subscribeRefusalText(filter, bySuback ? 'suback' : 'disconnect', demo.grants, held);
    setStatus(ui.subscribeStatus, text, 'error');
    log.add('error', text);
  });
}

/** Publishes the form's message (QoS 0, retained if ticked). */
export function publish(): void {
  const topic = ui.publishTopic.value.trim();
  const message = ui.publishMessage.value;
  const retain = ui.publishRetain.checked;
  const current = demo.connection;
  if (current === undefined || topic === '') return;
  lastPublish = { topic, payloadBytes: new TextEncoder().encode(message).length, qos: 0, retain, at: Date.now() };
  // QoS 0: AWS IoT disconnects a client that publishes where it may not, and a QoS 1 message
  // would be re-sent (and refused) on every reconnect.
  current.client.publish(topic, message, { qos: 0, retain }, (error) => {
    if (error) {
      setStatus(ui.publishStatus, `Publish to ${topic} failed: ${error.message}`, 'error');
      log.add('error', `Publish to ${topic} failed: ${error.message}`);
    } else {
      setStatus(ui.publishStatus, `Sent to ${topic}${retain ? ' (retained)' : ''}`);
      log.add('sent', message, topic);
    }
  });
  ui.publishMessage.value = '';
}

/** Shows an incoming message: in the feeds panel for a read-only feed, else in the log. */
export function showMessage(topic: string, payload: Uint8Array, feeds: { update(topic: string, text: string): void }): void {
  const text = new TextDecoder().decode(payload);
  if (isReadOnlyFeed(demo.grants, topic)) feeds.update(topic, text);
  else log.add('received', text, topic);
}
