/**
 * The demo page: sign in with Cognito (or the local stack's stand-in), vend a URL and connect with
 * `connectMqtt`, see the grants by kind (private namespace, group rooms, shared, read-only feeds),
 * subscribe, publish and watch the log and the feeds. Bundled by esbuild to `/app.js`.
 * Everything that comes from the network is rendered with `textContent`.
 */
import { connectMqtt, VendingError, type FetchLike, type MqttConnection } from '../connect-mqtt.js';
import { isValidClientSuffix } from '../vend-mqtt-url.js';
import { CognitoAuthError, CognitoSession } from './cognito-session.js';
import { FeedPanel } from './feed-panel.js';
import { clockTime, OutageWatch, outageText, reconnectedText } from './connection-watch.js';
import { describeGrants, isReadOnlyFeed, type GrantView } from './grants.js';
import { GrantsPanel } from './grants-panel.js';
import { MessageLog } from './message-log.js';
import { publishRefusalReason, publishRefusalText, subscribeRefusalText, type SentPublish } from './refusals.js';
import {
  deployedSettings,
  forgetDeployedOutputs,
  resolveSettings,
  saveDeployedOutputs,
  takeProposedOutputs,
  type DemoSettings,
  type DeployedOutputs,
} from './settings.js';

/** Looks an element up by id and checks its type, so a renamed id fails loudly at start-up. */
function element<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`The demo page lacks #${id}`);
  return found;
}

const ui = {
  modeBanner: element('mode-banner', HTMLParagraphElement),
  signInForm: element('sign-in-form', HTMLFormElement),
  username: element('username', HTMLInputElement),
  password: element('password', HTMLInputElement),
  passwordHint: element('password-hint', HTMLParagraphElement),
  signInButton: element('sign-in-button', HTMLButtonElement),
  signOutButton: element('sign-out-button', HTMLButtonElement),
  authStatus: element('auth-status', HTMLParagraphElement),
  connectForm: element('connect-form', HTMLFormElement),
  clientSuffix: element('client-suffix', HTMLInputElement),
  connectButton: element('connect-button', HTMLButtonElement),
  disconnectButton: element('disconnect-button', HTMLButtonElement),
  forceDisconnectButton: element('force-disconnect-button', HTMLButtonElement),
  connectionState: element('connection-state', HTMLElement),
  clientId: element('client-id', HTMLElement),
  publishTopics: element('publish-topics', HTMLElement),
  subscribeTopics: element('subscribe-topics', HTMLElement),
  endpoint: element('endpoint', HTMLElement),
  vendCount: element('vend-count', HTMLElement),
  connectionStatus: element('connection-status', HTMLParagraphElement),
  subscribeForm: element('subscribe-form', HTMLFormElement),
  subscribeTopic: element('subscribe-topic', HTMLInputElement),
  subscribeButton: element('subscribe-button', HTMLButtonElement),
  subscribeStatus: element('subscribe-status', HTMLParagraphElement),
  publishForm: element('publish-form', HTMLFormElement),
  publishTopic: element('publish-topic', HTMLInputElement),
  publishMessage: element('publish-message', HTMLInputElement),
  publishButton: element('publish-button', HTMLButtonElement),
  publishRetain: element('publish-retain', HTMLInputElement),
  publishStatus: element('publish-status', HTMLParagraphElement),
  clearLogButton: element('clear-log-button', HTMLButtonElement),
  settings: element('settings', HTMLDetailsElement),
  settingsForm: element('settings-form', HTMLFormElement),
  settingsProposal: element('settings-proposal', HTMLDivElement),
  settingsProposalApiHost: element('settings-proposal-api-host', HTMLElement),
  settingsProposalCognitoHost: element('settings-proposal-cognito-host', HTMLElement),
  settingsApiUrl: element('settings-api-url', HTMLInputElement),
  settingsClientId: element('settings-client-id', HTMLInputElement),
  settingsRegion: element('settings-region', HTMLInputElement),
  settingsLocalButton: element('settings-local-button', HTMLButtonElement),
  settingsStatus: element('settings-status', HTMLParagraphElement),
};

