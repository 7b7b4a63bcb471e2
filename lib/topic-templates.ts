/**
 * Topic templates: the per-user MQTT namespace, written once and turned into three kinds of policy
 * resource names (IAM role policy, AWS IoT policy, and — in the Lambda — the per-caller session
 * policy). Validation here is what keeps a template from silently widening a user's rights.
 */
import { MAX_SUBJECT_LENGTH } from '../lambda/vending/identity.js';
import { MAX_SESSION_POLICY_CHARS, SUB_PLACEHOLDER, sessionPolicyFor } from '../lambda/vending/scope.js';
import { InvalidVendingConfigError, describeReceived } from './config-error.js';

/** Default publish and subscribe template: each user owns `users/<sub>/…`. */
export const DEFAULT_TOPIC_TEMPLATES: readonly string[] = Object.freeze(['users/${sub}/*']);

// AWS IoT caps topic names and filters at 256 UTF-8 bytes and 7 forward slashes.
// https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits
const MAX_TOPIC_BYTES = 256;
const MAX_TOPIC_SLASHES = 7;
const MAX_TEMPLATES_PER_LIST = 8;

// IAM policy documents accept only tab, LF, CR and U+0020..U+00FF.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
const OUTSIDE_IAM_CHARSET = /[^\u0020-\u00ff]/u;

/**
 * Validates a list of topic templates. Each must contain `${sub}` as a whole topic level (so one
 * user's namespace can never be a prefix of another's), may use the IAM wildcard `*`, and must not
 * contain the MQTT wildcards `+`/`#` (they are literal characters in IAM and IoT policies, so they
 * would grant nothing useful and only confuse), the IAM single-character wildcard `?`, or any
 * other `${…}` policy variable.
 *
 * @param setting - the prop or context key name, for the error message
 * @returns the templates, as a fresh array
 */
export function validateTopicTemplates(setting: string, value: unknown): string[] {
  if (!Array.isArray(value)) {
    throw new InvalidVendingConfigError(setting, 'must be an array of topic templates such as ["users/${sub}/*"]', describeReceived(value));
  }
  if (value.length === 0 || value.length > MAX_TEMPLATES_PER_LIST) {
    throw new InvalidVendingConfigError(setting, `must hold 1..${MAX_TEMPLATES_PER_LIST} topic templates`, describeReceived(value));
  }
  return value.map((template: unknown, index) => validateTopicTemplate(`${setting}[${index}]`, template));
}

function validateTopicTemplate(setting: string, template: unknown): string {
  const fail = (requirement: string): never => {
    throw new InvalidVendingConfigError(setting, requirement, describeReceived(template));
  };
  if (typeof template !== 'string' || template.length === 0) return fail('must be a non-empty string');
  if (Buffer.byteLength(template, 'utf8') > MAX_TOPIC_BYTES) return fail(`must be at most ${MAX_TOPIC_BYTES} bytes (AWS IoT topic limit)`);
  if (OUTSIDE_IAM_CHARSET.test(template)) return fail('must contain only printable Latin-1 characters (IAM policy character set)');
  if (/\s/.test(template)) return fail('must not contain white space');
  if (/[+#]/.test(template)) {
    return fail('must not contain the MQTT wildcards + or #: AWS IoT policies treat them as literal characters; use the IAM wildcard * instead');
  }
  if (template.includes('?')) return fail('must not contain ?, which IAM treats as a single-character wildcard');
  if (!template.includes(SUB_PLACEHOLDER)) return fail(`must contain ${SUB_PLACEHOLDER}, or every user would share the same topics`);
  if (template.split(SUB_PLACEHOLDER).join('').includes('${')) return fail(`must not contain policy variables other than ${SUB_PLACEHOLDER}`);
  const levels = template.split('/');
  if (levels.some((level) => level.includes(SUB_PLACEHOLDER) && level !== SUB_PLACEHOLDER)) {
    return fail(`must use ${SUB_PLACEHOLDER} as a whole topic level (users/${SUB_PLACEHOLDER}/*, not users/${SUB_PLACEHOLDER}*), so that one user's topics can never match another's`);
  }
  if (levels.length - 1 > MAX_TOPIC_SLASHES) return fail(`must have at most ${MAX_TOPIC_SLASHES} slashes (AWS IoT topic limit)`);
  return template;
}

/** The template as an IAM resource name for the shared role policy: `${sub}` becomes `*`. */
export function toWildcardResourceName(template: string): string {
  return template.split(SUB_PLACEHOLDER).join('*');
}

/** The template with `${sub}` replaced by an AWS IoT policy variable such as `${iot:ClientId}`. */
export function toPolicyVariableResourceName(template: string, policyVariable: string): string {
  return template.split(SUB_PLACEHOLDER).join(policyVariable);
}

// The longest partition and region names, so the check holds wherever the stack is deployed.
const WORST_CASE_ARN_CONTEXT = { partition: 'aws-us-gov', region: 'ap-southeast-5', account: '123456789012' } as const;

/**
 * The length of the per-caller session policy the Lambda builds (the Lambda's own
 * `sessionPolicyFor`), for the longest `sub` it accepts and long partition and region names.
 */
export function worstCaseSessionPolicyLength(publish: readonly string[], subscribe: readonly string[]): number {
  return sessionPolicyFor('x'.repeat(MAX_SUBJECT_LENGTH), { publish, subscribe }, WORST_CASE_ARN_CONTEXT).length;
}

/**
 * Rejects template lists whose per-caller session policy could exceed STS's limit: the Lambda
 * would refuse the configuration at cold start and answer 500 — better caught at synth.
 */
export function assertSessionPolicyFits(publish: readonly string[], subscribe: readonly string[]): void {
  const length = worstCaseSessionPolicyLength(publish, subscribe);
  if (length > MAX_SESSION_POLICY_CHARS) {
    throw new InvalidVendingConfigError(
      'publishTopicTemplates + subscribeTopicTemplates',
      `must keep the per-user session policy within STS's ${MAX_SESSION_POLICY_CHARS}-character limit; with a ${MAX_SUBJECT_LENGTH}-character sub it would be ${length} characters — use fewer or shorter templates`,
      describeReceived({ publish, subscribe }),
    );
  }
}
