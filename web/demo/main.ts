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
import { describeGrants, isReadOnlyFeed, mayPublish, type GrantView } from './grants.js';
import { GrantsPanel } from './grants-panel.js';
import { MessageLog } from './message-log.js';
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
let lastPublish: { readonly topic: string; readonly retain: boolean; readonly at: number } | undefined;

function setStatus(target: HTMLElement, text: string, tone: 'ok' | 'error' | 'info' = 'info'): void {
  target.textContent = text;
  target.dataset['tone'] = tone;
}

function describeError(error: unknown): string {
  if (error instanceof VendingError) return `${error.code} (HTTP ${error.status}): ${error.message}`;
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
  const granted = mayPublish(grants, recent.topic);
  // A publish the grants allow, not retained, was not what closed the connection.
  if (granted && !recent.retain) return;
  const why = granted
    ? 'a retained publish also needs iot:RetainPublish, which this stack does not grant'
    : 'the topic is not among your publish grants';
  const text = `Publish to ${recent.topic} refused: AWS IoT closed the connection (${why})`;
  setStatus(ui.publishStatus, text, 'error');
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
  showConnectionDetails(current);
  setState('connecting');
  setStatus(ui.connectionStatus, 'Connecting…');
  const { client } = current;
  client.on('connect', () => {
    setState('connected');
    setStatus(ui.connectionStatus, `Connected as ${current.clientId}`, 'ok');
    log.add('info', `Connected as ${current.clientId}`);
  });
  client.on('reconnect', () => setState('reconnecting'));
  client.on('offline', () => {
    setState('offline');
    setStatus(ui.connectionStatus, 'Connection lost; mqtt.js reconnects with a fresh URL', 'error');
    log.add('info', 'Connection lost');
  });
  client.on('close', () => {
    if (connection === current) reportPublishRefusal();
    if (connection === current && state === 'connected') setState('offline');
  });
  client.on('error', (error) => {
    log.add('error', describeError(error));
    if (error instanceof VendingError && error.permanent) {
      // connectMqtt has stopped refreshing: once the current URL expires nothing can reconnect.
      setStatus(ui.connectionStatus, `The API refused a new URL (${error.code}); sign in again to keep connecting`, 'error');
    }
  });
  client.on('message', (topic, payload) => {
    const text = new TextDecoder().decode(payload);
    if (isReadOnlyFeed(grants, topic)) feeds.update(topic, text);
    else log.add('received', text, topic);
  });
}

async function disconnect(): Promise<void> {
  const current = connection;
  if (current === undefined) return;
  connection = undefined;
  await current.end();
  showConnectionDetails(undefined);
  setState(session ? 'disconnected' : 'signed-out');
  setStatus(ui.connectionStatus, 'Disconnected');
  log.add('info', 'Disconnected');
}

function subscribe(): void {
  const topic = ui.subscribeTopic.value.trim();
  if (connection === undefined || topic === '') return;
  setStatus(ui.subscribeStatus, `Subscribing to ${topic}…`);
  connection.client.subscribe(topic, { qos: 0 }, (error) => {
    if (error) {
      // AWS IoT answers an unauthorized SUBSCRIBE with SUBACK 0x80; mqtt.js reports it here.
      setStatus(ui.subscribeStatus, `Subscription to ${topic} refused: ${error.message}`, 'error');
      log.add('error', `Subscription to ${topic} refused`);
    } else {
      setStatus(ui.subscribeStatus, `Subscribed to ${topic}`, 'ok');
      log.add('info', `Subscribed to ${topic}`);
    }
  });
}

function publish(): void {
  const topic = ui.publishTopic.value.trim();
  const message = ui.publishMessage.value;
  const retain = ui.publishRetain.checked;
  if (connection === undefined || topic === '') return;
  lastPublish = { topic, retain, at: Date.now() };
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

async function signOut(): Promise<void> {
  await disconnect();
  session = undefined;
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
