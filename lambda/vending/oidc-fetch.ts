/**
 * Fetching from the OIDC issuer: its discovery document and its keys (JWKS), for the Lambda's own
 * token verification. https everywhere; plain http only for loopback hosts (the local stack and
 * tests), which aws-jwt-verify's own fetcher cannot do (it only speaks https). No redirects are
 * followed (one could lead to plain http), bodies are bounded, and every fetch has a deadline well
 * inside the Lambda's timeout.
 */
import type { Fetcher } from 'aws-jwt-verify/https';
import { describeValue } from '../signing/errors.js';
import { isLoopbackHostname } from '../signing/validate.js';
import { IdentityProviderUnavailableError } from './errors.js';

/** Milliseconds one fetch from the issuer may take, answer included. */
export const OIDC_FETCH_TIMEOUT_MS = 3000;
/** The largest discovery document or JWKS accepted, in bytes (real ones are a few KB). */
export const OIDC_MAX_BODY_BYTES = 512 * 1024;

/** Fetches a URL's body (GET); rejects on any failure. Injectable for tests. */
export type HttpGet = (url: string) => Promise<ArrayBuffer>;

// Printable ASCII without spaces: the URL is used as given, never trimmed or re-encoded.
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
// A lower-case http(s) scheme, "//" and the first character of a host, as written (URL parsing forgives more).
const SCHEME_AND_HOST = /^https?:\/\/[^/]/;

/**
 * Why a URL may not be fetched from (`JWKS_URI`, a discovered `jwks_uri`), or `undefined`: an
 * absolute https URL without a fragment, or http for a loopback host.
 */
export function fetchableUrlProblem(text: string): string | undefined {
  let url: URL | undefined;
  try {
    url = PRINTABLE_ASCII.test(text) ? new URL(text) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || url.hostname === '' || !SCHEME_AND_HOST.test(text)) {
    return 'must be an absolute https URL of printable ASCII without spaces, starting with https:// and a host';
  }
  if (url.username !== '' || url.password !== '') return 'must not hold user information ("user@")';
  if (text.includes('#')) return 'must not hold a fragment ("#")';
  if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname)) return 'must use https (http only for loopback hosts: localhost, 127.0.0.0/8, [::1])';
  return undefined;
}

/**
 * The default {@link HttpGet}: Node's `fetch`, refusing URLs that {@link fetchableUrlProblem}
 * refuses, redirects, non-200 answers, slow answers and large bodies.
 *
 * @throws IdentityProviderUnavailableError for every failure (the message names the URL, never a body)
 */
export const httpGet: HttpGet = async (url) => {
  const problem = fetchableUrlProblem(url);
  if (problem !== undefined) throw new IdentityProviderUnavailableError(`refused to fetch ${describeValue(url)}: it ${problem}`);
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(OIDC_FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } });
  } catch (error) {
    throw new IdentityProviderUnavailableError(`could not fetch ${describeValue(url)} within ${OIDC_FETCH_TIMEOUT_MS} ms`, { cause: error });
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new IdentityProviderUnavailableError(`${describeValue(url)} answered ${response.status}, expected 200`);
  }
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > OIDC_MAX_BODY_BYTES) {
    await response.body?.cancel();
    throw new IdentityProviderUnavailableError(`${describeValue(url)} answered ${declared} bytes, more than ${OIDC_MAX_BODY_BYTES}`);
  }
  let body: ArrayBuffer;
  try {
    body = await response.arrayBuffer();
  } catch (error) {
    throw new IdentityProviderUnavailableError(`could not read the answer of ${describeValue(url)}`, { cause: error });
  }
  if (body.byteLength > OIDC_MAX_BODY_BYTES) throw new IdentityProviderUnavailableError(`${describeValue(url)} answered more than ${OIDC_MAX_BODY_BYTES} bytes`);
  return body;
};

/** aws-jwt-verify's {@link Fetcher} over an {@link HttpGet}, so its JWKS cache fetches as this module does. */
export function jwksFetcher(get: HttpGet): Fetcher {
  return { fetch: (uri) => get(uri) };
}

/**
 * The issuer's `jwks_uri`, from its discovery document at `<issuer without a trailing slash>/.well-known/openid-configuration`.
 * The document's `issuer` must be the configured issuer exactly, as OpenID Connect Discovery 1.0
 * requires of the client (https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfigurationValidation),
 * and its `jwks_uri` must be fetchable ({@link fetchableUrlProblem}).
 *
 * @throws IdentityProviderUnavailableError when the document cannot be fetched, parsed or trusted
 */
export async function discoverJwksUri(issuer: string, get: HttpGet = httpGet): Promise<string> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await get(url)));
  } catch (error) {
    if (error instanceof IdentityProviderUnavailableError) throw error;
    throw new IdentityProviderUnavailableError(`the discovery document ${describeValue(url)} is not JSON`, { cause: error });
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new IdentityProviderUnavailableError(`the discovery document ${describeValue(url)} is not a JSON object`);
  }
  const fields = document as Record<string, unknown>;
  if (fields['issuer'] !== issuer) {
    throw new IdentityProviderUnavailableError(`the discovery document ${describeValue(url)} names the issuer ${describeValue(fields['issuer'])}, not ISSUER_URL ${describeValue(issuer)}`);
  }
  const jwksUri = fields['jwks_uri'];
  const problem = typeof jwksUri === 'string' ? fetchableUrlProblem(jwksUri) : 'must be a string';
  if (problem !== undefined) throw new IdentityProviderUnavailableError(`the discovery document's jwks_uri ${problem} (received ${describeValue(jwksUri)})`);
  return jwksUri as string;
}
