/**
 * A local OpenID Connect issuer for the local stack's issuer mode (`startLocalStack({ identity:
 * 'oidc' })`, `npm run dev -- --oidc`), shaped like an Auth0 tenant so that the quirks the vending
 * service must survive are all there:
 *
 * - the issuer has a trailing slash (`http://127.0.0.1:<port>/oidc/`), as Auth0's and Entra v1's do:
 *   the JWT authorizer compares `iss` exactly, so a configuration without the slash is refused;
 * - subs look like Auth0's database users, `auth0|<24 hex>`: `|` fits no client ID, topic level or
 *   STS session name, which is why the Lambda derives a principal ID from them;
 * - groups come in a namespaced claim, `https://example.com/groups`, a JSON array (what an Auth0
 *   Action adds with `api.accessToken.setCustomClaim`), present and `[]` for a user in no group;
 * - access tokens are for an API: `aud` is the API's identifier (`https://mqtt.local.example`), the
 *   app is in `azp` and `client_id` (RFC 9068), and `scope` is a space-separated string; ID tokens'
 *   `aud` is the app's client id, so an ID token sent to the API is refused, as with Auth0.
 *
 * Served under the issuer: the discovery document (`.well-known/openid-configuration`), the JWKS
 * (`jwks.json`) and the token endpoint (`token`).
 *
 * Sign-in is the OAuth 2.0 password grant (RFC 6749 section 4.3): any username, the one local
 * password, client id `local`. Real providers sign browsers in with Authorization Code + PKCE; the
 * password grant only keeps the local demo free of redirects and login pages. There is no
 * authorization endpoint, which RFC 8414 allows when no supported grant type uses one.
 *
 * Refresh: with the `offline_access` scope the answer carries a refresh token, which the
 * `refresh_token` grant exchanges for new tokens. Like the Cognito stand-in's, it is stateless (the
 * username, scope and expiry, MACed with a key fixed in this file), so it outlives a restart.
 *
 * Keys: an RSA key signs every token the endpoint issues. The JWKS also publishes an EC P-256 key
 * that signs nothing the endpoint issues: it lets tests mint an ES256 token whose key the issuer
 * does publish, and so show that the JWT authorizer refuses it for its algorithm alone, as API
 * Gateway (RSA only) does.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { calculateJwkThumbprint, exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JSONWebKeySet, type JWK } from 'jose';
import { describeValue } from '../lambda/signing/errors.js';
import { LOCAL_PASSWORD } from './cognito.js';
import { BodyTooLargeError, pathOf, readBody, sendJson } from './http-io.js';
import { GroupDirectory, type UserGroups } from './user-groups.js';
import { canonicalUsername, COGNITO_NAME_PATTERN } from './usernames.js';
import { isRecord, openSealedToken, sealingKey, sealToken } from './sealed-token.js';

/** The issuer's path under the local stack's origin: with a trailing slash, as Auth0's. */
export const OIDC_ISSUER_PATH = '/oidc/';
/** The local API's identifier: the access tokens' `aud`, the authorizer's audience. */
export const LOCAL_OIDC_AUDIENCE = 'https://mqtt.local.example';
/** The local app's client id (`azp`, `client_id`, and the ID tokens' `aud`). */
export const LOCAL_OIDC_CLIENT_ID = 'local';
/** The namespaced claim that carries the user's groups, a JSON array, as an Auth0 Action adds it. */
export const LOCAL_OIDC_GROUPS_CLAIM = 'https://example.com/groups';
/** The scope granted when a request names none. */
export const DEFAULT_OIDC_SCOPE = 'openid profile email';

const MAX_BODY_BYTES = 16 * 1024;
/** RFC 6749 appendix A.4: a scope token is one or more of %x21 / %x23-5B / %x5D-7E. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const MAX_SCOPE_LENGTH = 1024;
/** Auth0's default refresh token lifetime without rotation: 30 days, as the Cognito stand-in's. */
const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;
/** The refresh tokens' MAC key: fixed, so tokens survive a restart (see the module comment). */
const REFRESH_KEY = sealingKey('aws-signv4-mqtt local OIDC issuer refresh tokens');

