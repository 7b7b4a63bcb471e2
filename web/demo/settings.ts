/**
 * Where the demo page talks to. By default the local stack that served it (`/config.json`, which in
 * the stack's OIDC mode names its issuer and token endpoint instead of a Cognito pool); a deployed
 * stack once the user has confirmed its CDK outputs in the settings form, after which they are kept
 * in localStorage so a reload stays on the same stack.
 *
 * A link may carry outputs in its query string (`?apiUrl=…&clientId=…&region=…`), but they are only
 * a proposal: pre-filled into the form, never used or saved until the user presses "Use this stack".
 * Adopting them silently would let any link send the user's password (USER_PASSWORD_AUTH) to an
 * attacker's user pool and the ID token to an attacker's API.
 */
import { InvalidSigningOptionError } from '../../lambda/signing/errors.js';
import { validateRegion } from '../../lambda/signing/validate.js';
import { ConnectMqttOptionError } from '../errors.js';
import { vendingRequestUrl } from '../vend-mqtt-url.js';

/** The page's view of one stack: users sign in with a Cognito user pool, or at an OIDC issuer. */
export type DemoSettings = CognitoDemoSettings | OidcDemoSettings;

/** A stack whose users sign in with a Cognito user pool (`InitiateAuth`). */
export interface CognitoDemoSettings {
  /** The vending API's base URL (CDK output `ApiUrl`). */
  readonly apiUrl: string;
  /** Where `InitiateAuth` is POSTed. */
  readonly cognitoUrl: string;
  /** The user pool app client id (CDK output `UserPoolClientId`). */
  readonly userPoolClientId: string;
  /** The stack's region (CDK output `Region`). */
  readonly region: string;
  /** `local`: the local stack; `deployed`: an AWS deployment. */
  readonly mode: 'local' | 'deployed';
}

/**
 * The local stack in OIDC mode (`npm run dev -- --oidc`): users sign in at its OIDC issuer with the
 * password grant. Only the local stack offers this; a deployed stack is used through its Cognito
 * outputs, or through the app's own sign-in with its provider's SDK.
 */
export interface OidcDemoSettings {
  /** The vending API's base URL. */
  readonly apiUrl: string;
  /** The stack's region. */
  readonly region: string;
  readonly mode: 'local';
  /** Where and how to sign in. */
  readonly oidc: OidcSignInSettings;
}

/** The local OIDC issuer, as `/config.json` describes it. */
export interface OidcSignInSettings {
  /** The exact `iss` of its tokens (trailing slash included): principal IDs derive from it. */
  readonly issuer: string;
  /** The token endpoint the password grant is POSTed to (same origin as the page). */
  readonly tokenUrl: string;
  /** The app's client id. */
  readonly clientId: string;
  /** The API identifier, sent as `audience` (Auth0's parameter) so access tokens are for it. */
  readonly audience: string;
  /** The scopes to ask for (space-separated), the route's required scopes among them. */
  readonly scope: string;
  /** The claim holding the user's groups (a JSON array in the token). */
  readonly groupsClaim: string;
}

/** Whether users of this stack sign in at an OIDC issuer. */
export function isOidcSettings(settings: DemoSettings): settings is OidcDemoSettings {
  return 'oidc' in settings;
}

/** The CDK outputs a deployed stack is described by. */
export interface DeployedOutputs {
  readonly apiUrl: string;
  readonly userPoolClientId: string;
  readonly region: string;
}

/** The localStorage key of the confirmed deployed outputs. */
export const STORAGE_KEY = 'aws-signv4-mqtt-demo:confirmed-stack';
/**
 * Where earlier versions of the page kept outputs, including ones adopted from a link without asking.
 * Never read, only removed: such outputs must be confirmed again.
 */
const UNCONFIRMED_STORAGE_KEY = 'aws-signv4-mqtt-demo:deployed-stack';
const CLIENT_ID = /^[\w+]{1,128}$/;

// DNS suffix per partition, for the regions whose suffix is not amazonaws.com (from the AWS SDK's
// partitions.json: https://github.com/aws/aws-sdk-js-v3/blob/main/packages/util-endpoints/src/lib/aws/partitions.json).
const DNS_SUFFIXES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^cn-/, 'amazonaws.com.cn'],
  [/^eusc-/, 'amazonaws.eu'],
  [/^us-iso-/, 'c2s.ic.gov'],
  [/^us-isob-/, 'sc2s.sgov.gov'],
  [/^eu-isoe-/, 'cloud.adc-e.uk'],
  [/^us-isof-/, 'csp.hci.ic.gov'],
];

/** The regional Cognito user pools endpoint (`InitiateAuth` is POSTed there). */
export function cognitoEndpoint(region: string): string {
  const suffix = DNS_SUFFIXES.find(([prefix]) => prefix.test(region))?.[1] ?? 'amazonaws.com';
  return `https://cognito-idp.${region}.${suffix}/`;
}

/**
 * Validates deployed-stack outputs and derives the regional Cognito endpoint. The API URL is checked
 * by `connectMqtt`'s own rule (`vendingRequestUrl`: https, plain http only for loopback hosts, no
 * query, fragment or user info); the region follows the signer's rule.
 * @throws Error naming the field and the value received (an API URL's user info masked)
 */
