/**
 * A Cognito user pool stand-in: `InitiateAuth` with `USER_PASSWORD_AUTH` over Cognito's own wire
 * protocol (AWS JSON 1.1, `X-Amz-Target`), so the real `@aws-sdk/client-cognito-identity-provider`
 * and the browser's plain `fetch` both work against it, and the JWKS at the issuer's well-known path.
 *
 * Any username signs in with the one local password. Tokens are real RS256 JWTs shaped like
 * Cognito's (claims as documented in
 * https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-id-token.html
 * and ...-using-the-access-token.html), signed with a key pair generated at start-up.
 *
 * Refresh: `USER_PASSWORD_AUTH` also answers a `RefreshToken`, which `REFRESH_TOKEN_AUTH` (and its
 * alias `REFRESH_TOKEN`) exchanges for new ID and access tokens, as Cognito does. The refresh token is
 * stateless (the username and an expiry, MACed with a key fixed in this file), so it stays valid
 * when the local stack restarts with a new signing key: a page left open across a restart gets new
 * tokens and reconnects. Anyone can mint one, which grants nothing the public local password does not.
 *
 * Groups: the pool is given a membership map (`userGroups`, see `user-groups.ts` for the format and
 * the demo default). A user with groups gets them in the `cognito:groups` claim of both tokens, a
 * JSON array of strings in the map's order, as Cognito does; a user without groups gets no
 * `cognito:groups` claim at all (Cognito leaves it out rather than sending `[]`).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JSONWebKeySet } from 'jose';
import { BodyTooLargeError, readBody, sendJson } from './http-io.js';
import { GroupDirectory, type UserGroups } from './user-groups.js';
import { canonicalUsername, COGNITO_NAME_PATTERN } from './usernames.js';
import { isRecord, openSealedToken, sealingKey, sealToken } from './sealed-token.js';

/** The password every local user signs in with. */
export const LOCAL_PASSWORD = 'local-dev';
/** The local user pool client id. */
export const LOCAL_CLIENT_ID = 'local';
/** The path of the issuer under the local stack's origin. */
export const USER_POOL_PATH = '/local-user-pool';
/** The path of the JWKS, relative to the origin: `<issuer>/.well-known/jwks.json`, as Cognito. */
export const JWKS_PATH = `${USER_POOL_PATH}/.well-known/jwks.json`;

const INITIATE_AUTH_TARGET = 'AWSCognitoIdentityProviderService.InitiateAuth';
const AUTH_FLOWS = ['USER_SRP_AUTH', 'REFRESH_TOKEN_AUTH', 'REFRESH_TOKEN', 'CUSTOM_AUTH', 'ADMIN_NO_SRP_AUTH', 'USER_PASSWORD_AUTH', 'ADMIN_USER_PASSWORD_AUTH', 'USER_AUTH'];
const CLIENT_ID = /^[\w+]{1,128}$/;
const MAX_BODY_BYTES = 16 * 1024;
const REFRESH_FLOWS = ['REFRESH_TOKEN_AUTH', 'REFRESH_TOKEN'];
/** Cognito's default refresh token validity: 30 days. */
const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;
/** The refresh tokens' MAC key: fixed, so tokens survive a restart (see the module comment). */
const REFRESH_KEY = sealingKey('aws-signv4-mqtt local user pool refresh tokens');

/** Options of {@link LocalUserPool.create}. */
export interface LocalUserPoolOptions {
  /** The `iss` of every token, e.g. `http://127.0.0.1:3000/local-user-pool`. */
  readonly issuer: string;
  /**
   * The only app client id accepted.
   * @default 'local'
   */
  readonly clientId?: string;
  /**
   * Lifetime of ID and access tokens, in seconds (Cognito's default is one hour).
   * @default 3600
   */
  readonly tokenTtlSeconds?: number;
  /**
   * The clock used for `iat`, `auth_time` and `exp`.
   * @default - the system clock
   */
  readonly now?: () => Date;
  /**
   * Who is in which group (`user-groups.ts`): their tokens carry `cognito:groups`.
   * @default - nobody is in any group
   */
  readonly userGroups?: UserGroups;
}

/** A Cognito-shaped failure: `__type` and HTTP status. */
export class CognitoError extends Error {
  override readonly name = 'CognitoError';

