/**
 * What the demo page knows, shared by its panels: the stack in use, the signed-in session and its
 * principal, the connection and its state, the number of URLs vended, the current grants. `render()`
 * puts the buttons and the state line in line with it.
 */
import type { MqttConnection } from '../connect-mqtt.js';
import type { GetToken } from '../types.js';
import type { GrantView } from './grants.js';
import type { TokenClaims } from './jwt-claims.js';
import { grantsPanel, ui } from './page.js';
import type { DemoSettings } from './settings.js';

/** A signed-in user, whichever way they signed in (`CognitoSession`, `OidcSession`). */
export interface DemoSession {
  /** The current token's claims. */
  readonly claims: TokenClaims;
  /** The token supplier for `connectMqtt`. */
  readonly getToken: GetToken;
}

export type ConnectionState = 'signed-out' | 'disconnected' | 'vending' | 'connecting' | 'connected' | 'offline' | 'reconnecting' | 'error';

/** The page's state (one page, one object). */
export const demo: {
  settings: DemoSettings | undefined;
  session: DemoSession | undefined;
  /**
   * What `${sub}` stands for in the user's grants: the Cognito `sub`, or with an OIDC issuer the
   * principal ID (computed at sign-in, then as the API answered it).
   */
  principalId: string | undefined;
  connection: MqttConnection | undefined;
  state: ConnectionState;
  /** Successful `GET /mqtt-url` answers since sign-in: every URL this page was handed. */
  vended: number;
  /** The current connection's grants, by kind. */
  grants: GrantView[];
} = { settings: undefined, session: undefined, principalId: undefined, connection: undefined, state: 'signed-out', vended: 0, grants: [] };

/** Enables and disables the controls, and shows the state and the vend count. */
export function render(): void {
  const signedIn = demo.session !== undefined;
  const connected = demo.state === 'connected';
  ui.connectionState.dataset['state'] = demo.state;
  ui.connectionState.textContent = demo.state.replace('-', ' ');
  ui.signInButton.disabled = demo.settings === undefined;
  ui.signOutButton.disabled = !signedIn;
  ui.connectButton.disabled = !signedIn || demo.connection !== undefined || demo.state === 'vending';
  ui.disconnectButton.disabled = demo.connection === undefined;
  ui.forceDisconnectButton.disabled = !connected;
  ui.subscribeButton.disabled = !connected;
  ui.publishButton.disabled = !connected;
  grantsPanel.setEnabled(connected);
  ui.vendCount.textContent = String(demo.vended);
}

export function setState(next: ConnectionState): void {
  demo.state = next;
  render();
}
