/**
 * Topic templates on the CDK side: validation of the construct's props and CDK context, and the
 * translation of a template into IAM and AWS IoT policy resource names. The rules themselves live in
 * the Lambda's pure `lambda/vending/topic-templates.ts`, which the function applies to its
 * environment at cold start: one implementation, so synth and the function can never disagree.
 */
import { MAX_SUBJECT_LENGTH } from '../lambda/vending/identity.js';
import { MAX_SESSION_POLICY_CHARS, worstCaseSessionPolicyLength as lambdaWorstCase } from '../lambda/vending/scope.js';
import { DEFAULT_TOPIC_TEMPLATE, SUB_PLACEHOLDER, topicTemplateListProblem } from '../lambda/vending/topic-templates.js';
import { InvalidVendingConfigError, describeReceived } from './config-error.js';

/** Default publish and subscribe template: each user owns `users/<sub>/…`. */
export const DEFAULT_TOPIC_TEMPLATES: readonly string[] = Object.freeze([DEFAULT_TOPIC_TEMPLATE]);

/**
 * Validates a list of topic templates with the Lambda's own rules (`topicTemplateProblem` in
 * `lambda/vending/topic-templates.ts`): 1..8 templates, each containing `${sub}` as a whole topic
 * level, in IAM's character set without white space, `+`, `#`, `?` or other `${…}` variables, and
 * within AWS IoT's topic limits.
 *
 * @param setting - the prop or context key name, for the error message
 * @returns the templates, as a fresh array
 * @throws InvalidVendingConfigError naming the list (`setting`) or the entry (`setting[i]`)
 */
export function validateTopicTemplates(setting: string, value: unknown): string[] {
  if (!Array.isArray(value)) {
    throw new InvalidVendingConfigError(setting, 'must be an array of topic templates such as ["users/${sub}/*"]', describeReceived(value));
  }
  const found = topicTemplateListProblem(value);
  if (found?.index !== undefined) {
    throw new InvalidVendingConfigError(`${setting}[${found.index}]`, found.problem, describeReceived(value[found.index]));
  }
  if (found !== undefined) throw new InvalidVendingConfigError(setting, found.problem, describeReceived(value));
  return [...(value as string[])];
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
 * The length of the longest per-caller session policy the Lambda can build for these templates
 * (the Lambda's own `worstCaseSessionPolicyLength`), with long partition and region names.
 */
export function worstCaseSessionPolicyLength(publish: readonly string[], subscribe: readonly string[]): number {
  return lambdaWorstCase({ publish, subscribe }, WORST_CASE_ARN_CONTEXT);
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