export function deployedSettings(outputs: DeployedOutputs): CognitoDemoSettings {
  const apiUrl = outputs.apiUrl.trim();
  try {
    vendingRequestUrl(apiUrl, undefined);
  } catch (error) {
    if (!(error instanceof ConnectMqttOptionError)) throw error;
    throw new Error(`API URL ${error.problem} (received ${error.received})`, { cause: error });
  }
  const region = outputs.region.trim();
  try {
    validateRegion(region);
  } catch (error) {
    if (!(error instanceof InvalidSigningOptionError)) throw error;
    throw new Error(`Region must look like eu-west-1 (received ${JSON.stringify(region)})`, { cause: error });
  }
  const userPoolClientId = outputs.userPoolClientId.trim();
  if (!CLIENT_ID.test(userPoolClientId)) {
    throw new Error(`User pool client id must be letters, digits, _ or + (received ${JSON.stringify(userPoolClientId)})`);
  }
  return { apiUrl, userPoolClientId, region, cognitoUrl: cognitoEndpoint(region), mode: 'deployed' };
}

/** Remembers a deployed stack for the next visit. */
export function saveDeployedOutputs(outputs: DeployedOutputs): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(outputs));
}

/** Forgets the deployed stack: the page goes back to the local stack. */
export function forgetDeployedOutputs(): void {
  localStorage.removeItem(STORAGE_KEY);
}

function storedOutputs(): DeployedOutputs | undefined {
  try {
    const value = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as Partial<Record<keyof DeployedOutputs, unknown>> | null;
    if (value && typeof value.apiUrl === 'string' && typeof value.userPoolClientId === 'string' && typeof value.region === 'string') {
      return { apiUrl: value.apiUrl, userPoolClientId: value.userPoolClientId, region: value.region };
    }
  } catch {
    // A corrupt entry is ignored like a missing one.
  }
  return undefined;
}

/** The `oidc` block of `/config.json`, checked. */
function oidcSignIn(value: unknown): OidcSignInSettings {
  const block = (typeof value === 'object' && value !== null ? value : {}) as Partial<Record<keyof OidcSignInSettings, unknown>>;
  const { issuer, tokenUrl, clientId, audience, scope, groupsClaim } = block;
  if (typeof issuer !== 'string' || typeof tokenUrl !== 'string' || typeof clientId !== 'string' || typeof audience !== 'string' || typeof scope !== 'string' || typeof groupsClaim !== 'string') {
    throw new Error('/config.json says identity "oidc" but its oidc block lacks issuer, tokenUrl, clientId, audience, scope or groupsClaim');
  }
  return { issuer, tokenUrl, clientId, audience, scope, groupsClaim };
}

async function localSettings(): Promise<DemoSettings> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`/config.json answered HTTP ${response.status}`);
  const config = (await response.json()) as Partial<Record<keyof CognitoDemoSettings | 'identity' | 'oidc', unknown>>;
  const { apiUrl, cognitoUrl, userPoolClientId, region, mode } = config;
  if (config.identity === 'oidc') {
    if (typeof apiUrl !== 'string' || typeof region !== 'string') throw new Error('/config.json lacks apiUrl or region');
    return { apiUrl, region, mode: 'local', oidc: oidcSignIn(config.oidc) };
  }
  if (typeof apiUrl !== 'string' || typeof cognitoUrl !== 'string' || typeof userPoolClientId !== 'string' || typeof region !== 'string') {
    throw new Error('/config.json lacks apiUrl, cognitoUrl, userPoolClientId or region');
  }
  return { apiUrl, cognitoUrl, userPoolClientId, region, mode: mode === 'deployed' ? 'deployed' : 'local' };
}

/**
 * Takes deployed-stack outputs proposed by the page's query string and removes them from the address
 * bar. The caller only pre-fills the settings form with them: they are neither validated, used nor
 * saved here.
 * @returns the proposal, or `undefined` when the query string names none of the three outputs
 */
export function takeProposedOutputs(location: Location, history: History): DeployedOutputs | undefined {
  const query = new URLSearchParams(location.search);
  const apiUrl = query.get('apiUrl');
  const userPoolClientId = query.get('clientId');
  const region = query.get('region');
  if (apiUrl === null && userPoolClientId === null && region === null) return undefined;
  history.replaceState(null, '', location.pathname);
  return { apiUrl: apiUrl ?? '', userPoolClientId: userPoolClientId ?? '', region: region ?? '' };
}

/**
 * Resolves the settings in use: the deployed outputs the user confirmed earlier, else the serving
 * stack's `/config.json`. A query string never changes them (see {@link takeProposedOutputs}).
 * @throws Error when nothing usable is found (the page then opens the settings form)
 */
export async function resolveSettings(): Promise<DemoSettings> {
  localStorage.removeItem(UNCONFIRMED_STORAGE_KEY);
  const stored = storedOutputs();
  if (stored) return deployedSettings(stored);
  return localSettings();
}
