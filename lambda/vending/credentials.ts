/**
 * Where the signing credentials come from, per scope. Per-user: a cached STS session per `sub`,
 * assumed with that sub's session policy. Shared: the function's own credentials. The STS call itself
 * is injected (`AssumeRole`, see `sts-assume-role.ts`), which keeps this module free of the SDK.
 */
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { validateCredentials, type SigningCredentials } from '../signing/validate.js';
import { SESSION_REFRESH_MARGIN_SECONDS, type PerUserScope } from './config.js';
import { CredentialsUnavailableError } from './errors.js';
import { roleSessionNameFor } from './role-session-name.js';
import { sessionPolicyFor } from './scope.js';
import { SessionCache, type Expiring } from './session-cache.js';
import { granteeKey, type Grantee, type TopicTemplates } from './topic-templates.js';

/**
 * How long a request waits for STS before it is answered 503, leaving half of a 10 s Lambda timeout
 * for the rest. The SDK call may take longer (2 attempts of up to 1 s to connect and 2 s to answer,
 * plus a backoff: about 6.5 s); it is not abandoned, see {@link PerUserCredentialSourceOptions.deadlineMs}.
 */
export const STS_DEADLINE_DEFAULT_MS = 5000;

/** Temporary credentials as cached: only what signing needs, to keep each cached user small. */
export interface SessionCredentials extends Expiring {
  /** The session's access key id (`ASIA…`). */
  readonly accessKeyId: string;
  /** The session's secret access key: signs URLs, never logged. */
  readonly secretAccessKey: string;
  /** The session token, appended to every URL signed with this session; never logged. */
  readonly sessionToken: string;
}

/** The parameters of one STS `AssumeRole` call. */
export interface AssumeRoleRequest {
  /** The client role to assume (`CLIENT_ROLE_ARN`). */
  readonly roleArn: string;
  /** The caller's session name (`roleSessionNameFor(sub)`), shown in CloudTrail. */
  readonly roleSessionName: string;
  /** The session policy JSON (`sessionPolicyFor(grantee, …)`) that narrows the role to the caller. */
  readonly policy: string;
  /** How long the session lasts (`SESSION_DURATION_SECONDS`). */
  readonly durationSeconds: number;
}

/**
 * Performs one STS `AssumeRole`; rejects with a `VendingFailure` subclass. Must settle by itself (the
 * SDK's per-attempt timeouts see to it): a call in flight is never abandoned, see
 * {@link PerUserCredentialSourceOptions.deadlineMs}.
 */
export type AssumeRole = (request: AssumeRoleRequest) => Promise<SessionCredentials>;

/** How a request's credentials were found, for the request log. */
export type CredentialsLookup = 'hit' | 'miss' | 'shared';

/** Credentials to sign one caller's URL with. */
export interface ScopedCredentials {
  /** What the caller's URL is signed with. */
  readonly credentials: SigningCredentials;
  /** How they were found, for the request log. */
  readonly lookup: CredentialsLookup;
}

/** How an STS call ended. */
export type StsOutcome = 'ok' | 'throttled' | 'failed';

/** One settled STS call, as the source reports it (`onStsCall`) for its metrics line. */
export interface StsObservation {
  /** How it ended. */
  readonly outcome: StsOutcome;
  /** How long it took, milliseconds. */
  readonly durationMs: number;
}

/** Gives each caller the credentials its URL is signed with. */
export interface CredentialSource {
  /**
   * @param grantee a `sub` validated by `subjectFromClaims` and its eligible groups (`groupsFromClaims`)
   * @throws CredentialsUnavailableError (HTTP 503) or ConfigurationError (HTTP 500)
   */
  credentialsFor(grantee: Grantee): Promise<ScopedCredentials>;
  /**
   * The grantee's credentials when they can be had at once (a cached session with time left), else
   * `undefined`, in which case {@link credentialsFor} is asked. It lets a warm request skip a promise.
   * @default - always `undefined`: every request goes through `credentialsFor`
   */
  cachedCredentialsFor?(grantee: Grantee): ScopedCredentials | undefined;
}

