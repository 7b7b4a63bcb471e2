/**
 * Test helpers for issuer (OIDC) mode: an RSA signing key and its JWKS, tokens signed with `jose`
 * (not the library under test), a loopback http server for the discovery document and the JWKS, and
 * payload 2.0 events that carry the token in `Authorization` and its claims flattened as API Gateway
 * flattens them (`[a b]`, `map[k:v]`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';

/** A key `jose` signs with (a CryptoKey, a KeyObject, or an HMAC secret's bytes). */
export type PrivateKey = Parameters<SignJWT['sign']>[0];
import { mqttUrlEvent } from './helpers.js';

/** An Auth0-style issuer: its `iss` ends with a slash. */
export const AUTH0_ISSUER = 'https://example.us.auth0.com/';
/** The Auth0 API audience the tokens name. */
export const AUTH0_AUDIENCE = 'https://mqtt.example.com';
/** An Auth0 database user's sub: `|` is in none of IoT's allowed client ID or session name sets. */
export const AUTH0_SUB = 'auth0|64f1a2b3c4d5e6f7a8b9c0d1';
/** Its principal ID, as Python's `uuid.uuid5(uuid.NAMESPACE_URL, AUTH0_ISSUER + '#' + AUTH0_SUB)` gives it. */
export const AUTH0_PRINCIPAL = '0b5c7775-5442-5885-a5a7-be35e661200b';
/** The namespaced claim Auth0 actions put groups in. */
export const NAMESPACED_GROUPS_CLAIM = 'https://example.com/groups';

/** An RSA key pair whose public half is published in a JWKS under `kid`. */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: PrivateKey;
  readonly publicJwk: JWK;
}

/** A fresh RS256 key with the given `kid`. */
export async function rsaKey(kid: string, alg: 'RS256' | 'RS384' | 'RS512' = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** The JWKS of some keys. */
export function jwksOf(...keys: SigningKey[]): { keys: JWK[] } {
  return { keys: keys.map((key) => key.publicJwk) };
}

/** Options of {@link signToken}. */
export interface TokenOptions {
  readonly alg?: string;
  readonly kid?: string;
  /** Seconds from now until `exp`; `null` for no `exp` at all. */
  readonly expiresInSeconds?: number | null;
}

/**
 * A compact JWS of `claims` signed with `key` (RS256 unless told), with `iat` and `exp` (one hour)
 * unless `claims` sets them.
 */
export async function signToken(key: { readonly kid: string; readonly privateKey: PrivateKey }, claims: JWTPayload, options: TokenOptions = {}): Promise<string> {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const expiresIn = options.expiresInSeconds === undefined ? 3600 : options.expiresInSeconds;
  const body: JWTPayload = { iat: nowSeconds, ...(expiresIn === null ? {} : { exp: nowSeconds + expiresIn }), ...claims };
  return new SignJWT(body).setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? key.kid, typ: 'JWT' }).sign(key.privateKey);
}

/** The claims of an Auth0 access token for `sub` with `groups` in the namespaced claim. */
export function auth0Claims(sub: string = AUTH0_SUB, groups?: unknown): JWTPayload {
  return {
    iss: AUTH0_ISSUER,
    sub,
    aud: [AUTH0_AUDIENCE, 'https://example.us.auth0.com/userinfo'],
    azp: 'spa-client-id',
    scope: 'openid profile',
    ...(groups === undefined ? {} : { [NAMESPACED_GROUPS_CLAIM]: groups }),
  };
}

/** A claim value as API Gateway's payload 2.0 hands it over: Go's `fmt` form. */
export function goFormat(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goFormat).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([name, inner]) => `${name}:${goFormat(inner)}`).join(' ')}]`;
  }
  return String(value);
}

/** Claims flattened to strings, as the JWT authorizer passes them. */
export function flattenedClaims(claims: JWTPayload): Record<string, string> {
  return Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined).map(([name, value]) => [name, goFormat(value)]));
}

/** Options of {@link oidcEvent}. */
export interface OidcEventOptions {
  /** The `Authorization` header's value; `undefined` for no header. */
  readonly authorization?: string | undefined;
  /** Extra headers (a second `Authorization` with other letter case, say). */
  readonly headers?: Record<string, string>;
  /** The query. */
  readonly query?: Record<string, string>;
}

/**
 * A payload 2.0 event whose authorizer verified `token`: its claims flattened from `claims` (what the
 * authorizer saw), and `Authorization: Bearer <token>` unless told otherwise.
 */
export function oidcEvent(token: string, claims: JWTPayload, options: OidcEventOptions = {}): APIGatewayProxyEventV2WithJWTAuthorizer {
  const event = mqttUrlEvent(flattenedClaims(claims), options.query);
  const authorization = 'authorization' in options ? options.authorization : `Bearer ${token}`;
  const headers: Record<string, string> = { ...event.headers, ...(authorization === undefined ? {} : { authorization }), ...options.headers };
  return { ...event, headers };
}

/** A loopback http server with an issuer's discovery document and JWKS, counting its requests. */
export interface IssuerServer {
  /** `http://127.0.0.1:<port>/` plus `path`: the issuer, as its tokens' `iss`. */
  readonly issuer: string;
  /** The JWKS URI the discovery document names. */
  readonly jwksUri: string;
  /** Requests served, by path. */
  readonly requests: string[];
  /** Replaces the published keys (a rotation). */
  setKeys(keys: SigningKey[]): void;
  /** Makes every answer this status (a broken issuer). */
  failWith(status: number | undefined): void;
  /** Overrides the discovery document. */
  setDiscovery(document: unknown): void;
  close(): Promise<void>;
}

/** Starts an {@link IssuerServer} on 127.0.0.1; `issuerPath` is the issuer's path (with its trailing slash, if any). */
export async function startIssuerServer(keys: SigningKey[], issuerPath = '/tenant/'): Promise<IssuerServer> {
  let published = keys;
  let failure: number | undefined;
  let discovery: unknown;
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const path = request.url ?? '';
    requests.push(path);
    if (failure !== undefined) {
      response.writeHead(failure).end();
      return;
    }
    const base = issuerPath.replace(/\/$/, '');
    if (path === `${base}/.well-known/openid-configuration`) {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(discovery ?? { issuer: origin + issuerPath, jwks_uri: `${origin}${base}/.well-known/jwks.json` }));
      return;
    }
    if (path === `${base}/.well-known/jwks.json`) {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwksOf(...published)));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer: origin + issuerPath,
    jwksUri: `${origin}${issuerPath.replace(/\/$/, '')}/.well-known/jwks.json`,
    requests,
    setKeys: (next) => {
      published = next;
    },
    failWith: (status) => {
      failure = status;
    },
    setDiscovery: (document) => {
      discovery = document;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
