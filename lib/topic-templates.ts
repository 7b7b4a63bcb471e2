/**
 * Topic templates on the CDK side: validation of the construct's template props, and the
 * translation of a template into IAM and AWS IoT policy resource names. The rules themselves live in
 * the Lambda's pure modules (`lambda/vending/topic-templates.ts` for one template,
 * `lambda/vending/grant-overlap.ts` for how templates sit together, `scope.ts` for the session
 * policy budget), which the function applies to its environment at cold start: one implementation,
 * so synth and the function can never disagree.
 */
import { sessionPolicyBudgetProblem } from '../lambda/vending/config.js';
import { grantOverlap } from '../lambda/vending/grant-overlap.js';
import type { GroupSettings } from '../lambda/vending/groups.js';
import { worstCaseSessionPolicyLength as lambdaWorstCase } from '../lambda/vending/scope.js';
import { DEFAULT_TOPIC_TEMPLATE, GROUP_PLACEHOLDER, SUB_PLACEHOLDER, topicTemplateListProblem, variableOf, type TopicTemplates } from '../lambda/vending/topic-templates.js';
import { InvalidVendingConfigError, describeReceived } from './config-error.js';

/** Default publish and subscribe template: each user owns `users/<sub>/…`. */
export const DEFAULT_TOPIC_TEMPLATES: readonly string[] = Object.freeze([DEFAULT_TOPIC_TEMPLATE]);

/** The construct's names for the two template lists, as refusals name them. */
const LIST_PROPS = { publish: 'publishTopicTemplates', subscribe: 'subscribeTopicTemplates' } as const;

/**
 * Validates a list of topic templates with the Lambda's own rules (`topicTemplateProblem` in
 * `lambda/vending/topic-templates.ts`): 1..8 templates, each holding at most one variable (`${sub}`
 * or `${group}`) as a whole topic level, in IAM's character set without white space, `+`, `#`, `?`
 * or other `${…}` variables, and within AWS IoT's topic limits.
 *
 * @param setting - the prop name, for the error message
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

/**
 * Refuses templates that break the non-overlap rule (`grantOverlap`): the error names the list of
 * the template that reaches too far, both templates, and a topic both reach.
 */
export function assertNoGrantOverlap(templates: TopicTemplates): void {
  const overlap = grantOverlap(templates, LIST_PROPS);
  if (overlap === undefined) return;
  throw new InvalidVendingConfigError(
    LIST_PROPS[overlap.reaching.list],
    `must keep every user's and every group's topics apart: ${overlap.explanation}`,
    describeReceived(overlap.reaching.template),
  );
}

/** The template as an IAM resource name for the role's ceiling: every variable becomes `*`. */
export function toWildcardResourceName(template: string): string {
  return template.split(SUB_PLACEHOLDER).join('*').split(GROUP_PLACEHOLDER).join('*');
}

/**
 * The template as an AWS IoT policy resource name, `${sub}` replaced by a policy variable such as
 * `${iot:ClientId}`; `undefined` for a `${group}` template, which no IoT policy variable can express
 * (user-pool groups are not part of an IoT principal).
 */
export function toPolicyVariableResourceName(template: string, policyVariable: string): string | undefined {
  if (variableOf(template) === GROUP_PLACEHOLDER) return undefined;
  return template.split(SUB_PLACEHOLDER).join(policyVariable);
}

// The longest partition and region names, so the check holds wherever the stack is deployed.
const WORST_CASE_ARN_CONTEXT = { partition: 'aws-us-gov', region: 'ap-southeast-5', account: '123456789012' } as const;

/**
 * The length of the longest per-caller session policy the Lambda can build for these templates and
 * group settings (the Lambda's own `worstCaseSessionPolicyLength`), with long partition and region
 * names.
 */
export function worstCaseSessionPolicyLength(templates: TopicTemplates, groups: GroupSettings, allowRetain: boolean): number {
  return lambdaWorstCase(templates, WORST_CASE_ARN_CONTEXT, groups, allowRetain);
}

/**
 * Rejects settings whose per-caller session policy could exceed STS's limit: the Lambda would refuse
 * the configuration at cold start and answer 500, so it is caught at synth with the same words.
 */
export function assertSessionPolicyFits(templates: TopicTemplates, groups: GroupSettings, allowRetain: boolean): void {
  const problem = sessionPolicyBudgetProblem(worstCaseSessionPolicyLength(templates, groups, allowRetain), templates, groups);
  if (problem === undefined) return;
  throw new InvalidVendingConfigError(`${LIST_PROPS.publish} + ${LIST_PROPS.subscribe}`, `(with maxGroups and allowRetain)${problem}`, describeReceived(templates));
}
