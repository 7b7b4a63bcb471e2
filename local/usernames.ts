/**
 * Usernames of the local user pool: which strings Cognito accepts as one, and when two of them name
 * the same user. Shared by the sign-in (`cognito.ts`) and the group membership map
 * (`user-groups.ts`), so a user signing in as `Alice` gets alice's `sub` AND alice's groups.
 */

/**
 * Cognito's username constraint: 1 to 128 letters, marks, symbols, digits or punctuation, no white
 * space (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_SignUp.html).
 * Cognito's group names follow the same pattern
 * (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateGroup.html).
 */
export const COGNITO_NAME_PATTERN = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u;

/**
 * The form under which a username is looked up: NFC-normalised and lower-cased, as in a user pool
 * created with Cognito's default `CaseSensitive: false` (the same user however it is typed or
 * composed).
 */
export function canonicalUsername(username: string): string {
  return username.normalize('NFC').toLowerCase();
}