/** Options of {@link perUserCredentialSource}. */
export interface PerUserCredentialSourceOptions {
  /** The client role, the ARN context of the session policies, the session length and cache size. */
  readonly scope: PerUserScope;
  /** The topic templates each session policy is built from. */
  readonly templates: TopicTemplates;
  /** Whether session policies grant `iot:RetainPublish` on the publish topics (`ALLOW_RETAIN`). */
  readonly allowRetain: boolean;
  /** The URL TTL: a cached session is replaced once less than this plus 60 s of it remains. */
  readonly urlTtlSeconds: number;
  /** The STS call (`stsAssumeRole` in production). */
  readonly assumeRole: AssumeRole;
  /**
   * The clock, in epoch milliseconds.
   * @default - `Date.now`
   */
  readonly now?: () => number;
  /**
   * Milliseconds a request waits for STS before it fails with a `CredentialsUnavailableError` (503).
   * The STS call is not abandoned then: it stays the one call in flight for its `sub` until it
   * settles, so requests arriving meanwhile wait for it instead of starting a second `AssumeRole`,
   * and a late session is still cached for the next request.
   * @default 5000 ({@link STS_DEADLINE_DEFAULT_MS})
   */
  readonly deadlineMs?: number;
  /**
   * Told about every STS call when it settles, whether or not a request still waits for it (for the
   * STS metrics: calls, latency, throttles, failures).
   * @default - nobody is told
   */
  readonly onStsCall?: (observation: StsObservation) => void;
}

/**
 * Per-user scope: one STS session per caller, a `sub` with its set of eligible groups, kept in a
 * bounded LRU, assumed at most once at a time per caller (even past a request's deadline), and
 * replaced once less than the URL TTL + 60 s of it remains. Because the groups are part of the key,
 * a change of membership takes effect at the caller's next vend: the old session (and its policy) is
 * simply not looked up again.
 */
export function perUserCredentialSource(options: PerUserCredentialSourceOptions): CredentialSource {
  const { scope, templates, assumeRole, allowRetain } = options;
  const now = options.now ?? Date.now;
  const deadlineMs = options.deadlineMs ?? STS_DEADLINE_DEFAULT_MS;
  const minRemainingMs = (options.urlTtlSeconds + SESSION_REFRESH_MARGIN_SECONDS) * 1000;
  const cache = new SessionCache<SessionCredentials>({
    maxEntries: scope.sessionCacheSize,
    now,
    maxWaitMs: deadlineMs,
    waitTimeoutError: () => new CredentialsUnavailableError(`STS did not answer AssumeRole within ${deadlineMs} ms`, false),
  });

  const observe = options.onStsCall ?? (() => undefined);
  const assume = async (grantee: Grantee): Promise<SessionCredentials> => {
    const started = performance.now();
    try {
      const session = await assumeRole({
        roleArn: scope.roleArn,
        roleSessionName: roleSessionNameFor(grantee.sub),
        policy: sessionPolicyFor(grantee, templates, scope.arn, allowRetain),
        durationSeconds: scope.sessionDurationSeconds,
      });
      // A session that would end before a URL signed now does is useless, and caching it would make
      // every following request for this sub a miss anyway.
      if (session.expiresAtMs - now() < minRemainingMs) {
        throw new CredentialsUnavailableError(`STS returned a session that ends at ${new Date(session.expiresAtMs).toISOString()}, before a URL signed now would`, false);
      }
      observe({ outcome: 'ok', durationMs: performance.now() - started });
      return session;
    } catch (error) {
      const throttled = error instanceof CredentialsUnavailableError && error.throttled;
      observe({ outcome: throttled ? 'throttled' : 'failed', durationMs: performance.now() - started });
      throw error;
    }
  };

  return {
    cachedCredentialsFor(grantee) {
      const value = cache.peek(granteeKey(grantee), minRemainingMs);
      return value === undefined ? undefined : { credentials: value, lookup: 'hit' };
    },
    async credentialsFor(grantee) {
      const { value, hit } = await cache.get(granteeKey(grantee), minRemainingMs, () => assume(grantee));
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