const log = new MessageLog(element('message-log', HTMLOListElement));
const feeds = new FeedPanel(element('feed', HTMLUListElement), element('feed-empty', HTMLParagraphElement));
const grantsPanel = new GrantsPanel(element('grant-list', HTMLDivElement), {
  subscribe: (filter) => {
    ui.subscribeTopic.value = filter;
    subscribe();
  },
  usePublishTopic: (topic) => {
    ui.publishTopic.value = topic;
    ui.publishMessage.focus();
  },
});

/**
 * How soon after a PUBLISH a closed connection counts as its refusal. AWS IoT answers a PUBLISH it
 * does not allow by closing the connection (MQTT 3.1.1 has no negative PUBACK), within milliseconds.
 */
const PUBLISH_REFUSAL_WINDOW_MS = 2000;

type ConnectionState = 'signed-out' | 'disconnected' | 'vending' | 'connecting' | 'connected' | 'offline' | 'reconnecting' | 'error';

let settings: DemoSettings | undefined;
/** Outputs a link proposed, pre-filled in the settings form until the user confirms or leaves. */
let proposal: DeployedOutputs | undefined;
let session: CognitoSession | undefined;
let connection: MqttConnection | undefined;
let state: ConnectionState = 'signed-out';
let vended = 0;
/** The current connection's grants, by kind. */
let grants: GrantView[] = [];
/** The last PUBLISH sent, to explain a close that follows it at once. */
let lastPublish: (SentPublish & { readonly at: number }) | undefined;
/** The filters the current connection holds (granted), for the per-connection limit's explanation. */
const subscribed = new Set<string>();
/** Whether the current connection has been connected before (a later `connect` is a reconnect). */
let connectedOnce = false;
/** When the current connection dropped, while it is down. */
let lostAt: number | undefined;
/** Whether the page just explained a refusal that closed the connection (no second "lost" line). */
let refusalReported = false;
/** SUBSCRIBEs awaiting their answer: a close meanwhile is explained by their callback. */
let pendingSubscribes = 0;
/** Turns a reconnect that does not come within a few seconds into an error the user sees. */
const outage = new OutageWatch((since) => {
  if (connection !== undefined) reportOutage(connection, since);
});

function setStatus(target: HTMLElement, text: string, tone: 'ok' | 'error' | 'info' = 'info'): void {
  target.textContent = text;
  target.dataset['tone'] = tone;
}