/** Options of {@link LocalOidcIssuer.create}. */
export interface LocalOidcIssuerOptions {
  /** The `iss` of every token, e.g. `http://127.0.0.1:3000/oidc/`: http(s), ending with `/`. */
  readonly issuer: string;
  /**
   * The API identifier put in the access tokens' `aud`.
   * @default LOCAL_OIDC_AUDIENCE
   */
  readonly audience?: string;
  /**
   * The only client id accepted at the token endpoint.
   * @default LOCAL_OIDC_CLIENT_ID
   */
  readonly clientId?: string;
  /**
   * Lifetime of access and ID tokens, in seconds.
   * @default 3600
   */
  readonly tokenTtlSeconds?: number;
  /**
   * The clock used for `iat` and `exp`.
   * @default - the system clock
   */
  readonly now?: () => Date;
  /**
   * Who is in which group (`user-groups.ts`): their tokens carry the groups in
   * {@link LOCAL_OIDC_GROUPS_CLAIM}.
   * @default - nobody is in any group
   */
  readonly userGroups?: UserGroups;
}

/** An OAuth 2.0 error (RFC 6749 section 5.2), answered as `{ error, error_description }`. */
export class OidcTokenError extends Error {
  override readonly name = 'OidcTokenError';

  /**
   * @param error the RFC 6749 error code, e.g. `invalid_grant`
   * @param message the `error_description`, safe to show (never a token or a password)
   * @param status the HTTP status: 400, or 401 for `invalid_client`
   */
  constructor(
    readonly error: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type' | 'invalid_scope',
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** The token endpoint's successful answer (RFC 6749 section 5.1; `id_token` when `openid` was granted). */
export interface OidcTokenResponse {
  readonly access_token: string;
  readonly id_token?: string;
  readonly refresh_token?: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope: string;
}

/** What {@link LocalOidcIssuer.mint} signs, for tests. */
export interface MintOptions {
  /**
   * Whose token: the sub and the groups follow from the username.
   * @default 'alice'
   */
  readonly username?: string;
  /**
   * `RS256` signs with the issuer's RSA key; `ES256` with the EC key its JWKS also publishes;
   * `HS256` with the RSA public key (in PEM) as the HMAC secret and the RSA key's `kid`: the
   * algorithm-confusion forgery.
   * @default 'RS256'
   */
  readonly alg?: 'RS256' | 'ES256' | 'HS256';
  /**
   * Claims set over an access token's own; a claim given as `undefined` is left out (a token
   * without `aud`, say).
   * @default - none
   */
  readonly claims?: Readonly<Record<string, unknown>>;
  /**
   * Sign without a `kid` in the header (API Gateway requires one).
   * @default false
   */
  readonly withoutKid?: boolean;
}

/**
 * The issuer's stable sub for a username, shaped as Auth0's database users' (`auth0|` and 24 hex
 * digits), derived from the username so a user keeps the sub (and so the principal ID) across
 * restarts. Usernames compare case-insensitively, as the Cognito stand-in's do.
 */
export function auth0SubForUsername(username: string): string {
  const digest = createHash('sha256').update(`local-oidc-issuer\0${canonicalUsername(username)}`).digest('hex');
  return `auth0|${digest.slice(0, 24)}`;
}

/** An http(s) URL, written as the URL parser writes it back, ending with `/`, without query or fragment. */
function isIssuerUrl(value: unknown): boolean {
  if (typeof value !== 'string' || !value.endsWith('/')) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.search === '' && url.hash === '' && url.username === '' && url.href === value;
  } catch {
    return false;
  }
}

/**
 * Checks and normalises a requested scope: space-separated RFC 6749 scope tokens, each once.
 * @throws OidcTokenError `invalid_scope` naming what was received
 */
function parseScope(requested: string | undefined): string {
  if (requested === undefined || requested.trim() === '') return DEFAULT_OIDC_SCOPE;
  const tokens = requested.split(' ').filter((token) => token !== '');
  if (requested.length > MAX_SCOPE_LENGTH || !tokens.every((token) => SCOPE_TOKEN.test(token))) {
    throw new OidcTokenError('invalid_scope', `scope must be space-separated scope tokens of printable ASCII, at most ${MAX_SCOPE_LENGTH} characters (received ${describeValue(requested)})`);
  }
  return [...new Set(tokens)].join(' ');
}

/** The issuer. Create it with {@link LocalOidcIssuer.create} (key generation is asynchronous). */
export class LocalOidcIssuer {
  readonly #rsaKey: CryptoKey;
  readonly #rsaKid: string;
  readonly #ecKey: CryptoKey;
  readonly #ecKid: string;
  readonly #hmacSecret: Uint8Array;
  readonly #jwks: JSONWebKeySet;
  readonly #groups: GroupDirectory;
  readonly #now: () => Date;
  /** The exact `iss` of every token, with its trailing slash. */
  readonly issuer: string;
  /** The access tokens' `aud`: the API identifier the authorizer must accept. */
  readonly audience: string;
  /** The accepted client id. */
  readonly clientId: string;
  /** The claim that holds the groups. */
  readonly groupsClaim = LOCAL_OIDC_GROUPS_CLAIM;
  /** Token lifetime in seconds. */
  readonly tokenTtlSeconds: number;
  /** `<issuer>.well-known/openid-configuration`. */
  readonly discoveryUrl: string;
  /** `<issuer>jwks.json`. */
  readonly jwksUri: string;
  /** `<issuer>token`. */
  readonly tokenEndpoint: string;

