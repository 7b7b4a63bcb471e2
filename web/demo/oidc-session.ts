/**
 * Signs in at the local stack's OIDC issuer (`npm run dev -- --oidc`) and hands out the access token
 * to `connectMqtt`, as an app would hand out its provider SDK's token (`getAccessTokenSilently` with
 * Auth0's SPA SDK, for instance).
 *
 * Sign-in is the OAuth 2.0 password grant (RFC 6749 section 4.3), which the local issuer offers so
 * the demo needs no login page or redirect. Real providers sign browsers in with Authorization Code
 * + PKCE; do not copy this flow into an app. The access token is what the API takes: its `aud` is
 * the API, while the ID token's is the app, which the JWT authorizer would refuse.
 *
 * Tokens live in memory only; the password is never kept.
 */
import type { GetTokenOptions } from '../types.js';
import { readTokenClaims, type TokenClaims } from './jwt-claims.js';
import type { OidcSignInSettings } from './settings.js';

/** Get a new access token when less than this remains (the API refuses an expired one). */
const EXPIRY_SLACK_SECONDS = 60;

/** A refusal from the token endpoint, with its OAuth error code (`invalid_grant`, …). */
export class OidcAuthError extends Error {
  override readonly name = 'OidcAuthError';

  /**
   * @param type the OAuth 2.0 `error`, or `NetworkError` / `UnexpectedResponse` / `SessionExpired`
   * @param message a message safe to show to the user
   */
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

interface TokenAnswer {
  readonly accessToken: string;
  readonly refreshToken: string | undefined;
}

async function requestTokens(settings: OidcSignInSettings, parameters: Record<string, string>): Promise<TokenAnswer> {
  let response: Response;
  try {
    response = await fetch(settings.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...parameters, client_id: settings.clientId, audience: settings.audience }).toString(),
      credentials: 'omit',
    });
  } catch {
    throw new OidcAuthError('NetworkError', 'The OIDC issuer could not be reached');
  }
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const type = typeof answer['error'] === 'string' ? answer['error'] : 'UnexpectedResponse';
    const message = typeof answer['error_description'] === 'string' ? answer['error_description'] : `The OIDC issuer answered HTTP ${response.status}`;
    throw new OidcAuthError(type, message);
  }
  const accessToken = answer['access_token'];
  if (typeof accessToken !== 'string') throw new OidcAuthError('UnexpectedResponse', 'The OIDC issuer answered without an access token');
  const refreshToken = answer['refresh_token'];
  return { accessToken, refreshToken: typeof refreshToken === 'string' ? refreshToken : undefined };
}

/** A user signed in at the OIDC issuer. */
export class OidcSession {
  #accessToken: string;
  #claims: TokenClaims;
  readonly #refreshToken: string | undefined;
  readonly #settings: OidcSignInSettings;

  private constructor(settings: OidcSignInSettings, answer: TokenAnswer) {
    this.#settings = settings;
    this.#accessToken = answer.accessToken;
    this.#claims = readTokenClaims(answer.accessToken, settings.groupsClaim);
    this.#refreshToken = answer.refreshToken;
  }

  /**
   * Password-grant sign-in, asking for the configured scopes (`offline_access` among them brings a
   * refresh token).
   * @throws OidcAuthError with the issuer's own message (for example "Wrong email or password.")
   */
  static async signIn(settings: OidcSignInSettings, username: string, password: string): Promise<OidcSession> {
    const answer = await requestTokens(settings, { grant_type: 'password', username, password, scope: settings.scope });
    return new OidcSession(settings, answer);
  }

  /** The current access token's claims (groups from the configured groups claim). */
  get claims(): TokenClaims {
    return this.#claims;
  }

  /**
   * The `getToken` for `connectMqtt`: the cached access token while it is valid; a new one through
   * the `refresh_token` grant when it is about to expire or the API refused it.
   * @throws OidcAuthError when no refresh is possible (no refresh token, or the issuer refused it)
   */
  readonly getToken = async (options?: GetTokenOptions): Promise<string> => {
    const fresh = this.#claims.exp - EXPIRY_SLACK_SECONDS > Date.now() / 1000;
    if (fresh && options?.forceRefresh !== true) return this.#accessToken;
    if (this.#refreshToken === undefined) throw new OidcAuthError('SessionExpired', 'The session has expired: sign in again');
    const answer = await requestTokens(this.#settings, { grant_type: 'refresh_token', refresh_token: this.#refreshToken });
    this.#accessToken = answer.accessToken;
    this.#claims = readTokenClaims(answer.accessToken, this.#settings.groupsClaim);
    return this.#accessToken;
  };
}