function describeError(error: unknown): string {
  if (error instanceof VendingError) {
    const detail = error.status === 0 ? '' : ` (HTTP ${error.status}${error.apiCode === undefined ? '' : `, ${error.apiCode}`})`;
    return `${error.code}${detail}: ${error.message}`;
  }
  if (error instanceof CognitoAuthError) return `${error.type}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

function render(): void {
  const signedIn = session !== undefined;
  const connected = state === 'connected';
  ui.connectionState.dataset['state'] = state;
  ui.connectionState.textContent = state.replace('-', ' ');
  ui.signInButton.disabled = settings === undefined;
  ui.signOutButton.disabled = !signedIn;
  ui.connectButton.disabled = !signedIn || connection !== undefined || state === 'vending';
  ui.disconnectButton.disabled = connection === undefined;
  ui.forceDisconnectButton.disabled = !connected;
  ui.subscribeButton.disabled = !connected;
  ui.publishButton.disabled = !connected;
  grantsPanel.setEnabled(connected);
  ui.vendCount.textContent = String(vended);
}

function setState(next: ConnectionState): void {
  state = next;
  render();
}

/** The page's `fetch` for connectMqtt: counts vended URLs so the page (and its tests) can show them. */
const countingFetch: FetchLike = async (input, init) => {
  const response = await fetch(input, init);
  if (response.ok) {
    vended += 1;
    render();
  }
  return response;
};

function showConnectionDetails(current: MqttConnection | undefined): void {
  ui.clientId.textContent = current?.clientId ?? '–';
  ui.publishTopics.textContent = current ? current.topics.publish.join(', ') : '–';
  ui.subscribeTopics.textContent = current ? current.topics.subscribe.join(', ') : '–';
  ui.endpoint.textContent = current ? `${current.endpoint} (${current.region})` : '–';
  const claims = session?.claims;
  grants = current && claims ? describeGrants(current.topics, { sub: claims.sub, groups: claims.groups ?? [] }) : [];
  grantsPanel.show(current ? grants : undefined);
}

/** Explains a connection that AWS IoT closed right after a PUBLISH: that is how it refuses one. */
function reportPublishRefusal(): void {
  const recent = lastPublish;
  lastPublish = undefined;
  if (recent === undefined || Date.now() - recent.at > PUBLISH_REFUSAL_WINDOW_MS) return;
  // A publish within the limits and the grants was not what closed the connection.
  const reason = publishRefusalReason(recent, grants, false);
  if (reason === undefined) return;
  const text = publishRefusalText(recent.topic, reason);
  refusalReported = true;
  setStatus(ui.publishStatus, text, 'error');
  log.add('error', text);
}

/** The connection has not come back within the grace period: say so, and that retrying goes on. */
function reportOutage(current: MqttConnection, since: number): void {
  if (connection !== current) return;
  const text = outageText(since, current.endpoint, settings?.mode === 'local');
  setState('error');
  setStatus(ui.connectionStatus, text, 'error');
  log.add('error', text);
}

async function connect(): Promise<void> {
  if (session === undefined || settings === undefined || connection !== undefined) return;
  const suffix = ui.clientSuffix.value.trim();
  setState('vending');
  setStatus(ui.connectionStatus, 'Asking the API for a presigned URL…');
  let current: MqttConnection;
  try {
    current = await connectMqtt({
      apiUrl: settings.apiUrl,
      getToken: session.getToken,
      fetch: countingFetch,
      ...(suffix === '' ? {} : { clientSuffix: suffix }),
    });
  } catch (error) {
    setState('error');
    setStatus(ui.connectionStatus, `Could not connect: ${describeError(error)}`, 'error');
    log.add('error', `Vending failed: ${describeError(error)}`);
    return;
  }
  connection = current;
  connectedOnce = false;
  lostAt = undefined;
  pendingSubscribes = 0;
  subscribed.clear();
  showConnectionDetails(current);
  setState('connecting');
  setStatus(ui.connectionStatus, 'Connecting…');
  outage.reset();
  const { client } = current;
  const lost = (): void => {
    lostAt ??= Date.now();
    outage.lost();
  };
  client.on('connect', () => {
    if (connection !== current) return;
    const droppedAt = lostAt;
    lostAt = undefined;
    refusalReported = false;
    outage.reset();
    setState('connected');
    const text = connectedOnce && droppedAt !== undefined ? reconnectedText(current.clientId, current.currentUrl, droppedAt) : `Connected as ${current.clientId}`;
    connectedOnce = true;
    setStatus(ui.connectionStatus, text, 'ok');
    log.add('info', text);
  });
  client.on('reconnect', () => {
    // Once the outage is reported, its error stays up until a connection succeeds.
    if (connection === current && !outage.reported) setState('reconnecting');
  });
  client.on('offline', () => {
    if (connection !== current) return;
    // mqtt.js emits `offline` from its own `close` listener, before the page's: explain a refusal first.
    reportPublishRefusal();
    lost();
    if (outage.reported) return;
    setState('offline');
    setStatus(ui.connectionStatus, `Connection lost at ${clockTime(lostAt ?? Date.now())}; reconnecting (mqtt.js retries every second)…`, 'error');
    // A refusal the page explained (or a SUBSCRIBE's callback is about to) says the server closed it.
    if (!refusalReported && pendingSubscribes === 0) log.add('info', 'Connection lost; reconnecting');
  });
  client.on('close', () => {
    if (connection !== current) return;
    reportPublishRefusal();
    lost();
    if (state === 'connected') setState('offline');
  });
  client.on('error', (error) => {
    if (connection !== current) return;
    log.add('error', describeError(error));
    if (error instanceof VendingError && error.permanent) {
      // connectMqtt has stopped refreshing: once the current URL expires nothing can reconnect.
      setStatus(ui.connectionStatus, `The API refused a new URL (${error.code}); sign in again to keep connecting`, 'error');
    }
  });
  client.on('message', (topic, payload) => {
    if (connection !== current) return;
    const text = new TextDecoder().decode(payload);
    if (isReadOnlyFeed(grants, topic)) feeds.update(topic, text);
    else log.add('received', text, topic);
  });
}

async function disconnect(): Promise<void> {
  const current = connection;
  if (current === undefined) return;
  connection = undefined;
  outage.reset();
  lostAt = undefined;
  lastPublish = undefined;
  await current.end();
  showConnectionDetails(undefined);
  // A clean session: the subscriptions ended with the connection.
  subscribed.clear();
  setStatus(ui.subscribeStatus, '');
  setStatus(ui.publishStatus, '');
  setState(session ? 'disconnected' : 'signed-out');
  setStatus(ui.connectionStatus, 'Disconnected');
  log.add('info', 'Disconnected');
}

/** Whether mqtt.js's subscribe error is a SUBACK refusal (0x80) rather than a closed connection. */
function refusedBySuback(error: Error): boolean {
  const granted = (error as { packet?: { granted?: unknown } }).packet?.granted;
  return Array.isArray(granted) && granted.some((code) => typeof code === 'number' && (code & 0x80) !== 0);
}

function subscribe(): void {
  const filter = ui.subscribeTopic.value.trim();
  const current = connection;
  if (current === undefined || filter === '') return;
  const held = new Set(subscribed);
  setStatus(ui.subscribeStatus, `Subscribing to ${filter}…`);
  pendingSubscribes += 1;
  current.client.subscribe(filter, { qos: 0 }, (error) => {
    pendingSubscribes = Math.max(0, pendingSubscribes - 1);
    if (connection !== current) return;
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
    const text = subscribeRefusalText(filter, bySuback ? 'suback' : 'disconnect', grants, held);
    setStatus(ui.subscribeStatus, text, 'error');
    log.add('error', text);
  });
}

function publish(): void {
  const topic = ui.publishTopic.value.trim();
  const message = ui.publishMessage.value;
  const retain = ui.publishRetain.checked;
  if (connection === undefined || topic === '') return;
  lastPublish = { topic, payloadBytes: new TextEncoder().encode(message).length, qos: 0, retain, at: Date.now() };
  // QoS 0: AWS IoT disconnects a client that publishes where it may not, and a QoS 1 message
  // would be re-sent (and refused) on every reconnect.
  connection.client.publish(topic, message, { qos: 0, retain }, (error) => {
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

async function signIn(): Promise<void> {
  if (settings === undefined) return;
  const username = ui.username.value.trim();
  setStatus(ui.authStatus, 'Signing in…');
  ui.signInButton.disabled = true;
  try {
    session = await CognitoSession.signIn(settings.cognitoUrl, settings.userPoolClientId, username, ui.password.value);
  } catch (error) {
    setStatus(ui.authStatus, `Sign-in failed: ${describeError(error)}`, 'error');
    render();
    return;
  } finally {
    ui.password.value = '';
  }
  const { sub } = session.claims;
  setStatus(ui.authStatus, `Signed in as ${session.claims.username ?? username} (sub ${sub})`, 'ok');
  ui.subscribeTopic.value = `users/${sub}/#`;
  ui.publishTopic.value = `users/${sub}/chat`;
  setState('disconnected');
}

