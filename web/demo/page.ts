/**
 * The demo page's elements, looked up once by id (a renamed id fails loudly at start-up), and the
 * widgets built on them: the message log, the read-only feeds and the grants panel. Plus the two
 * helpers every panel uses: a status line with a tone, and an error in words.
 */
import { VendingError } from '../errors.js';
import { CognitoAuthError } from './cognito-session.js';
import { FeedPanel } from './feed-panel.js';
import { GrantsPanel, type GrantActions } from './grants-panel.js';
import { MessageLog } from './message-log.js';
import { OidcAuthError } from './oidc-session.js';

/** Looks an element up by id and checks its type. */
function element<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`The demo page lacks #${id}`);
  return found;
}

export const ui = {
  modeBanner: element('mode-banner', HTMLParagraphElement),
  signInForm: element('sign-in-form', HTMLFormElement),
  username: element('username', HTMLInputElement),
  password: element('password', HTMLInputElement),
  passwordHint: element('password-hint', HTMLParagraphElement),
  oidcHint: element('oidc-hint', HTMLParagraphElement),
  signInButton: element('sign-in-button', HTMLButtonElement),
  signOutButton: element('sign-out-button', HTMLButtonElement),
  authStatus: element('auth-status', HTMLParagraphElement),
  identityDetails: element('identity-details', HTMLDListElement),
  rawSub: element('raw-sub', HTMLElement),
  principalId: element('principal-id', HTMLElement),
  principalSource: element('principal-source', HTMLElement),
  identityHint: element('identity-hint', HTMLParagraphElement),
  connectForm: element('connect-form', HTMLFormElement),
  clientSuffix: element('client-suffix', HTMLInputElement),
  resume: element('resume', HTMLInputElement),
  connectButton: element('connect-button', HTMLButtonElement),
  disconnectButton: element('disconnect-button', HTMLButtonElement),
  forceDisconnectButton: element('force-disconnect-button', HTMLButtonElement),
  connectionState: element('connection-state', HTMLElement),
  clientId: element('client-id', HTMLElement),
  publishTopics: element('publish-topics', HTMLElement),
  subscribeTopics: element('subscribe-topics', HTMLElement),
  endpoint: element('endpoint', HTMLElement),
  vendCount: element('vend-count', HTMLElement),
  currentUrl: element('current-url', HTMLElement),
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

export const log = new MessageLog(element('message-log', HTMLOListElement));
export const feeds = new FeedPanel(element('feed', HTMLUListElement), element('feed-empty', HTMLParagraphElement));

/** What the grants panel's buttons do; `main.ts` fills it in (the actions live in other panels). */
export const grantActions: GrantActions = { subscribe: () => undefined, usePublishTopic: () => undefined };
export const grantsPanel = new GrantsPanel(element('grant-list', HTMLDivElement), {
  subscribe: (filter) => grantActions.subscribe(filter),
  usePublishTopic: (topic) => grantActions.usePublishTopic(topic),
});

/** Sets a status line's text and tone (`data-tone`, which the CSS colours). */
export function setStatus(target: HTMLElement, text: string, tone: 'ok' | 'error' | 'info' = 'info'): void {
  target.textContent = text;
  target.dataset['tone'] = tone;
}

/** An error in words for the page: code, HTTP status and API code when there are some, and the message. */
export function describeError(error: unknown): string {
  if (error instanceof VendingError) {
    const detail = error.status === 0 ? '' : ` (HTTP ${error.status}${error.apiCode === undefined ? '' : `, ${error.apiCode}`})`;
    return `${error.code}${detail}: ${error.message}`;
  }
  if (error instanceof CognitoAuthError || error instanceof OidcAuthError) return `${error.type}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** Calls `action` on the form's submit instead of navigating. */
export function onSubmit(form: HTMLFormElement, action: () => unknown): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void action();
  });
}