  private constructor(
    options: LocalOidcIssuerOptions,
    groups: GroupDirectory,
    keys: { rsaKey: CryptoKey; rsaKid: string; ecKey: CryptoKey; ecKid: string; hmacSecret: Uint8Array; jwks: JSONWebKeySet },
  ) {
    this.issuer = options.issuer;
    this.audience = options.audience ?? LOCAL_OIDC_AUDIENCE;
    this.clientId = options.clientId ?? LOCAL_OIDC_CLIENT_ID;
    this.tokenTtlSeconds = options.tokenTtlSeconds ?? 3600;
    this.#now = options.now ?? (() => new Date());
    this.#groups = groups;
    this.#rsaKey = keys.rsaKey;
    this.#rsaKid = keys.rsaKid;
    this.#ecKey = keys.ecKey;
    this.#ecKid = keys.ecKid;
    this.#hmacSecret = keys.hmacSecret;
    this.#jwks = keys.jwks;
    this.discoveryUrl = `${this.issuer}.well-known/openid-configuration`;
    this.jwksUri = `${this.issuer}jwks.json`;
    this.tokenEndpoint = `${this.issuer}token`;
  }

  /**
   * Generates the key pairs and returns the issuer.
   * @throws RangeError when the issuer is not an http(s) URL ending with `/` without query or
   *   fragment, the audience or client id is empty, or `tokenTtlSeconds` is not 60..86400
   * @throws UserGroupsError when `userGroups` is not a valid membership map
   */
  static async create(options: LocalOidcIssuerOptions): Promise<LocalOidcIssuer> {
    if (!isIssuerUrl(options.issuer)) {
      throw new RangeError(`issuer must be an http(s) URL ending with "/" and without query or fragment (received ${describeValue(options.issuer)})`);
    }
    for (const [name, value] of [['audience', options.audience], ['clientId', options.clientId]] as const) {
      if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) throw new RangeError(`${name} must be a non-empty string (received ${describeValue(value)})`);
    }
    const ttl = options.tokenTtlSeconds ?? 3600;
    if (!Number.isInteger(ttl) || ttl < 60 || ttl > 86_400) {
      throw new RangeError(`tokenTtlSeconds must be a whole number from 60 to 86400 (received ${describeValue(ttl)})`);
    }
    const groups = GroupDirectory.from(options.userGroups ?? {}, 'userGroups');
    const rsa = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const ec = await generateKeyPair('ES256', { extractable: true });
    const rsaJwk = await exportJWK(rsa.publicKey);
    const ecJwk = await exportJWK(ec.publicKey);
    const rsaKid = await calculateJwkThumbprint(rsaJwk);
    const ecKid = await calculateJwkThumbprint(ecJwk);
    // The forger's HMAC secret is the public key in PEM, as in the classic algorithm-confusion
    // attack on verifiers that take the algorithm from the token.
    const hmacSecret = new TextEncoder().encode(await exportSPKI(rsa.publicKey));
    const jwks: JSONWebKeySet = {
      keys: [
        { ...rsaJwk, kid: rsaKid, alg: 'RS256', use: 'sig' } as JWK,
        { ...ecJwk, kid: ecKid, alg: 'ES256', use: 'sig' } as JWK,
      ],
    };
    return new LocalOidcIssuer(options, groups, { rsaKey: rsa.privateKey, rsaKid, ecKey: ec.privateKey, ecKid, hmacSecret, jwks });
  }