/** Forgets everything that belonged to the signed-in user: fields, statuses, counters, messages. */
function clearUserState(): void {
  vended = 0;
  grants = [];
  lastPublish = undefined;
  refusalReported = false;
  subscribed.clear();
  for (const field of [ui.username, ui.password, ui.subscribeTopic, ui.publishTopic, ui.publishMessage]) field.value = '';
  ui.publishRetain.checked = false;
  for (const status of [ui.connectionStatus, ui.subscribeStatus, ui.publishStatus]) setStatus(status, '');
  showConnectionDetails(undefined);
  feeds.clear();
  log.clear();
}

async function signOut(): Promise<void> {
  await disconnect();
  session = undefined;
  clearUserState();
  setStatus(ui.authStatus, 'Signed out');
  setState('signed-out');
}

/**
 * Pre-fills the settings form with a link's proposal and names where the password and token would
 * go. Nothing is used or saved until the user presses "Use this stack".
 */
function showProposal(outputs: DeployedOutputs): void {
  proposal = outputs;
  ui.settingsApiUrl.value = outputs.apiUrl;
  ui.settingsClientId.value = outputs.userPoolClientId;
  ui.settingsRegion.value = outputs.region;
  ui.settings.open = true;
  const problem = renderProposalTarget();
  if (problem !== undefined) setStatus(ui.settingsStatus, `A link proposed stack settings that are not valid: ${problem}`, 'error');
}

