/**
 * The Lambda's own verification of the bearer token, in issuer mode with `${group}` templates:
 * API Gateway's payload 2.0 hands the integration every claim as a Go-formatted string (`[a b]`,
 * `map[k:v]`), from which group names with spaces or nested claims cannot be read back
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html),
 * so groups are read from a payload this module verified with aws-jwt-verify, AWS's JWT library
 * (https://github.com/awslabs/aws-jwt-verify).
 *
 * The checks mirror the JWT authorizer's
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html):
 * - an RSA signature (RS256, RS384, RS512) by a key of the issuer's JWKS, as API Gateway accepts RSA
 *   only; the header's `alg` is checked before any key is looked up;
 * - `iss` exactly the configured issuer;
 * - `aud` naming one of the audiences, or, only when the token has no `aud`, `client_id` naming one;
 * - `exp` present and not past, `nbf` (when present) not ahead.
 *
 * The JWKS is cached per instance by aws-jwt-verify (refetched, rate-limited, when a token names an
 * unknown `kid`, i.e. after a key rotation), from `JWKS_URI` or the issuer's discovery document, and
 * fetched at cold start by {@link TokenVerifier.hydrate}.
 */
import { JwtVerifier } from 'aws-jwt-verify';
import {
  FetchError,
  JwksValidationError,
  JwtBaseError,
  JwtExpiredError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  JwtWithoutValidKidError,
  KidNotFoundInJwksError,
  WaitPeriodNotYetEndedJwkError,
} from 'aws-jwt-verify/error';
import { SimpleJwksCache, type Jwks } from 'aws-jwt-verify/jwk';
import type { JwtHeader, JwtPayload } from 'aws-jwt-verify/jwt-model';
import { describeValue } from '../signing/errors.js';
import { IdentityProviderUnavailableError, TokenVerificationError } from './errors.js';
import { discoverJwksUri, httpGet, jwksFetcher, type HttpGet } from './oidc-fetch.js';

/** A verified token's payload: JSON, as the issuer signed it. */
export type VerifiedPayload = Readonly<Record<string, unknown>>;

/** Verifies bearer tokens for one issuer. Injectable through `HandlerDependencies` (tests, benchmarks). */
export interface TokenVerifier {
  /**
   * Fetches what verification needs (the discovery document and the JWKS), so the first request does
   * not wait for it. Called once at cold start; a failure is not fatal (each `verify` retries).
   */
  hydrate(): Promise<void>;
  /**
   * Verifies a compact JWS and resolves with its payload.
   *
   * @throws TokenVerificationError (401) when the token is not valid for this issuer and audiences
   * @throws IdentityProviderUnavailableError (503) when the issuer's discovery document or keys
   *   cannot be fetched
   */
  verify(token: string): Promise<VerifiedPayload>;
}

/** Options of {@link createOidcTokenVerifier}. */
export interface OidcTokenVerifierOptions {
  /** The exact `iss` (`ISSUER_URL`). */
  readonly issuer: string;
  /** The accepted audiences (`AUDIENCES`): `aud`, else `client_id`, must name one. */
  readonly audiences: readonly string[];
  /**
   * Where the keys are (`JWKS_URI`).
   * @default - the `jwks_uri` of the issuer's discovery document
   */
  readonly jwksUri?: string | undefined;
  /**
   * How documents are fetched from the issuer.
   * @default - `httpGet`: https, or http for loopback hosts; bounded in time and size
   */
  readonly get?: HttpGet | undefined;
  /**
   * Fixed keys (tests, benchmarks): nothing is ever fetched, neither discovery nor a JWKS, and
   * `jwksUri` and `get` are ignored.
   * @default - none: the keys are fetched from the JWKS URI
   */
  readonly jwks?: Jwks | undefined;
}

// The JWKS cache's key for fixed keys: never fetched, since their fetcher answers the keys themselves.
// Stryker disable next-line StringLiteral: any key would do, the fixed keys' fetcher ignores it
const GIVEN_JWKS_URI = 'urn:aws-signv4-mqtt:given-jwks';

/** The JWS algorithms API Gateway's JWT authorizer accepts, and so the only ones accepted here. */
export const RSA_ALGORITHMS: readonly string[] = Object.freeze(['RS256', 'RS384', 'RS512']);

/**
 * A {@link TokenVerifier} for an OIDC issuer, on aws-jwt-verify's `JwtVerifier` with a JWKS cache
 * that fetches through {@link OidcTokenVerifierOptions.get}. The JWKS URI is resolved once (a failed
 * discovery is retried by the next call).
 */
