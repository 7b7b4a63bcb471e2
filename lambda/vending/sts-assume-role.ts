/**
 * The AWS side of the credentials: STS `AssumeRole` through the SDK's `fromTemporaryCredentials`, and
 * the function's own credentials through the default chain. The only module that imports the SDK.
 *
 * Bounded in time: each attempt has a connection and a request timeout and there is one retry at
 * most, so a call always settles, within about 2 × (1 s + 2 s) + backoff ≈ 6.5 s (the SDK's defaults,
 * three attempts with no timeouts, can take far longer). A request does not wait that long: the
 * session cache answers it 503 at its own deadline (`credentials.ts`), while the call runs on as the
 * one call in flight for its `sub`.
 * The STS endpoint follows the SDK's standard configuration, so `AWS_ENDPOINT_URL_STS` points it at a
 * loopback stand-in in tests: https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
 */
import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { validateCredentials } from '../signing/validate.js';
import type { AssumeRole, SessionCredentials } from './credentials.js';
import { ConfigurationError, CredentialsUnavailableError } from './errors.js';

type StsClientConfig = NonNullable<Parameters<typeof fromTemporaryCredentials>[0]['clientConfig']>;

/** Options of {@link stsAssumeRole}. */
export interface StsAssumeRoleOptions {
  /** The STS client's region (the function's own). */
  readonly region: string;
  /** The credentials STS is called with: the function's own. */
  readonly masterCredentials: AwsCredentialIdentityProvider;
  /**
   * Attempts per call, the first included.
   * @default 2
   */
  readonly maxAttempts?: number;
  /**
   * Milliseconds to wait for a TCP/TLS connection.
   * @default 1000
   */
  readonly connectionTimeoutMs?: number;
  /**
   * Milliseconds an attempt may take once connected (and its socket may stay idle).
   * @default 2000
   */
  readonly requestTimeoutMs?: number;
}

// STS error codes that mean "slow down": https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html
const THROTTLING_ERRORS = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException']);
// STS refusals that no retry can fix: the deployment (role trust, policy, region) is wrong.
const CONFIGURATION_ERRORS = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'MalformedPolicyDocument',
  'MalformedPolicyDocumentException',
  'PackedPolicyTooLarge',
  'PackedPolicyTooLargeException',
  'RegionDisabledException',
  'ValidationError',
]);

/**
 * Returns an {@link AssumeRole} that calls STS through `fromTemporaryCredentials`. Connections are
 * pooled across calls (each call builds its own short-lived STS client, which is cheap next to a
 * TLS handshake).
 */
export function stsAssumeRole(options: StsAssumeRoleOptions): AssumeRole {
  const requestTimeout = options.requestTimeoutMs ?? 2000;
  const handlerOptions = {
    connectionTimeout: options.connectionTimeoutMs ?? 1000,
    requestTimeout,
    // Without this, @smithy/node-http-handler only logs a warning when requestTimeout passes and
    // keeps waiting; and STS's default socket timeout is 300 s.
    throwOnRequestTimeout: true,
    socketTimeout: requestTimeout,
  };
  // One keep-alive pool shared by every call's short-lived STS client. node:http(s) are loaded with
  // the first call, as the SDK's own HTTP handler does: imported eagerly they would add several
  // milliseconds (TLS) to the import of the function, and to cold starts in shared scope, which
  // never call STS.
  let clientConfig: Promise<StsClientConfig> | undefined;
  const loadClientConfig = () =>
    (clientConfig ??= Promise.all([import('node:http'), import('node:https')]).then(([http, https]) => ({
      region: options.region,
      maxAttempts: options.maxAttempts ?? 2,
      requestHandler: { ...handlerOptions, httpAgent: new http.Agent({ keepAlive: true }), httpsAgent: new https.Agent({ keepAlive: true }) },
    })));

  return async (request) => {
    const provider = fromTemporaryCredentials({
      masterCredentials: options.masterCredentials,
      clientConfig: await loadClientConfig(),
      params: {
        RoleArn: request.roleArn,
        RoleSessionName: request.roleSessionName,
        Policy: request.policy,
        DurationSeconds: request.durationSeconds,
      },
    });
    const identity = await provider().catch((error: unknown) => {
      throw classifyStsError(error);
    });
    if (identity.sessionToken === undefined || identity.expiration === undefined) {
      throw new CredentialsUnavailableError('STS answered AssumeRole without a session token or an expiration', false);
    }
    try {
      validateCredentials(identity);
    } catch (error) {
      throw new CredentialsUnavailableError('STS answered AssumeRole with malformed credentials', false, { cause: error });
    }
    const session: SessionCredentials = {
      accessKeyId: identity.accessKeyId,
      secretAccessKey: identity.secretAccessKey,
      sessionToken: identity.sessionToken,
      expiresAtMs: identity.expiration.getTime(),
    };
    return session;
  };
}

/** The function's own credentials: the SDK's default chain (environment variables on Lambda). */
export function functionCredentials(): AwsCredentialIdentityProvider {
  return fromNodeProviderChain();
}

/** Maps an SDK error to the vending error that decides the HTTP status. */
export function classifyStsError(error: unknown): Error {
  if (error instanceof CredentialsUnavailableError) return error;
  const name = error instanceof Error ? error.name : 'UnknownError';
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  if (THROTTLING_ERRORS.has(name) || status === 429) {
    return new CredentialsUnavailableError('STS throttled AssumeRole', true, { cause: error });
  }
  if (CONFIGURATION_ERRORS.has(name)) {
    return new ConfigurationError('CLIENT_ROLE_ARN', `STS refused to assume the client role (${name}): check its trust policy, its IoT grants and the topic templates`, { cause: error });
  }
  return new CredentialsUnavailableError(`STS AssumeRole failed (${name}${status === undefined ? '' : `, HTTP ${status}`})`, false, { cause: error });
}