  /**
   * @param type Cognito's exception name, e.g. `NotAuthorizedException`
   * @param message the message Cognito would give
   * @param status the HTTP status, 400 for client errors
   */
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** The successful `InitiateAuth` answer (a `RefreshToken` for a sign-in, none for a refresh, as Cognito). */
export interface InitiateAuthResult {
  readonly AuthenticationResult: {
    readonly IdToken: string;
    readonly AccessToken: string;
    readonly RefreshToken?: string;
    readonly ExpiresIn: number;
    readonly TokenType: 'Bearer';
  };
  readonly ChallengeParameters: Record<string, never>;
}

/**
 * The user pool's stable subject for a username: UUID-shaped, derived from the username so the same
 * user keeps the same `sub` (and so the same MQTT namespace) across restarts. Usernames compare
 * case-insensitively, as in a user pool created with Cognito's default `CaseSensitive: false`.
 */
export function subForUsername(username: string): string {
  const digest = createHash('sha256').update(`local-user-pool\0${canonicalUsername(username)}`).digest();
  // Shape it as an RFC 4122 version-4 UUID, as Cognito's subs are.
  digest[6] = ((digest[6] ?? 0) & 0x0f) | 0x40;
  digest[8] = ((digest[8] ?? 0) & 0x3f) | 0x80;
  const hex = digest.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The user pool. Create it with {@link LocalUserPool.create} (key generation is asynchronous). */
export class LocalUserPool {
  readonly #privateKey: CryptoKey;
  readonly #kid: string;
  readonly #jwks: JSONWebKeySet;
  readonly #now: () => Date;
  readonly #groups: GroupDirectory;
  /** The `iss` of every token. */
  readonly issuer: string;
  /** The accepted app client id. */
  readonly clientId: string;
  /** Token lifetime in seconds. */
  readonly tokenTtlSeconds: number;

  private constructor(options: LocalUserPoolOptions, groups: GroupDirectory, privateKey: CryptoKey, kid: string, jwks: JSONWebKeySet) {
    this.#groups = groups;
    this.issuer = options.issuer;
    this.clientId = options.clientId ?? LOCAL_CLIENT_ID;
    this.tokenTtlSeconds = options.tokenTtlSeconds ?? 3600;
    this.#now = options.now ?? (() => new Date());
    this.#privateKey = privateKey;
    this.#kid = kid;
    this.#jwks = jwks;
  }

  /**
   * Generates the signing key pair and returns the pool.
   * @throws RangeError when `tokenTtlSeconds` is not a whole number from 300 to 86400 (Cognito's range)
   * @throws UserGroupsError when `userGroups` is not a membership map Cognito could hold
   */
  static async create(options: LocalUserPoolOptions): Promise<LocalUserPool> {
    const ttl = options.tokenTtlSeconds ?? 3600;
    if (!Number.isInteger(ttl) || ttl < 300 || ttl > 86_400) {
      throw new RangeError(`tokenTtlSeconds must be a whole number from 300 to 86400 (received ${String(ttl)})`);
    }
    if (!/^https?:\/\/[^/]+\/\S*[^/]$/.test(options.issuer)) {
      throw new RangeError(`issuer must be an http(s) URL with a path and no trailing slash (received ${JSON.stringify(options.issuer)})`);
    }
    const groups = GroupDirectory.from(options.userGroups ?? {}, 'userGroups');
    const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    return new LocalUserPool(options, groups, privateKey, kid, { keys: [{ ...publicJwk, kid, alg: 'RS256', use: 'sig' }] });
  }

  /** The groups of the user who signs in as `username` (any case): what `cognito:groups` will hold. */
  groupsOf(username: string): readonly string[] {
    return this.#groups.groupsOf(username);
  }

  /** The public keys, as Cognito serves them at `<issuer>/.well-known/jwks.json`. */
  jwks(): JSONWebKeySet {
    return this.#jwks;
  }

  /**
   * Answers one `InitiateAuth` request body.
   * @throws CognitoError shaped as Cognito's for a bad client, flow, username or password
   */
  async initiateAuth(request: unknown): Promise<InitiateAuthResult> {
    if (!isRecord(request)) throw new CognitoError('SerializationException', 'The request body must be a JSON object');
    const { AuthFlow: flow, ClientId: clientId, AuthParameters: parameters } = request;
    if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) {
      throw new CognitoError('InvalidParameterException', "1 validation error detected: Value at 'clientId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+]+");
    }
    if (clientId !== this.clientId) throw new CognitoError('ResourceNotFoundException', `User pool client ${clientId} does not exist.`);
    if (typeof flow !== 'string' || !AUTH_FLOWS.includes(flow)) {
      throw new CognitoError('InvalidParameterException', `1 validation error detected: Value ${JSON.stringify(flow ?? null)} at 'authFlow' failed to satisfy constraint: Member must satisfy enum value set: [${AUTH_FLOWS.join(', ')}]`);
    }
    if (REFRESH_FLOWS.includes(flow)) {
      const token = isRecord(parameters) ? parameters['REFRESH_TOKEN'] : undefined;
      if (typeof token !== 'string' || token.length === 0) throw new CognitoError('InvalidParameterException', 'Missing required parameter REFRESH_TOKEN');
      return this.#issue(this.#usernameFromRefreshToken(token), false);
    }
    if (flow !== 'USER_PASSWORD_AUTH') {
      throw new CognitoError('InvalidParameterException', `${flow} flow not enabled for this client (the local user pool supports USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH)`);
    }
    if (!isRecord(parameters)) throw new CognitoError('InvalidParameterException', 'Missing required parameter USERNAME');
    const { USERNAME: username, PASSWORD: password } = parameters;
    if (typeof username !== 'string' || username.length === 0) throw new CognitoError('InvalidParameterException', 'Missing required parameter USERNAME');
    if (typeof password !== 'string' || password.length === 0) throw new CognitoError('InvalidParameterException', 'Missing required parameter PASSWORD');
    if (!COGNITO_NAME_PATTERN.test(username)) {
      throw new CognitoError('InvalidParameterException', '1 validation error detected: Value at \'username\' failed to satisfy constraint: 1 to 128 letters, marks, symbols, digits or punctuation, no white space');
    }
    if (password !== LOCAL_PASSWORD) throw new CognitoError('NotAuthorizedException', 'Incorrect username or password.');
    return this.#issue(username, true);
  }

  /** A refresh token for `username`: a sealed `{u, c, exp}` (`sealed-token.ts`). */
  #refreshToken(username: string, iat: number): string {
    return sealToken(REFRESH_KEY, { u: username, c: this.clientId, exp: iat + REFRESH_TOKEN_TTL_SECONDS });
  }

