/**
 * Signs in against a Cognito user pool with `InitiateAuth` (the local stack's `/cognito` speaks the
 * same protocol) and hands out the ID token to `connectMqtt`. Tokens live in memory only; the
 * password is never kept. Protocol reference:
 * https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_InitiateAuth.html
 */
import type { GetTokenOptions } from '../types.js';
import { readTokenClaims, type TokenClaims } from './jwt-claims.js';

/** Refresh the ID token when less than this remains (the API refuses an expired one). */
const EXPIRY_SLACK_SECONDS = 60;

/** A refusal from Cognito, with its exception name (`NotAuthorizedException`, …). */
export class CognitoAuthError extends Error {
  override readonly name = 'CognitoAuthError';

  /**
   * @param type Cognito's `__type`, or `NetworkError` / `UnexpectedResponse`
   * @param message a message safe to show to the user
   */
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

interface AuthenticationResult {
  readonly IdToken: string;
  readonly RefreshToken: string | undefined;
}

async function initiateAuth(cognitoUrl: string, body: Record<string, unknown>): Promise<AuthenticationResult> {
  let response: Response;
  try {
    response = await fetch(cognitoUrl, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': 'AWSCognitoIdentityProviderService.InitiateAuth',
      },
      body: JSON.stringify(body),
      credentials: 'omit',
    });
  } catch {
    throw new CognitoAuthError('NetworkError', 'Cognito could not be reached (offline, or the region is wrong)');
  }
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const type = typeof answer['__type'] === 'string' ? answer['__type'].split('#').pop() ?? 'Error' : 'UnexpectedResponse';
    const message = typeof answer['message'] === 'string' ? answer['message'] : `Cognito answered HTTP ${response.status}`;
    throw new CognitoAuthError(type, message);
  }
  if (typeof answer['ChallengeName'] === 'string') {
    throw new CognitoAuthError(
      answer['ChallengeName'],
      answer['ChallengeName'] === 'NEW_PASSWORD_REQUIRED'
        ? 'This user must set a permanent password first (aws cognito-idp admin-set-user-password --permanent)'
        : `Cognito asked for the ${answer['ChallengeName']} challenge, which this demo does not handle`,
    );
  }
  const result = answer['AuthenticationResult'] as Record<string, unknown> | undefined;
  const idToken = result?.['IdToken'];
  if (typeof idToken !== 'string') throw new CognitoAuthError('UnexpectedResponse', 'Cognito answered without an ID token');
  const refreshToken = result?.['RefreshToken'];
  return { IdToken: idToken, RefreshToken: typeof refreshToken === 'string' ? refreshToken : undefined };
}

/** A signed-in user. */
export class CognitoSession {
  #idToken: string;
  #claims: TokenClaims;
  readonly #refreshToken: string | undefined;
  readonly #cognitoUrl: string;
  readonly #clientId: string;

  private constructor(cognitoUrl: string, clientId: string, result: AuthenticationResult) {
    this.#cognitoUrl = cognitoUrl;
    this.#clientId = clientId;
    this.#idToken = result.IdToken;
    this.#claims = readTokenClaims(result.IdToken);
    this.#refreshToken = result.RefreshToken;
  }

  /**
   * `USER_PASSWORD_AUTH` sign-in.
   * @throws CognitoAuthError with Cognito's own message (for example "Incorrect username or password.")
   */
  static async signIn(cognitoUrl: string, clientId: string, username: string, password: string): Promise<CognitoSession> {
    const result = await initiateAuth(cognitoUrl, {
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: clientId,
      AuthParameters: { USERNAME: username, PASSWORD: password },
    });
    return new CognitoSession(cognitoUrl, clientId, result);
  }

  /** The current token's claims. */
  get claims(): TokenClaims {
    return this.#claims;
  }

  /**
   * The `getToken` for `connectMqtt`: the cached ID token while it is valid; a new one through
   * `REFRESH_TOKEN_AUTH` when it is about to expire or the API refused it.
   * @throws CognitoAuthError when no refresh is possible (no refresh token, or Cognito refused it)
   */
  readonly getToken = async (options?: GetTokenOptions): Promise<string> => {
    const fresh = this.#claims.exp - EXPIRY_SLACK_SECONDS > Date.now() / 1000;
    if (fresh && options?.forceRefresh !== true) return this.#idToken;
    if (this.#refreshToken === undefined) {
      throw new CognitoAuthError('SessionExpired', 'The session has expired: sign in again');
    }
    const result = await initiateAuth(this.#cognitoUrl, {
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      ClientId: this.#clientId,
      AuthParameters: { REFRESH_TOKEN: this.#refreshToken },
    });
    this.#idToken = result.IdToken;
    this.#claims = readTokenClaims(result.IdToken);
    return this.#idToken;
  };
}
