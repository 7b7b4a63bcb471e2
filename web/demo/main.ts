/**
 * The demo page: sign in with Cognito (or the local stack's stand-in), or at the local stack's OIDC
 * issuer in its OIDC mode, vend a URL and connect with `connectMqtt`, see the grants by kind
 * (private namespace, group rooms, shared, read-only feeds), subscribe, publish and watch the log
 * and the feeds. Bundled by esbuild to `/app.js`. Everything that comes from the network is rendered
 * with `textContent`.
 *
 * This file signs in and out (`cognito-session.ts`, `oidc-session.ts`; in OIDC mode
 * `identity-panel.ts` shows the raw sub beside the principal ID the topics use) and wires the
 * panels: `connection-panel.ts` (connect, reconnects, the vend count, "Drop connection"),
 * `pubsub-panel.ts` (subscribe, publish, refusals), `settings-panel.ts` (a deployed stack's
 * outputs); `page.ts` holds the elements, `state.ts` what the page knows.
 */
import { CognitoSession } from './cognito-session.js';
import { connect, disconnect, dropConnection, showConnectionDetails } from './connection-panel.js';
import { clearIdentity, showIdentity } from './identity-panel.js';
import { OidcSession } from './oidc-session.js';
import { describeError, feeds, grantActions, log, onSubmit, setStatus, ui } from './page.js';
import { derivePrincipalId } from './principal-id.js';
import { publish, resetPubSub, subscribe } from './pubsub-panel.js';
import { isOidcSettings, resolveSettings, takeProposedOutputs } from './settings.js';
import { showNoSettings, showProposal, showSettings, wireSettingsPanel } from './settings-panel.js';
import { demo, render, setState, type DemoSession } from './state.js';

async function signIn(): Promise<void> {
  const { settings } = demo;
  if (settings === undefined) return;
  const username = ui.username.value.trim();
  setStatus(ui.authStatus, 'Signing in…');
  ui.signInButton.disabled = true;
  let session: DemoSession;
  try {
    session = isOidcSettings(settings)
      ? await OidcSession.signIn(settings.oidc, username, ui.password.value)
      : await CognitoSession.signIn(settings.cognitoUrl, settings.userPoolClientId, username, ui.password.value);
  } catch (error) {
    setStatus(ui.authStatus, `Sign-in failed: ${describeError(error)}`, 'error');
    render();
    return;
  } finally {
    ui.password.value = '';
  }
  demo.session = session;
  const { sub } = session.claims;
  // What `${sub}` stands for in the grants: the sub itself with Cognito, a derived UUID otherwise.
  let principal: string | undefined = sub;
  if (isOidcSettings(settings)) {
    principal = await derivePrincipalId(settings.oidc.issuer, sub).catch(() => undefined);
    showIdentity(sub, principal, principal === undefined ? 'unknown' : 'computed');
  } else {
    demo.principalId = sub;
  }
  setStatus(ui.authStatus, `Signed in as ${session.claims.username ?? username} (sub ${sub})`, 'ok');
  if (principal !== undefined) {
    ui.subscribeTopic.value = `users/${principal}/#`;
    ui.publishTopic.value = `users/${principal}/chat`;
  }
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
  clearIdentity();
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
