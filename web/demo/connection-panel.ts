/**
 * The "Connect" panel: connects with `connectMqtt`, tells what happens to the connection (connected,
 * lost, reconnected after how long and with which URL, an outage that lasts), counts the URLs the
 * API handed out, and drops or ends the connection on request.
 *
 * "URLs vended" counts every successful `GET /mqtt-url` answer the page received, through the `fetch`
 * it gives `connectMqtt`: the first vend, and one per reconnect whose URL was no longer usable (or,
 * with `prefetch`, ahead of time). So "Drop connection" adds one only when the URL held has expired,
 * and the status line says which URL the reconnect used.
 */
import { ClientIdConflictError, connectMqtt, VendingError, type FetchLike, type MqttConnection } from '../connect-mqtt.js';
import { clockTime, OutageWatch, outageText, reconnectedText, urlText } from './connection-watch.js';
import { describeGrants } from './grants.js';
import { showIdentity } from './identity-panel.js';
import { describeError, feeds, grantsPanel, log, setStatus, ui } from './page.js';
import { closeIsExplained, connectionRestored, forgetLastPublish, reportPublishRefusal, resetPubSub, showMessage } from './pubsub-panel.js';
import { isOidcSettings } from './settings.js';
import { demo, render, setState } from './state.js';

/** Whether the current connection has been connected before (a later `connect` is a reconnect). */
let connectedOnce = false;
/** When the current connection dropped, while it is down. */
let lostAt: number | undefined;
/** Turns a reconnect that does not come within a few seconds into an error the user sees. */
const outage = new OutageWatch((since) => {
  if (demo.connection !== undefined) reportOutage(demo.connection, since);
});

/**
 * The page's `fetch` for connectMqtt: counts the URLs vended so the page (and its tests) can show
 * them, and says so while a dropped connection waits for a new URL.
 */
const countingFetch: FetchLike = async (input, init) => {
  if (demo.connection !== undefined && lostAt !== undefined && !outage.reported) {
    setStatus(ui.connectionStatus, `Connection lost at ${clockTime(lostAt)}; the URL held is no longer usable, so the page asks the API for a new one…`, 'error');
  }
  const response = await fetch(input, init);
  if (response.ok) {
    demo.vended += 1;
    render();
  }
  return response;
};

/** Shows (or clears) the connection's client ID, topics, endpoint and grants. */
export function showConnectionDetails(current: MqttConnection | undefined): void {
  ui.clientId.textContent = current?.clientId ?? '–';
  ui.publishTopics.textContent = current ? current.topics.publish.join(', ') : '–';
  ui.subscribeTopics.textContent = current ? current.topics.subscribe.join(', ') : '–';
  ui.endpoint.textContent = current ? `${current.endpoint} (${current.region})` : '–';
  ui.currentUrl.textContent = urlText(current?.currentUrl);
  const claims = demo.session?.claims;
  // The grants hold the principal where the template says `${sub}`: the API's word for it first.
  const principal = current?.principalId ?? demo.principalId ?? claims?.sub;
  demo.grants = current && claims && principal !== undefined ? describeGrants(current.topics, { sub: principal, groups: claims.groups ?? [] }) : [];
  grantsPanel.show(current ? demo.grants : undefined);
}

/** The connection has not come back within the grace period: say so, and that retrying goes on. */
function reportOutage(current: MqttConnection, since: number): void {
  if (demo.connection !== current) return;
  const text = outageText(since, current.endpoint, demo.settings?.mode === 'local');
  setState('error');
  setStatus(ui.connectionStatus, text, 'error');
  log.add('error', text);
}

/** Vends a URL and connects; then follows the connection's events. */
export async function connect(): Promise<void> {
  const { session, settings } = demo;
  if (session === undefined || settings === undefined || demo.connection !== undefined) return;
  const suffix = ui.clientSuffix.value.trim();
  setState('vending');
  setStatus(ui.connectionStatus, 'Asking the API for a presigned URL…');
  let current: MqttConnection;
  try {
    current = await connectMqtt({
      apiUrl: settings.apiUrl,
      getToken: session.getToken,
      fetch: countingFetch,
      resume: ui.resume.checked,
      // Empty: connectMqtt's default, this tab's own suffix.
      ...(suffix === '' ? {} : { clientSuffix: suffix }),
    });
  } catch (error) {
    setState('error');
    setStatus(ui.connectionStatus, `Could not connect: ${describeError(error)}`, 'error');
    log.add('error', `Vending failed: ${describeError(error)}`);
    return;
  }
  demo.connection = current;
  if (isOidcSettings(settings)) showIdentity(session.claims.sub, current.principalId, 'api');
  else demo.principalId = current.principalId;
  connectedOnce = false;
  lostAt = undefined;
  resetPubSub();
  showConnectionDetails(current);
  setState('connecting');
  setStatus(ui.connectionStatus, 'Connecting…');
  outage.reset();
  follow(current);
}

