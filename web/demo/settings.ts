/**
 * Where the demo page talks to. By default the local stack that served it (`/config.json`); a
 * deployed stack when given its CDK outputs, either in the query string
 * (`?apiUrl=…&clientId=…&region=…`) or through the settings form. Deployed settings are kept in
 * localStorage so a reload stays on the same stack.
 */

/** The page's view of one stack. */
export interface DemoSettings {
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

/** The CDK outputs a deployed stack is described by. */
export interface DeployedOutputs {
  readonly apiUrl: string;
  readonly userPoolClientId: string;
  readonly region: string;
}

const STORAGE_KEY = 'aws-signv4-mqtt-demo:deployed-stack';
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const CLIENT_ID = /^[\w+]{1,128}$/;

/**
 * Validates deployed-stack outputs and derives the regional Cognito endpoint.
 * @throws Error naming the field and the value received
 */
export function deployedSettings(outputs: DeployedOutputs): DemoSettings {
  const apiUrl = outputs.apiUrl.trim();
  let parsed: URL;
  try {
    parsed = new URL(apiUrl);
  } catch {
    throw new Error(`API URL must be an absolute https URL (received ${JSON.stringify(apiUrl)})`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new Error(`API URL must be an https URL (received ${JSON.stringify(apiUrl)})`);
  }
  const region = outputs.region.trim();
  if (!REGION.test(region)) throw new Error(`Region must look like eu-west-1 (received ${JSON.stringify(region)})`);
  const userPoolClientId = outputs.userPoolClientId.trim();
  if (!CLIENT_ID.test(userPoolClientId)) {
    throw new Error(`User pool client id must be letters, digits, _ or + (received ${JSON.stringify(userPoolClientId)})`);
  }
  return { apiUrl, userPoolClientId, region, cognitoUrl: `https://cognito-idp.${region}.amazonaws.com/`, mode: 'deployed' };
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

async function localSettings(): Promise<DemoSettings> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`/config.json answered HTTP ${response.status}`);
  const config = (await response.json()) as Partial<Record<keyof DemoSettings, unknown>>;
  const { apiUrl, cognitoUrl, userPoolClientId, region, mode } = config;
  if (typeof apiUrl !== 'string' || typeof cognitoUrl !== 'string' || typeof userPoolClientId !== 'string' || typeof region !== 'string') {
    throw new Error('/config.json lacks apiUrl, cognitoUrl, userPoolClientId or region');
  }
  return { apiUrl, cognitoUrl, userPoolClientId, region, mode: mode === 'deployed' ? 'deployed' : 'local' };
}

/**
 * Resolves the settings: query parameters (then saved and removed from the address bar), else
 * saved deployed outputs, else the serving stack's `/config.json`.
 * @throws Error when nothing usable is found (the page then opens the settings form)
 */
export async function resolveSettings(location: Location): Promise<DemoSettings> {
  const query = new URLSearchParams(location.search);
  const apiUrl = query.get('apiUrl');
  const userPoolClientId = query.get('clientId');
  const region = query.get('region');
  if (apiUrl !== null || userPoolClientId !== null || region !== null) {
    const outputs = { apiUrl: apiUrl ?? '', userPoolClientId: userPoolClientId ?? '', region: region ?? '' };
    const settings = deployedSettings(outputs);
    saveDeployedOutputs(outputs);
    history.replaceState(null, '', location.pathname);
    return settings;
  }
  const stored = storedOutputs();
  if (stored) return deployedSettings(stored);
  return localSettings();
}