  /** @throws CognitoError NotAuthorizedException, as Cognito, for a forged, foreign or expired token */
  #usernameFromRefreshToken(token: string): string {
    const invalid = new CognitoError('NotAuthorizedException', 'Invalid Refresh Token');
    const claims = openSealedToken(REFRESH_KEY, token);
    if (claims === undefined || typeof claims['u'] !== 'string' || claims['c'] !== this.clientId || typeof claims['exp'] !== 'number') throw invalid;
    if (claims['exp'] <= this.#now().getTime() / 1000) throw new CognitoError('NotAuthorizedException', 'Refresh Token has expired');
    return claims['u'];
  }

  async #issue(username: string, withRefreshToken: boolean): Promise<InitiateAuthResult> {
    const sub = subForUsername(username);
    const iat = Math.floor(this.#now().getTime() / 1000);
    const exp = iat + this.tokenTtlSeconds;
    const originJti = randomUUID();
    const eventId = randomUUID();
    const groups = this.#groups.groupsOf(username);
    // Cognito puts the claim in both tokens, and only when the user has groups.
    const groupClaim = groups.length === 0 ? {} : { 'cognito:groups': [...groups] };
    const sign = (claims: Record<string, unknown>): Promise<string> =>
      new SignJWT({ ...claims, ...groupClaim, origin_jti: originJti, event_id: eventId, auth_time: iat })
        .setProtectedHeader({ alg: 'RS256', kid: this.#kid })
        .setSubject(sub)
        .setIssuer(this.issuer)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .setJti(randomUUID())
        .sign(this.#privateKey);
    const [idToken, accessToken] = await Promise.all([
      sign({ aud: this.clientId, token_use: 'id', 'cognito:username': username }),
      sign({ client_id: this.clientId, token_use: 'access', scope: 'aws.cognito.signin.user.admin', username }),
    ]);
    return {
      AuthenticationResult: {
        IdToken: idToken,
        AccessToken: accessToken,
        ...(withRefreshToken ? { RefreshToken: this.#refreshToken(username, iat) } : {}),
        ExpiresIn: this.tokenTtlSeconds,
        TokenType: 'Bearer',
      },
      ChallengeParameters: {},
    };
  }

  /**
   * HTTP adapter for `POST /cognito`: checks the `X-Amz-Target` and content type of the AWS JSON
   * 1.1 protocol, answers as Cognito does (errors carry `__type` and `x-amzn-ErrorType`).
   */
  async handleHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const headers = { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId };
    try {
      if (request.method !== 'POST') throw new CognitoError('UnknownOperationException', 'InitiateAuth must be a POST');
      const target = request.headers['x-amz-target'];
      if (target !== INITIATE_AUTH_TARGET) {
        throw new CognitoError('UnknownOperationException', `Only ${INITIATE_AUTH_TARGET} is emulated (X-Amz-Target was ${JSON.stringify(target ?? null)})`);
      }
      const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (contentType !== 'application/x-amz-json-1.1' && contentType !== 'application/json') {
        throw new CognitoError('SerializationException', `Content-Type must be application/x-amz-json-1.1 (received ${JSON.stringify(contentType)})`);
      }
      let body: unknown;
      try {
        body = JSON.parse((await readBody(request, MAX_BODY_BYTES)).toString('utf8')) as unknown;
      } catch (error) {
        if (error instanceof BodyTooLargeError) throw new CognitoError('SerializationException', `The request body is larger than ${MAX_BODY_BYTES} bytes`, 413);
        throw new CognitoError('SerializationException', 'The request body is not valid JSON');
      }
      sendJson(response, 200, await this.initiateAuth(body), headers);
    } catch (error) {
      const fault = error instanceof CognitoError ? error : new CognitoError('InternalErrorException', 'Internal error', 500);
      sendJson(response, fault.status, { __type: fault.type, message: fault.message }, { ...headers, 'x-amzn-errortype': fault.type });
    }
  }
}
