/**
 * Users of a running local stack, as the web client is: sign in through `/cognito`, vend through
 * `/mqtt-url`, connect with mqtt.js. Shared by the end-to-end tests that need several users.
 */
import { expect } from 'vitest';
import { connectRecording, type RecordingClient } from './mqtt-helpers.js';

/** A signed-in user: the ID token and the claims the tests look at. */
export interface StackUser {
  readonly name: string;
  readonly token: string;
  readonly sub: string;
  /** The ID token's `cognito:groups`, or `undefined` when it has none. */
  readonly groups: readonly string[] | undefined;
}

/** The body of a successful `GET /mqtt-url`. */
export interface VendedUrl {
  readonly url: string;
  readonly clientId: string;
  readonly expiresAt: string;
  readonly endpoint: string;
  readonly region: string;
  readonly topics: { readonly publish: string[]; readonly subscribe: string[] };
}

/** Signs `name` in with the local password and decodes the ID token's claims. */
export async function signIn(stackUrl: string, name: string): Promise<StackUser> {
  const response = await fetch(`${stackUrl}/cognito`, {
    method: 'POST',
    headers: { 'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth', 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: 'local', AuthParameters: { USERNAME: name, PASSWORD: 'local-dev' } }),
  });
  expect(response.status).toBe(200);
  const { AuthenticationResult } = (await response.json()) as { AuthenticationResult: { IdToken: string } };
  const [, payload = ''] = AuthenticationResult.IdToken.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub: string; 'cognito:groups'?: string[] };
  return { name, token: AuthenticationResult.IdToken, sub: claims.sub, groups: claims['cognito:groups'] };
}

/** `GET /mqtt-url` as the user, whatever the answer. */
export async function vendResponse(stackUrl: string, user: StackUser): Promise<Response> {
  return fetch(`${stackUrl}/mqtt-url`, { headers: { authorization: `Bearer ${user.token}` } });
}

/** `GET /mqtt-url` as the user, expecting 200. */
export async function vend(stackUrl: string, user: StackUser): Promise<VendedUrl> {
  const response = await vendResponse(stackUrl, user);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as VendedUrl;
}

/** Vends a URL for the user and connects with it as the vended client ID. */
export async function connectUser(stackUrl: string, user: StackUser): Promise<RecordingClient> {
  const vended = await vend(stackUrl, user);
  return connectRecording(vended.url, vended.clientId);
}