export function createOidcTokenVerifier(options: OidcTokenVerifierOptions): TokenVerifier {
  const { issuer } = options;
  const audiences = new Set(options.audiences);
  const given = options.jwks;
  const get: HttpGet = given === undefined ? (options.get ?? httpGet) : async () => new TextEncoder().encode(JSON.stringify(given)).buffer as ArrayBuffer;
  const configuredJwksUri = given === undefined ? options.jwksUri : GIVEN_JWKS_URI;
  const jwksCache = new SimpleJwksCache({ fetcher: jwksFetcher(get) });
  const customJwtCheck = ({ header, payload, jwk }: { header: JwtHeader; payload: JwtPayload; jwk: { kty?: unknown } }): void => {
    if (jwk.kty !== 'RSA') throw new TokenVerificationError(`the token was verified with a key of type ${describeValue(jwk.kty)}, not RSA`);
    checkAlgorithm(header.alg);
    if (typeof payload.exp !== 'number') throw new TokenVerificationError('the token has no numeric exp claim');
    checkAudience(payload, audiences);
  };
  type Verifier = ReturnType<typeof createVerifier>;
  const createVerifier = (jwksUri: string) => JwtVerifier.create({ issuer, jwksUri, audience: null, customJwtCheck }, { jwksCache });
  let pending: Promise<Verifier> | undefined;
  const verifierReady = (): Promise<Verifier> => {
    if (pending === undefined) {
      const started = (async () => createVerifier(configuredJwksUri ?? (await discoverJwksUri(issuer, get))))();
      // A failed discovery is forgotten, so the next request tries again rather than failing forever.
      started.catch(() => {
        pending = undefined;
      });
      pending = started;
    }
    return pending;
  };

  return {
    async hydrate() {
      await (await verifierReady()).hydrate();
    },
    async verify(token) {
      checkAlgorithm(algorithmOf(token));
      const verifier = await verifierReady();
      try {
        return (await verifier.verify(token)) as VerifiedPayload;
      } catch (error) {
        throw verificationFailure(error);
      }
    },
  };
}

function checkAlgorithm(alg: unknown): void {
  if (!RSA_ALGORITHMS.includes(alg as string)) {
    throw new TokenVerificationError(`the token's alg ${describeValue(alg)} is not one of ${RSA_ALGORITHMS.join(', ')} (API Gateway accepts RSA only)`);
  }
}

/** What {@link algorithmOf} answers for a header that is not JSON. */
const UNREADABLE_HEADER = '(unreadable header)';

/** The `alg` of a compact JWS's header: its value, `undefined` when absent, or {@link UNREADABLE_HEADER}. */
function algorithmOf(token: string): unknown {
  try {
    return (JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8')) as { alg?: unknown } | null)?.alg;
  } catch {
    return UNREADABLE_HEADER;
  }
}

/** `aud` must name an accepted audience; without `aud`, `client_id` must (API Gateway's rule). */
function checkAudience(payload: JwtPayload, audiences: ReadonlySet<string>): void {
  const aud: unknown = payload.aud;
  if (aud !== undefined) {
    const named: unknown[] = Array.isArray(aud) ? aud : [aud];
    if (!named.some((entry) => audiences.has(entry as string))) {
      throw new TokenVerificationError(`the token's aud names none of the ${audiences.size} accepted audiences`);
    }
    return;
  }
  const clientId: unknown = payload['client_id'];
  if (!audiences.has(clientId as string)) {
    throw new TokenVerificationError(`the token has no aud, and its client_id names none of the ${audiences.size} accepted audiences`);
  }
}

/**
 * The project's error for a failed verification: ours (thrown by the fetcher or the custom check) as
 * they are; aws-jwt-verify's fetch and JWKS
 * problems as the issuer being unavailable (503); every other aws-jwt-verify refusal as 401, by its
 * name only (its messages may quote claims). Anything else is a bug and is thrown as it is.
 */
function verificationFailure(error: unknown): unknown {
  if (error instanceof FetchError || error instanceof JwksValidationError) {
    return new IdentityProviderUnavailableError(`the issuer's keys could not be fetched or read (${error.name})`, { cause: error });
  }
  if (error instanceof JwtBaseError) return new TokenVerificationError(`the token failed verification: ${refusalOf(error)}`, { cause: error });
  return error;
}

// aws-jwt-verify's classes leave `name` as "Error" (and a minified bundle renames classes), so the
// log says which check failed in words of its own.
const REFUSALS: readonly (readonly [abstract new (...args: never[]) => JwtBaseError, string])[] = [
  [JwtInvalidSignatureError, 'invalid signature'],
  [JwtInvalidSignatureAlgorithmError, "the alg does not match its key's"],
  [JwtExpiredError, 'expired'],
  [JwtNotBeforeError, 'not valid yet (nbf)'],
  [JwtInvalidIssuerError, 'another issuer'],
  [KidNotFoundInJwksError, "its kid is not in the issuer's JWKS"],
  [WaitPeriodNotYetEndedJwkError, "its kid is not in the issuer's JWKS"],
  [JwtWithoutValidKidError, 'no kid in its header'],
  [JwtParseError, 'malformed'],
];

function refusalOf(error: JwtBaseError): string {
  return REFUSALS.find(([type]) => error instanceof type)?.[1] ?? 'refused';
}