/**
 * Shows the hosts the form's current values would send the password and the token to (the user may
 * edit the proposal before confirming). Hides the notice while the values are invalid.
 * @returns why the values are invalid, or `undefined`
 */
function renderProposalTarget(): string | undefined {
  let target: DemoSettings;
  try {
    target = deployedSettings(settingsFormOutputs());
  } catch (error) {
    ui.settingsProposal.hidden = true;
    return describeError(error);
  }
  ui.settingsProposalApiHost.textContent = new URL(target.apiUrl).host;
  ui.settingsProposalCognitoHost.textContent = `${new URL(target.cognitoUrl).host} (app client ${target.userPoolClientId})`;
  ui.settingsProposal.hidden = false;
  return undefined;
}

function settingsFormOutputs(): DeployedOutputs {
  return { apiUrl: ui.settingsApiUrl.value, userPoolClientId: ui.settingsClientId.value, region: ui.settingsRegion.value };
}

function showSettings(current: DemoSettings): void {
  settings = current;
  if (current.mode === 'local') {
    ui.modeBanner.textContent = `Local stack · ${current.apiUrl}`;
    ui.passwordHint.hidden = false;
  } else {
    ui.modeBanner.textContent = `Deployed stack · ${new URL(current.apiUrl).host} · ${current.region}`;
  }
  if (current.mode === 'deployed' && proposal === undefined) {
    ui.settingsApiUrl.value = current.apiUrl;
    ui.settingsClientId.value = current.userPoolClientId;
    ui.settingsRegion.value = current.region;
  }
  render();
}

/**
 * A per-tab client ID suffix, kept in sessionStorage (which is per tab) across reloads. AWS IoT
 * drops the older of two connections with one client ID, so two tabs of one user need different
 * suffixes to chat with each other.
 */
function tabClientSuffix(): string {
  const key = 'aws-signv4-mqtt-demo:client-suffix';
  const saved = sessionStorage.getItem(key);
  if (isValidClientSuffix(saved)) return saved;
  const random = Array.from(crypto.getRandomValues(new Uint8Array(3)), (b) => b.toString(16).padStart(2, '0')).join('');
  const suffix = `tab-${random}`;
  sessionStorage.setItem(key, suffix);
  return suffix;
}

function onSubmit(form: HTMLFormElement, action: () => unknown): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void action();
  });
}

onSubmit(ui.signInForm, signIn);
onSubmit(ui.connectForm, connect);
onSubmit(ui.subscribeForm, subscribe);
onSubmit(ui.publishForm, publish);
ui.settingsForm.addEventListener('input', () => {
  if (proposal !== undefined) renderProposalTarget();
});
// Pressing "Use this stack" is the user's confirmation: only now are the outputs used and saved.
onSubmit(ui.settingsForm, () => {
  const outputs = settingsFormOutputs();
  try {
    deployedSettings(outputs);
  } catch (error) {
    setStatus(ui.settingsStatus, describeError(error), 'error');
    return;
  }
  saveDeployedOutputs(outputs);
  location.assign(location.pathname);
});
ui.settingsLocalButton.addEventListener('click', () => {
  forgetDeployedOutputs();
  location.assign(location.pathname);
});
ui.signOutButton.addEventListener('click', () => void signOut());
ui.disconnectButton.addEventListener('click', () => void disconnect());
ui.forceDisconnectButton.addEventListener('click', () => {
  // As a network failure would: the socket goes away without an MQTT DISCONNECT (and not because of
  // the last publish).
  lastPublish = undefined;
  connection?.client.stream.destroy();
  log.add('info', 'Dropped the connection');
});
ui.clearLogButton.addEventListener('click', () => log.clear());

ui.clientSuffix.value = tabClientSuffix();
render();
const proposed = takeProposedOutputs(location, history);
if (proposed !== undefined) showProposal(proposed);
resolveSettings().then(showSettings, (error: unknown) => {
  ui.modeBanner.textContent = 'No stack configured';
  ui.settings.open = true;
  // A proposal's own message (why its outputs are invalid) matters more than this one.
  if (ui.settingsStatus.dataset['tone'] !== 'error') {
    setStatus(ui.settingsStatus, `Enter a deployed stack's outputs (${describeError(error)})`, 'error');
  }
});
