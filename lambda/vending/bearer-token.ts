/**
 * The one bearer token of a request, as the Lambda reads it to verify it again itself (issuer mode
 * with `${group}` templates). API Gateway's JWT authorizer takes the token from the `Authorization`
 * header, bare or prefixed with `Bearer `
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html), and
 * payload 2.0 joins repeated headers with commas
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
 * Which of two tokens the authorizer verified is undocumented, so anything but exactly one compact JWS
 * (`Bearer <real>,Bearer <forged>`, two headers, spaces, a second `Bearer`) is refused: the Lambda
 * must read the very token the authorizer passed. Pure.
 */
import { TokenVerificationError } from './errors.js';

// One compact JWS: three base64url parts (RFC 7515 section 7.1), optionally after "Bearer " (any case).
const ONE_TOKEN = /^(?:[Bb][Ee][Aa][Rr][Ee][Rr] )?([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;
const HEADER_NAME = 'authorization';

/**
 * The value of the request's one `Authorization` header.
 *
 * @param headers the event's headers (payload 2.0 lower-cases their names; any case is looked for,
 *   since a direct invoke or a test may not)
 * @throws TokenVerificationError (401) when there is no `Authorization` header, an empty one, or
 *   more than one
 */
export function authorizationOf(headers: Readonly<Record<string, string | undefined>> | undefined): string {
  let value: string | undefined;
  let count = 0;
  // for-in over undefined (no headers at all) simply finds nothing.
  for (const name in headers) {
    if (name.toLowerCase() === HEADER_NAME) {
      count++;
      value = headers[name];
    }
  }
  if (count > 1) throw new TokenVerificationError(`the request has ${count} Authorization headers; exactly one token is accepted`);
  if (typeof value !== 'string' || value === '') throw new TokenVerificationError('the request has no bearer token in its Authorization header');
  return value;
}

/**
 * The one token of an `Authorization` header's value.
 *
 * @throws TokenVerificationError (401) when the value is not exactly one token, bare or after
 *   `Bearer ` (the message never holds the value)
 */
export function tokenOf(authorization: string): string {
  const match = ONE_TOKEN.exec(authorization);
  if (match === null) {
    throw new TokenVerificationError(
      `the Authorization header is not exactly one bearer token (${authorization.length} characters, ${authorization.split(',').length} comma-separated part(s)); exactly one token is accepted`,
    );
  }
  return match[1] as string;
}

/**
 * The request's bearer token: {@link tokenOf} the value of {@link authorizationOf}.
 *
 * @throws TokenVerificationError (401) as they do
 */
export function bearerTokenOf(headers: Readonly<Record<string, string | undefined>> | undefined): string {
  return tokenOf(authorizationOf(headers));
}