  /** The user's sub (`auth0|<24 hex>`). */
  subjectOf(username: string): string {
    return auth0SubForUsername(username);
  }

  /** The groups of the user who signs in as `username` (any case), as the groups claim holds them. */
  groupsOf(username: string): readonly string[] {
    return this.#groups.groupsOf(username);
  }

  /** The public keys: the RSA key that signs, and the EC key that signs nothing issued here. */
  jwks(): JSONWebKeySet {
    return this.#jwks;
  }

  /** The OpenID Provider metadata served at `<issuer>.well-known/openid-configuration`. */
  discovery(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      token_endpoint: this.tokenEndpoint,
      jwks_uri: this.jwksUri,
      // No authorization endpoint: no supported grant type uses one (RFC 8414 section 2).
      grant_types_supported: ['password', 'refresh_token'],
      response_types_supported: [],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['none'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'azp', 'client_id', 'scope', 'name', 'nickname', this.groupsClaim],
    };
  }

  /**
   * Answers one token request's parameters (`grant_type` `password` or `refresh_token`).
   * @throws OidcTokenError as RFC 6749 section 5.2 describes, naming the value at fault (never a
   *   password or a token)
   */
  async token(parameters: Readonly<Record<string, string | undefined>>): Promise<OidcTokenResponse> {
    const { grant_type: grantType, client_id: clientId } = parameters;
    if (grantType !== 'password' && grantType !== 'refresh_token') {
      throw new OidcTokenError('unsupported_grant_type', `grant_type must be password or refresh_token (received ${describeValue(grantType)})`);
    }
    if (clientId === undefined || clientId === '') throw new OidcTokenError('invalid_request', 'client_id is missing');
    if (clientId !== this.clientId) throw new OidcTokenError('invalid_client', `Unknown client ${describeValue(clientId)}`, 401);
    if (parameters['audience'] !== undefined && parameters['audience'] !== this.audience) {
      throw new OidcTokenError('invalid_request', `Service not found: ${describeValue(parameters['audience'])} (this issuer serves ${JSON.stringify(this.audience)})`);
    }
    if (grantType === 'refresh_token') {
      const token = parameters['refresh_token'];
      if (token === undefined || token === '') throw new OidcTokenError('invalid_request', 'refresh_token is missing');
      const { username, scope } = this.#fromRefreshToken(token);
      return this.#issue(username, scope, false);
    }
    const { username, password } = parameters;
    if (username === undefined || username === '') throw new OidcTokenError('invalid_request', 'username is missing');
    if (password === undefined || password === '') throw new OidcTokenError('invalid_request', 'password is missing');
    if (!COGNITO_NAME_PATTERN.test(username)) {
      throw new OidcTokenError('invalid_request', `username must be 1 to 128 letters, marks, symbols, digits or punctuation, no white space (received ${describeValue(username)})`);
    }
    // Auth0's own wording for a failed password grant.
    if (password !== LOCAL_PASSWORD) throw new OidcTokenError('invalid_grant', 'Wrong email or password.');
    return this.#issue(username, parseScope(parameters['scope']), true);
  }

  /**
   * Signs an access token for tests, by default exactly as the token endpoint would issue it.
   * Never used by the endpoint itself.
   */
  async mint(options: MintOptions = {}): Promise<string> {
    const username = options.username ?? 'alice';
    const iat = Math.floor(this.#now().getTime() / 1000);
    const claims: Record<string, unknown> = { ...this.#accessClaims(username, DEFAULT_OIDC_SCOPE, iat), ...options.claims };
    for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
    const alg = options.alg ?? 'RS256';
    const kid = alg === 'ES256' ? this.#ecKid : this.#rsaKid;
    const jwt = new SignJWT(claims).setProtectedHeader(options.withoutKid === true ? { alg, typ: 'at+jwt' } : { alg, kid, typ: 'at+jwt' });
    if (alg === 'ES256') return jwt.sign(this.#ecKey);
    if (alg === 'HS256') return jwt.sign(this.#hmacSecret);
    return jwt.sign(this.#rsaKey);
  }

  /** An access token's claims (RFC 9068 plus Auth0's `azp` and the groups claim). */
  #accessClaims(username: string, scope: string, iat: number): Record<string, unknown> {
    return {
      iss: this.issuer,
      sub: auth0SubForUsername(username),
      aud: this.audience,
      iat,
      exp: iat + this.tokenTtlSeconds,
      jti: randomUUID(),
      client_id: this.clientId,
      azp: this.clientId,
      scope,
      [this.groupsClaim]: [...this.#groups.groupsOf(username)],
    };
  }

  async #issue(username: string, scope: string, fromPassword: boolean): Promise<OidcTokenResponse> {
    const iat = Math.floor(this.#now().getTime() / 1000);
    const granted = scope.split(' ');
    const accessToken = await new SignJWT(this.#accessClaims(username, scope, iat))
      .setProtectedHeader({ alg: 'RS256', kid: this.#rsaKid, typ: 'at+jwt' })
      .sign(this.#rsaKey);
    const idToken = granted.includes('openid')
      ? await new SignJWT({
        iss: this.issuer,
        sub: auth0SubForUsername(username),
        aud: this.clientId,
        iat,
        exp: iat + this.tokenTtlSeconds,
        nickname: username,
        name: username,
        [this.groupsClaim]: [...this.#groups.groupsOf(username)],
      })
        .setProtectedHeader({ alg: 'RS256', kid: this.#rsaKid, typ: 'JWT' })
        .sign(this.#rsaKey)
      : undefined;
    // As Auth0 without rotation: a refresh token for offline_access at sign-in, none on refresh.
    const refreshToken = fromPassword && granted.includes('offline_access') ? this.#refreshToken(username, scope, iat) : undefined;
    return {
      access_token: accessToken,
      ...(idToken === undefined ? {} : { id_token: idToken }),
      ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
      token_type: 'Bearer',
      expires_in: this.tokenTtlSeconds,
      scope,
    };
  }

  /** A sealed `{u, s, c, i, exp}` (`sealed-token.ts`). */
  #refreshToken(username: string, scope: string, iat: number): string {
    return sealToken(REFRESH_KEY, { u: username, s: scope, c: this.clientId, i: this.issuer, exp: iat + REFRESH_TOKEN_TTL_SECONDS });
  }

  /** @throws OidcTokenError `invalid_grant` for a forged, foreign or expired refresh token */
  #fromRefreshToken(token: string): { username: string; scope: string } {
    const invalid = new OidcTokenError('invalid_grant', 'Unknown or invalid refresh token.');
    const claims = openSealedToken(REFRESH_KEY, token);
    if (claims === undefined || typeof claims['u'] !== 'string' || typeof claims['s'] !== 'string' || claims['c'] !== this.clientId || claims['i'] !== this.issuer || typeof claims['exp'] !== 'number') {
      throw invalid;
    }
    if (claims['exp'] <= this.#now().getTime() / 1000) throw new OidcTokenError('invalid_grant', 'The refresh token has expired.');
    return { username: claims['u'], scope: claims['s'] };
  }

  /** The request's path relative to the issuer (`token`, `jwks.json`, …), or `undefined` when outside it. */
  #relativePath(request: IncomingMessage): string | undefined {
    const base = new URL(this.issuer).pathname;
    const path = pathOf(request);
    return path.startsWith(base) ? path.slice(base.length) : undefined;
  }

  /** Whether {@link handleHttp} answers this request's path (anything under the issuer's path). */
  owns(request: IncomingMessage): boolean {
    return this.#relativePath(request) !== undefined;
  }

  /**
   * HTTP adapter for everything under the issuer: `GET` discovery and JWKS, `POST token`
   * (`application/x-www-form-urlencoded` as RFC 6749 requires, or JSON, which Auth0 also takes).
   * Token answers carry `Cache-Control: no-store` (RFC 6749 section 5.1).
   */
  async handleHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const relative = this.#relativePath(request);
    const method = request.method ?? 'GET';
    if (relative === '.well-known/openid-configuration' || relative === 'jwks.json') {
      if (method !== 'GET' && method !== 'HEAD') {
        sendJson(response, 405, { error: 'method_not_allowed' }, { allow: 'GET, HEAD' });
        return;
      }
      sendJson(response, 200, relative === 'jwks.json' ? this.jwks() : this.discovery(), { 'cache-control': 'max-age=300' });
      return;
    }
    if (relative !== 'token') {
      sendJson(response, 404, { error: 'not_found', error_description: `The local OIDC issuer serves ${this.discoveryUrl}, ${this.jwksUri} and ${this.tokenEndpoint}` });
      return;
    }
    const noStore = { 'cache-control': 'no-store', pragma: 'no-cache' };
    try {
      if (method !== 'POST') throw new OidcTokenError('invalid_request', `The token endpoint takes POST (received ${describeValue(method)})`);
      const parameters = await this.#readParameters(request);
      sendJson(response, 200, await this.token(parameters), noStore);
    } catch (error) {
      const fault = error instanceof OidcTokenError ? error : undefined;
      if (fault === undefined) {
        sendJson(response, 500, { error: 'server_error', error_description: 'Internal error in the local OIDC issuer' }, noStore);
        return;
      }
      sendJson(response, fault.status, { error: fault.error, error_description: fault.message }, noStore);
    }
  }

  /** @throws OidcTokenError `invalid_request` for another content type, a body too large or malformed */
  async #readParameters(request: IncomingMessage): Promise<Record<string, string | undefined>> {
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    let body: string;
    try {
      body = (await readBody(request, MAX_BODY_BYTES)).toString('utf8');
    } catch (error) {
      if (error instanceof BodyTooLargeError) throw new OidcTokenError('invalid_request', `The request body is larger than ${MAX_BODY_BYTES} bytes`, 413);
      throw error;
    }
    if (contentType === 'application/x-www-form-urlencoded') {
      const form = new URLSearchParams(body);
      const parameters: Record<string, string | undefined> = {};
      for (const name of new Set(form.keys())) {
        // RFC 6749 section 3.2: parameters MUST NOT be included more than once.
        if (form.getAll(name).length > 1) throw new OidcTokenError('invalid_request', `${name} is repeated`);
        parameters[name] = form.get(name) ?? undefined;
      }
      return parameters;
    }
    if (contentType === 'application/json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        throw new OidcTokenError('invalid_request', 'The request body is not valid JSON');
      }
      if (!isRecord(parsed)) throw new OidcTokenError('invalid_request', `The request body must be a JSON object (received ${describeValue(parsed)})`);
      const parameters: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(parsed)) {
        if (typeof value !== 'string') throw new OidcTokenError('invalid_request', `${name} must be a string (received ${describeValue(value)})`);
        parameters[name] = value;
      }
      return parameters;
    }
    throw new OidcTokenError('invalid_request', `Content-Type must be application/x-www-form-urlencoded (received ${describeValue(contentType)})`);
  }
}

/** The issuer URL of a local stack at `origin` (`http://127.0.0.1:<port>`): `<origin>/oidc/`. */
export function localOidcIssuerUrl(origin: string): string {
  return `${origin}${OIDC_ISSUER_PATH}`;
}
