/**
 * Who the signed-in user is to the broker, shown beside the sign-in form when the stack signs users
 * in at an OIDC issuer: the raw `sub` and the principal ID derived from it, which the client ID and
 * the user's own topics use. With Cognito the two are the same and the page shows nothing more than
 * the sub in the sign-in status, as it always has.
 */
import { ui } from './page.js';
import { demo } from './state.js';

/** Where the principal ID shown comes from. */
export type PrincipalSource = 'computed' | 'api' | 'unknown';

const SOURCE_TEXT: Readonly<Record<PrincipalSource, string>> = {
  computed: '(computed in this page from the issuer and the sub; the API confirms it when you connect)',
  api: '(as the API answered it)',
  unknown: '(the page could not compute it; it appears when you connect)',
};

/** Shows the sub and the principal ID, and remembers the principal for the page's topics. */
export function showIdentity(sub: string, principalId: string | undefined, source: PrincipalSource): void {
  demo.principalId = principalId;
  ui.rawSub.textContent = sub;
  ui.principalId.textContent = principalId ?? '–';
  ui.principalSource.textContent = SOURCE_TEXT[source];
  ui.principalSource.dataset['source'] = source;
  ui.identityDetails.hidden = false;
  ui.identityHint.hidden = false;
}

/** Hides the identity details (sign-out, or a Cognito stack). */
export function clearIdentity(): void {
  demo.principalId = undefined;
  ui.rawSub.textContent = '';
  ui.principalId.textContent = '';
  ui.principalSource.textContent = '';
  delete ui.principalSource.dataset['source'];
  ui.identityDetails.hidden = true;
  ui.identityHint.hidden = true;
}
