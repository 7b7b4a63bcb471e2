/**
 * The demo page: sign in with Cognito (or the local stack's stand-in), vend a URL and connect with
 * `connectMqtt`, see the grants by kind (private namespace, group rooms, shared, read-only feeds),
 * subscribe, publish and watch the log and the feeds. Bundled by esbuild to `/app.js`.
 * Everything that comes from the network is rendered with `textContent`.
 *
 * This file signs in and out and wires the panels: `connection-panel.ts` (connect, reconnects, the
 * vend count, "Drop connection"), `pubsub-panel.ts` (subscribe, publish, refusals),
 * `settings-panel.ts` (a deployed stack's outputs); `page.ts` holds the elements, `state.ts` what
 * the page knows.
 */
import { CognitoSession } from './cognito-session.js';
import { connect, disconnect, dropConnection, showConnectionDetails } from './connection-panel.js';
import { describeError, feeds, grantActions, log, onSubmit, setStatus, ui } from './page.js';
import { publish, resetPubSub, subscribe } from './pubsub-panel.js';
import { resolveSettings, takeProposedOutputs } from './settings.js';
import { showNoSettings, showProposal, showSettings, wireSettingsPanel } from './settings-panel.js';
import { demo, render, setState } from './state.js';

async function signIn(): Promise<void> {
  const { settings } = demo;
  if (settings === undefined) return;
  const username = ui.username.value.trim();
  setStatus(ui.authStatus, 'Signing in…');
  ui.signInButton.disabled = true;
  let session: CognitoSession;
  try {
    session = await CognitoSession.signIn(settings.cognitoUrl, settings.userPoolClientId, username, ui.password.value);
  } catch (error) {
    setStatus(ui.authStatus, `Sign-in failed: ${describeError(error)}`, 'error');
    render();
    return;
  } finally {
    ui.password.value = '';
  }
  demo.session = session;
  const { sub } = session.claims;
  setStatus(ui.authStatus, `Signed in as ${session.claims.username ?? username} (sub ${sub})`, 'ok');
  ui.subscribeTopic.value = `users/${sub}/#`;
  ui.publishTopic.value = `users/${sub}/chat`;
  setState('disconnected');
}

/** Forgets everything that belonged to the signed-in user: fields, statuses, counters, messages. */
function clearUserState(): void {
  demo.vended = 0;
  demo.grants = [];
  resetPubSub();
  for (const field of [ui.username, ui.password, ui.subscribeTopic, ui.publishTopic, ui.publishMessage]) field.value = '';
  ui.publishRetain.checked = false;
  for (const status of [ui.connectionStatus, ui.subscribeStatus, ui.publishStatus]) setStatus(status, '');
  showConnectionDetails(undefined);
  feeds.clear();
  log.clear();
}

async function signOut(): Promise<void> {
  await disconnect();
  demo.session = undefined;
  clearUserState();
  setStatus(ui.authStatus, 'Signed out');
  setState('signed-out');
}

grantActions.subscribe = (filter) => {
  ui.subscribeTopic.value = filter;
  subscribe();
};
grantActions.usePublishTopic = (topic) => {
  ui.publishTopic.value = topic;
  ui.publishMessage.focus();
};
onSubmit(ui.signInForm, signIn);
onSubmit(ui.connectForm, connect);
onSubmit(ui.subscribeForm, subscribe);
onSubmit(ui.publishForm, publish);
wireSettingsPanel();
ui.signOutButton.addEventListener('click', () => void signOut());
ui.disconnectButton.addEventListener('click', () => void disconnect());
ui.forceDisconnectButton.addEventListener('click', dropConnection);
ui.clearLogButton.addEventListener('click', () => log.clear());

render();
const proposed = takeProposedOutputs(location, history);
if (proposed !== undefined) showProposal(proposed);
resolveSettings().then(showSettings, showNoSettings);
