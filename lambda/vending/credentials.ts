/**
 * Where the signing credentials come from, per scope. Per-user: a cached STS session per `sub`,
 * assumed with that sub's session policy. Shared: the function's own credentials. The STS call itself
 * is injected (`AssumeRole`, see `sts-assume-role.ts`), which keeps this module free of the SDK.
 */
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { validateCredentials, type SigningCredentials } from '../signing/validate.js';
import { SESSION_REFRESH_MARGIN_SECONDS, type PerUserScope } from './config.js';
import { CredentialsUnavailableError } from './errors.js';
import { roleSessionNameFor, sessionPolicyFor, type TopicTemplates } from './scope.js';
import { SessionCache, type Expiring } from './session-cache.js';

/** Temporary credentials as cached: only what signing needs, to keep each cached user small. */
export interface SessionCredentials extends Expiring {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

/** The parameters of one STS `AssumeRole` call. */
export interface AssumeRoleRequest {
  readonly roleArn: string;
  readonly roleSessionName: string;
  /** The session policy JSON. */
  readonly policy: string;
  readonly durationSeconds: number;
}

/** Performs one STS `AssumeRole`; rejects with a `VendingError` subclass. */
export type AssumeRole = (request: AssumeRoleRequest) => Promise<SessionCredentials>;

/** How a request's credentials were found, for the request log. */
export type CredentialsLookup = 'hit' | 'miss' | 'shared';

/** Credentials to sign one caller's URL with. */
export interface ScopedCredentials {
  readonly credentials: SigningCredentials;
  readonly lookup: CredentialsLookup;
}

/** Gives each caller the credentials its URL is signed with. */
export interface CredentialSource {
  /**
   * @param sub a `sub` validated by `subjectFromClaims`
   * @throws CredentialsUnavailableError (HTTP 503) or ConfigurationError (HTTP 500)
   */
  credentialsFor(sub: string): Promise<ScopedCredentials>;
}

/** Options of {@link perUserCredentialSource}. */
export interface PerUserCredentialSourceOptions {
  readonly scope: PerUserScope;
  readonly templates: TopicTemplates;
  readonly urlTtlSeconds: number;
  readonly assumeRole: AssumeRole;
  /**
   * The clock, in epoch milliseconds.
   * @default - `Date.now`
   */
  readonly now?: () => number;
}

/**
 * Per-user scope: one STS session per `sub`, kept in a bounded LRU, assumed at most once at a time
 * per `sub`, and replaced once less than the URL TTL + 60 s of it remains.
 */
export function perUserCredentialSource(options: PerUserCredentialSourceOptions): CredentialSource {
  const { scope, templates, assumeRole } = options;
  const now = options.now ?? Date.now;
  const minRemainingMs = (options.urlTtlSeconds + SESSION_REFRESH_MARGIN_SECONDS) * 1000;
  const cache = new SessionCache<SessionCredentials>({ maxEntries: scope.sessionCacheSize, now });

  const assume = async (sub: string): Promise<SessionCredentials> => {
    const session = await assumeRole({
      roleArn: scope.roleArn,
      roleSessionName: roleSessionNameFor(sub),
      policy: sessionPolicyFor(sub, templates, scope.arn),
      durationSeconds: scope.sessionDurationSeconds,
    });
    // A session that would end before a URL signed now does is useless, and caching it would make
    // every following request for this sub a miss anyway.
    if (session.expiresAtMs - now() < minRemainingMs) {
      throw new CredentialsUnavailableError(`STS returned a session that ends at ${new Date(session.expiresAtMs).toISOString()}, before a URL signed now would`, false);
    }
    return session;
  };

  return {
    async credentialsFor(sub) {
      const { value, hit } = await cache.get(sub, minRemainingMs, () => assume(sub));
      return { credentials: value, lookup: hit ? 'hit' : 'miss' };
    },
  };
}

/**
 * Shared scope: every caller's URL is signed with the function's own credentials. The provider
 * (normally the SDK's default chain) memoizes and refreshes them itself.
 */
export function sharedCredentialSource(provider: AwsCredentialIdentityProvider): CredentialSource {
  return {
    async credentialsFor() {
      try {
        return { credentials: validateCredentials(await provider()), lookup: 'shared' };
      } catch (error) {
        throw new CredentialsUnavailableError("the function's own credentials could not be loaded or are malformed", false, { cause: error });
      }
    },
  };
}
