/**
 * Claims → the caller's `sub`. API Gateway's JWT authorizer has already verified the token
 * (signature, issuer, audience, expiry); this module only decides whether its `sub` is usable.
 * Cognito puts `sub` in both ID and access tokens, so either kind works.
 */
import { describeValue } from '../signing/errors.js';
import { ForbiddenSubjectError, MissingIdentityError } from './errors.js';

/**
 * The longest `sub` accepted. Cognito's are 36-character UUIDs; 128 leaves room for other issuers
 * (whose non-UUID subs the deployed roles' UUID-only `iot:Connect` ceiling would still refuse).
 */
export const MAX_SUBJECT_LENGTH = 128;

/**
 * The characters a `sub` may hold. It ends up in an IAM ARN, an MQTT topic, an MQTT client ID and an
 * STS session name: `*` and `?` are IAM wildcards, `+` and `#` MQTT wildcards, `/` a topic level, and
 * white space or non-ASCII would break a session name. Anything else is refused rather than escaped,
 * because an escaped sub could collide with another user's real one.
 */
export const SUBJECT_PATTERN = new RegExp(`^[A-Za-z0-9_.:@-]{1,${MAX_SUBJECT_LENGTH}}$`);

// Cognito's sub format: a lower-case UUID, always 36 characters.
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const UUID_SUBJECT = new RegExp(`^${UUID}$`);

// A sub that starts like a UUID user's suffixed client ID. Case is ignored: the guard must refuse
// anything that could be read as a UUID, whatever another system does with letter case.
const UUID_THEN_DASH = new RegExp(`^${UUID}-`, 'i');

/**
 * The client IDs a Cognito user can ever be vended, as IAM resource names: `<uuid>` and
 * `<uuid>-<suffix>`, with IAM's one-character wildcard `?` for each UUID character. The role's
 * `iot:Connect` ceiling uses these instead of `client/*`, so even shared scope (no session policy)
 * cannot connect as a device's or another application's client ID that is not UUID-shaped.
 */
export const UUID_CLIENT_ID_IAM_PATTERNS: readonly string[] = Object.freeze(['????????-????-????-????-????????????', '????????-????-????-????-????????????-*']);

/**
 * Whether `sub` has Cognito's fixed-length UUID form. Only such subs may have suffixed client IDs
 * (`<sub>-<suffix>`): their fixed length is what keeps one user's `client/<sub>-*` grant from
 * reaching another user's client ID (the proof is at `connectResourcesFor` in `scope.ts`).
 */
export function isUuidSubject(sub: string): boolean {
  return UUID_SUBJECT.test(sub);
}

/**
 * Returns the validated `sub` from the JWT authorizer's claims.
 *
 * @param claims `event.requestContext.authorizer.jwt.claims`, or whatever the event held there
 * @throws MissingIdentityError when there are no claims or no non-empty string `sub` (HTTP 401)
 * @throws ForbiddenSubjectError when the `sub` holds characters outside {@link SUBJECT_PATTERN} or is
 *   longer than {@link MAX_SUBJECT_LENGTH}, or when it is not a UUID but starts with a UUID and `-`
 *   (its client ID could be mistaken for that UUID user's suffixed one) (HTTP 403)
 */
export function subjectFromClaims(claims: unknown): string {
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new MissingIdentityError(`the authorizer passed no JWT claims (received ${describeValue(claims)})`);
  }
  const sub: unknown = (claims as Record<string, unknown>)['sub'];
  if (typeof sub !== 'string' || sub.length === 0) {
    throw new MissingIdentityError(`the JWT claims hold no usable sub (received ${describeValue(sub)})`);
  }
  if (!SUBJECT_PATTERN.test(sub)) {
    throw new ForbiddenSubjectError(
      `sub must be 1-${MAX_SUBJECT_LENGTH} characters of A-Z a-z 0-9 _ . : @ - (received ${sub.length} characters: ${describeValue(sub)})`,
      'unsafe-characters',
    );
  }
  // `<uuid>-x` would be granted `client/<uuid>-x` exactly, which the UUID user may also connect as
  // (its `client/<uuid>-*`): each could take over the other's connection.
  if (UUID_THEN_DASH.test(sub)) {
    throw new ForbiddenSubjectError(`sub starts with a UUID followed by "-" without being one, like a suffixed client ID (received ${describeValue(sub)})`, 'mistakable-client-id');
  }
  return sub;
}
