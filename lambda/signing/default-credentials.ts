/**
 * Signing with the AWS SDK's default credential provider chain. The Python original dropped the
 * session token here, so its URLs failed with any temporary (role, SSO, container) credentials;
 * this one always carries the token through.
 */
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { CredentialsNotFoundError, InvalidSigningOptionError, describeValue } from './errors.js';
import { regionFromIotEndpoint } from './region.js';
import { resolveMqttUrlTarget, signMqttUrlTarget, type SignMqttUrlOptions } from './sign-mqtt-url.js';
import { parseHost, validateCredentials, type SigningCredentials } from './validate.js';

/** Options of {@link signMqttUrlFromDefaultCredentials}. */
export interface SignMqttUrlFromDefaultCredentialsOptions extends Omit<SignMqttUrlOptions, 'credentials' | 'region'> {
  /**
   * The endpoint's region.
   * @default - the region in the endpoint name (`*.iot.<region>.amazonaws.com[.cn]`), else
   * `AWS_REGION`, else `AWS_DEFAULT_REGION`
   */
  readonly region?: string;
  /**
   * The named profile to read from shared config files.
   * @default - the SDK's default (`AWS_PROFILE`, else `default`)
   */
  readonly profile?: string;
  /**
   * A credential provider to use instead of the default chain, for callers that already hold one.
   * @default - `fromNodeProviderChain()`: env, SSO, web identity, shared files, process, container, instance
   */
  readonly credentialProvider?: AwsCredentialIdentityProvider;
}

/** Resolves the region: the option, else the endpoint name, else the environment. */
export function resolveRegion(host: string, region: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const resolved = region ?? regionFromIotEndpoint(host) ?? nonEmpty(env['AWS_REGION']) ?? nonEmpty(env['AWS_DEFAULT_REGION']);
  if (resolved === undefined) {
    throw new InvalidSigningOptionError(
      'region',
      'could not be determined: pass it, use an endpoint named *.iot.<region>.amazonaws.com, or set AWS_REGION',
      describeValue(region),
    );
  }
  return resolved;
}

/**
 * Signs an AWS IoT MQTT URL with credentials from the default provider chain, session token included.
 *
 * @throws InvalidSigningOptionError for malformed options (checked before any credential lookup)
 * @throws CredentialsNotFoundError when the chain yields no credentials, or malformed ones
 */
export async function signMqttUrlFromDefaultCredentials(options: SignMqttUrlFromDefaultCredentialsOptions): Promise<string> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidSigningOptionError('options', 'must be an object', describeValue(options));
  }
  // The host is checked first: a malformed endpoint must not be reported as a missing region.
  parseHost(options.host);
  const region = resolveRegion(options.host, options.region);
  const { profile, credentialProvider, ...signOptions } = options;
  // Everything but the credentials is checked before the chain is consulted, so a typo fails fast
  // and never costs a provider lookup (which may be a network call to a container endpoint).
  const target = resolveMqttUrlTarget({ ...signOptions, region });
  const provider = credentialProvider ?? fromNodeProviderChain(profile === undefined ? {} : { profile });
  let credentials: AwsCredentialIdentity;
  try {
    credentials = await provider();
  } catch (error) {
    throw new CredentialsNotFoundError(
      'No AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials), set AWS_PROFILE, or run where a role is available',
      { cause: error },
    );
  }
  // Only the identity fields are passed on: the chain's objects also carry expiration and
  // provenance, and the token must travel with the key (the Python original dropped it here).
  let validated: SigningCredentials;
  try {
    validated = validateCredentials({
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
    });
  } catch (error) {
    // Malformed values in the environment or a profile are a credentials problem, not a usage error.
    const detail = error instanceof InvalidSigningOptionError ? error.message : 'they could not be validated';
    throw new CredentialsNotFoundError(`The default credential chain returned unusable credentials: ${detail}`, { cause: error });
  }
  return signMqttUrlTarget(target, validated);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
