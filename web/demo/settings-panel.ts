/**
 * The "Use a deployed stack" panel. Outputs a link proposes are only pre-filled, with the hosts the
 * password and the token would go to; nothing is used or saved until the user presses "Use this
 * stack" (see `settings.ts` for why).
 */
import { describeError, onSubmit, setStatus, ui } from './page.js';
import { deployedSettings, forgetDeployedOutputs, isOidcSettings, saveDeployedOutputs, type DemoSettings, type DeployedOutputs } from './settings.js';
import { demo, render } from './state.js';

/** Outputs a link proposed, pre-filled in the settings form until the user confirms or leaves. */
let proposal: DeployedOutputs | undefined;

function settingsFormOutputs(): DeployedOutputs {
  return { apiUrl: ui.settingsApiUrl.value, userPoolClientId: ui.settingsClientId.value, region: ui.settingsRegion.value };
}

/**
 * Shows the hosts the form's current values would send the password and the token to (the user may
 * edit the proposal before confirming). Hides the notice while the values are invalid.
 * @returns why the values are invalid, or `undefined`
 */
function renderProposalTarget(): string | undefined {
  let target: ReturnType<typeof deployedSettings>;
  try {
    target = deployedSettings(settingsFormOutputs());
  } catch (error) {
    ui.settingsProposal.hidden = true;
    return describeError(error);
  }
  ui.settingsProposalApiHost.textContent = new URL(target.apiUrl).host;
  ui.settingsProposalCognitoHost.textContent = `${new URL(target.cognitoUrl).host} (app client ${target.userPoolClientId})`;
  ui.settingsProposal.hidden = false;
  return undefined;
}

/** Pre-fills the settings form with a link's proposal and names where the password and token would go. */
export function showProposal(outputs: DeployedOutputs): void {
  proposal = outputs;
  ui.settingsApiUrl.value = outputs.apiUrl;
  ui.settingsClientId.value = outputs.userPoolClientId;
  ui.settingsRegion.value = outputs.region;
  ui.settings.open = true;
  const problem = renderProposalTarget();
  if (problem !== undefined) setStatus(ui.settingsStatus, `A link proposed stack settings that are not valid: ${problem}`, 'error');
}

/** Uses `current` as the page's stack and says which it is. */
export function showSettings(current: DemoSettings): void {
  demo.settings = current;
  if (isOidcSettings(current)) {
    // Still "Local stack" first: the banner says where the page talks to, then how users sign in.
    ui.modeBanner.textContent = `Local stack · OIDC issuer ${current.oidc.issuer} · ${current.apiUrl}`;
    ui.passwordHint.hidden = false;
    ui.oidcHint.hidden = false;
  } else if (current.mode === 'local') {
    ui.modeBanner.textContent = `Local stack · ${current.apiUrl}`;
    ui.passwordHint.hidden = false;
  } else {
    ui.modeBanner.textContent = `Deployed stack · ${new URL(current.apiUrl).host} · ${current.region}`;
  }
  if (current.mode === 'deployed' && proposal === undefined) {
    ui.settingsApiUrl.value = current.apiUrl;
    ui.settingsClientId.value = current.userPoolClientId;
    ui.settingsRegion.value = current.region;
  }
  render();
}

/** No usable settings: open the form and say why. */
export function showNoSettings(error: unknown): void {
  ui.modeBanner.textContent = 'No stack configured';
  ui.settings.open = true;
  // A proposal's own message (why its outputs are invalid) matters more than this one.
  if (ui.settingsStatus.dataset['tone'] !== 'error') {
    setStatus(ui.settingsStatus, `Enter a deployed stack's outputs (${describeError(error)})`, 'error');
  }
}

/** Wires the settings form: live proposal hosts, "Use this stack", "Back to the local stack". */
export function wireSettingsPanel(): void {
  ui.settingsForm.addEventListener('input', () => {
    if (proposal !== undefined) renderProposalTarget();
  });
  // Pressing "Use this stack" is the user's confirmation: only now are the outputs used and saved.
  onSubmit(ui.settingsForm, () => {
    const outputs = settingsFormOutputs();
    try {
      deployedSettings(outputs);
    } catch (error) {
      setStatus(ui.settingsStatus, describeError(error), 'error');
      return;
    }
    saveDeployedOutputs(outputs);
    location.assign(location.pathname);
  });
  ui.settingsLocalButton.addEventListener('click', () => {
    forgetDeployedOutputs();
    location.assign(location.pathname);
  });
}
