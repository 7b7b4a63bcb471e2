/**
 * Claims → the caller's `sub`. API Gateway's JWT authorizer has already verified the token
 * (signature, issuer, audience, expiry); this module only decides whether its `sub` is usable.
 * Cognito puts `sub` in both ID and access tokens, so either kind works.
 */
import { describeValue } from '../signing/errors.js';
import { ForbiddenSubjectError, MissingIdentityError } from './errors.js';

/** The longest `sub` accepted. Cognito's are 36-character UUIDs; 128 leaves room for other issuers. */
export const MAX_SUBJECT_LENGTH = 128;

/**
 * The characters a `sub` may hold. It ends up in an IAM ARN, an MQTT topic, an MQTT client ID and an
 * STS session name: `*` and `?` are IAM wildcards, `+` and `#` MQTT wildcards, `/` a topic level, and
 * white space or non-ASCII would break a session name. Anything else is refused rather than escaped,
 * because an escaped sub could collide with another user's real one.
 */
export const SUBJECT_PATTERN = new RegExp(`^[A-Za-z0-9_.:@-]{1,${MAX_SUBJECT_LENGTH}}$`);

/**
 * Returns the validated `sub` from the JWT authorizer's claims.
 *
 * @param claims `event.requestContext.authorizer.jwt.claims`, or whatever the event held there
 * @throws MissingIdentityError when there are no claims or no non-empty string `sub` (HTTP 401)
 * @throws ForbiddenSubjectError when the `sub` holds characters outside {@link SUBJECT_PATTERN} or is
 *   longer than {@link MAX_SUBJECT_LENGTH} (HTTP 403)
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
    );
  }
  return sub;
}