function follow(current: MqttConnection): void {
  const { client } = current;
  const lost = (): void => {
    lostAt ??= Date.now();
    outage.lost();
  };
  client.on('connect', () => {
    if (demo.connection !== current) return;
    const droppedAt = lostAt;
    lostAt = undefined;
    connectionRestored();
    outage.reset();
    setState('connected');
    ui.currentUrl.textContent = urlText(current.currentUrl);
    const now = Date.now();
    const reconnect = connectedOnce && droppedAt !== undefined;
    const text = reconnect ? reconnectedText(current.clientId, current.currentUrl, droppedAt, now) : `Connected as ${current.clientId}`;
    connectedOnce = true;
    setStatus(ui.connectionStatus, text, 'ok');
    // The same figures, exact, for whoever measures the page (its tests do): how long the connection
    // was gone, and the round trip of the vend it waited for ('' when it needed none).
    const url = current.currentUrl;
    ui.connectionStatus.dataset['reconnectMs'] = reconnect ? String(now - droppedAt) : '';
    ui.connectionStatus.dataset['vendMs'] = reconnect && url !== undefined && url.vendedAt >= droppedAt ? String(url.vendDurationMs) : '';
    log.add('info', text);
  });
  client.on('reconnect', () => {
    // Once the outage is reported, its error stays up until a connection succeeds.
    if (demo.connection === current && !outage.reported) setState('reconnecting');
  });
  client.on('offline', () => {
    if (demo.connection !== current) return;
    // mqtt.js emits `offline` from its own `close` listener, before the page's: explain a refusal first.
    reportPublishRefusal();
    lost();
    if (outage.reported) return;
    setState('offline');
    setStatus(ui.connectionStatus, `Connection lost at ${clockTime(lostAt ?? Date.now())}; reconnecting…`, 'error');
    // A refusal the page explained (or a SUBSCRIBE's callback is about to) says the server closed it.
    if (!closeIsExplained()) log.add('info', 'Connection lost; reconnecting');
  });
  client.on('close', () => {
    if (demo.connection !== current) return;
    reportPublishRefusal();
    lost();
    if (demo.state === 'connected') setState('offline');
  });
  client.on('error', (error) => {
    if (demo.connection !== current) return;
    log.add('error', describeError(error));
    if (error instanceof VendingError && error.permanent) {
      // connectMqtt has stopped vending: a reconnect that needs a new URL cannot happen.
      setStatus(ui.connectionStatus, `The API refused a new URL (${error.code}); sign in again to keep connecting`, 'error');
    }
    if (error instanceof ClientIdConflictError) {
      setStatus(ui.connectionStatus, `Another tab or device connected as ${error.clientId} and AWS IoT closed this connection each time (${error.kicks} times in a row): this one stopped, the other stays connected. Leave the suffix empty to get one of this tab's own.`, 'error');
    }
  });
  client.on('end', () => {
    // connectMqtt ended the client itself: a permanent refusal left nothing to reconnect with.
    if (demo.connection !== current) return;
    outage.reset();
    setState('error');
  });
  client.on('message', (topic, payload) => {
    if (demo.connection !== current) return;
    showMessage(topic, payload, feeds);
  });
}

/** Ends the connection on request. */
export async function disconnect(): Promise<void> {
  const current = demo.connection;
  if (current === undefined) return;
  demo.connection = undefined;
  outage.reset();
  lostAt = undefined;
  await current.end();
  showConnectionDetails(undefined);
  // A clean session: the subscriptions ended with the connection.
  resetPubSub();
  setStatus(ui.subscribeStatus, '');
  setStatus(ui.publishStatus, '');
  setState(demo.session ? 'disconnected' : 'signed-out');
  setStatus(ui.connectionStatus, 'Disconnected');
  log.add('info', 'Disconnected');
}

/**
 * Drops the WebSocket as a network failure would: no MQTT DISCONNECT, and not because of the last
 * publish. The client reconnects with the URL it holds if that is still usable, else with a new one.
 * With Resume ticked, a second connection of the same user (its own client ID, as every connection
 * gets by default) publishes three QoS 1 messages into the user's namespace while this one is down:
 * the persistent session queues them, and they arrive right after the reconnect.
 */
export function dropConnection(): void {
  const current = demo.connection;
  if (current === undefined) return;
  forgetLastPublish();
  const url = current.currentUrl;
  let held = '';
  if (url !== undefined) {
    held = Date.now() < url.usableUntil
      ? ` (the URL held is usable until ${clockTime(url.usableUntil)}: the reconnect needs no vend)`
      : ` (the URL held was usable until ${clockTime(url.usableUntil)}: the reconnect needs a new one)`;
  }
  current.client.stream.destroy();
  log.add('info', `Dropped the connection${held}`);
  if (current.resume) void sendWhileAway(current);
}

/**
 * The topic `users/<principal>/missed` of the first private publish grant (`…/<principal>/*`), if
 * there is one.
 */
function missedTopic(current: MqttConnection): string | undefined {
  const grant = current.topics.publish.find((pattern) => pattern.endsWith(`/${current.principalId}/*`));
  return grant === undefined ? undefined : `${grant.slice(0, -1)}missed`;
}

async function sendWhileAway(current: MqttConnection): Promise<void> {
  const { session, settings } = demo;
  if (session === undefined || settings === undefined) return;
  const topic = missedTopic(current);
  if (topic === undefined) return;
  let sender: MqttConnection | undefined;
  try {
    sender = await connectMqtt({ apiUrl: settings.apiUrl, getToken: session.getToken, fetch: countingFetch, mqttOptions: { reconnectPeriod: 0 } });
    const { client } = sender;
    if (!client.connected) await new Promise((resolve, reject) => (client.once('connect', resolve), client.once('close', () => reject(new Error('the second connection closed')))));
    const sentAt = clockTime(Date.now());
    for (let n = 1; n <= 3; n++) await client.publishAsync(topic, `sent while you were away (${n}/3, ${sentAt})`, { qos: 1 });
    log.add('info', `A second connection (${sender.clientId}) published 3 messages to ${topic} while this one was down; subscribed to it at QoS 1, they arrive after the reconnect`);
  } catch (error) {
    log.add('error', `Could not publish while away: ${describeError(error)}`);
  } finally {
    await sender?.end();
  }
}
