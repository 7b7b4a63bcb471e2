/**
 * Topic templates: the grants of a deployment, written once with at most one variable. This module
 * holds THE rules a single template must follow and how a template is filled in for a caller; the
 * rule for how templates may sit beside each other is `grant-overlap.ts`. The Lambda (`config.ts`,
 * at cold start) and the CDK construct (`lib/topic-templates.ts`, at synth) both call them, so a
 * template one of them accepts can never be refused by the other. Pure: no `node:` imports, no CDK,
 * no I/O.
 *
 * Three kinds of template:
 * - private: holds `${sub}`, replaced by the caller's principal (its `sub` in Cognito mode, its
 *   principal ID in issuer mode);
 * - group: holds `${group}`, one grant for each eligible Cognito group of the caller;
 * - shared: no variable, the same for every signed-in caller.
 *
 * The rules exist because a template is pasted into IAM resource ARNs, where a careless character
 * silently widens a user's rights: `users/${sub}*` would give user `a` the topics of user `ab`.
 * https://docs.aws.amazon.com/iot/latest/developerguide/iot-action-resources.html
 */
// AWS IoT caps topic names and filters at 256 UTF-8 bytes and 7 forward slashes.
import { MAX_TOPIC_BYTES, MAX_TOPIC_SLASHES } from '../iot-core-limits.js';

/** The private variable: replaced by the caller's principal (the `sub`, or the issuer-mode principal ID). */
export const SUB_PLACEHOLDER = '${sub}';

/** The group variable: one grant per eligible group in the caller's `cognito:groups`. */
export const GROUP_PLACEHOLDER = '${group}';

/** The variables a template may hold (one at most). */
export type TemplateVariable = typeof SUB_PLACEHOLDER | typeof GROUP_PLACEHOLDER;

/** The default template of both lists: each user owns `users/<sub>/…`. */
export const DEFAULT_TOPIC_TEMPLATE = 'users/${sub}/*';

/** The MQTT topic templates of a deployment (private, group or shared, see the module comment). */
export interface TopicTemplates {
  /** Templates of the topics the caller may publish to (`iot:Publish`). */
  readonly publish: readonly string[];
  /**
   * Templates of the topics the caller may subscribe to (`iot:Subscribe` on the topic filter) and
   * receive from (`iot:Receive`). Receive follows subscriptions, not the publish list: least
   * privilege, deliberately narrower than granting Publish and Receive on both lists.
   */
  readonly subscribe: readonly string[];
}

/** Who a grant is filled in for: the caller's principal and its eligible groups (see `groups.ts`). */
export interface Grantee {
  /**
   * The caller's principal (`caller-principal.ts`): a `sub` validated by `subjectFromClaims`, or an
   * issuer-mode principal ID (a UUID).
   */
  readonly sub: string;
  /** Eligible group names, sorted, without repeats. */
  readonly groups: readonly string[];
}

/**
 * A caller's key: its `sub`, then its groups. The session cache and the answer's topic memo use it,
 * since both hold what follows from exactly these. Unambiguous, because neither a `sub` nor an
 * eligible group name can hold a newline or a comma.
 */
export function granteeKey(grantee: Grantee): string {
  return grantee.groups.length === 0 ? grantee.sub : `${grantee.sub}\n${grantee.groups.join(',')}`;
}

/** How many templates one list may hold (each adds resources to every session policy). */
export const MAX_TOPIC_TEMPLATES = 8;


// IAM policy documents accept only tab, LF, CR and U+0020..U+00FF.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
const OUTSIDE_IAM_CHARSET = /[^\u0020-\u00ff]/u;
// DEL and the C1 controls are inside IAM's range but have no business in a topic and hide in logs.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/u;

/**
 * The variable a template holds, or `undefined` for a shared template. Only meaningful for a
 * template that {@link topicTemplateProblem} accepts (one variable at most).
 */
export function variableOf(template: string): TemplateVariable | undefined {
  if (template.includes(SUB_PLACEHOLDER)) return SUB_PLACEHOLDER;
  if (template.includes(GROUP_PLACEHOLDER)) return GROUP_PLACEHOLDER;
  return undefined;
}

/**
 * Why a topic template is unusable on its own, or `undefined` when it is fine. The answer is
 * phrased to follow the name of the setting (`"… must not contain white space"`).
 *
 * A template must be a non-empty string of at most 256 UTF-8 bytes and 7 slashes (AWS IoT's topic
 * limits), in IAM's character set, without control characters or white space; it may hold one
 * variable, `${sub}` or `${group}`, as a whole topic level (so one user's or group's namespace can
 * never be a prefix of another's: `users/${sub}*` is refused), may use the IAM wildcard `*`, and must
 * not contain the MQTT wildcards `+`/`#` (literal characters in IAM and IoT policies, so they would
 * grant nothing useful), the IAM single-character wildcard `?`, or any other `${…}` policy variable
 * (IAM would expand it). How templates may sit beside one another is `grantOverlap`'s rule.
 */
export function topicTemplateProblem(template: unknown): string | undefined {
  if (typeof template !== 'string' || template.length === 0) return 'must be a non-empty string';
  if (utf8Length(template) > MAX_TOPIC_BYTES) return `must be at most ${MAX_TOPIC_BYTES} bytes (AWS IoT topic limit)`;
  if (CONTROL_CHARACTER.test(template)) return 'must not contain control characters';
  if (OUTSIDE_IAM_CHARSET.test(template)) return 'must contain only printable Latin-1 characters (IAM policy character set)';
  if (/\s/u.test(template)) return 'must not contain white space';
  if (/[+#]/.test(template)) {
    return 'must not contain the MQTT wildcards + or #: AWS IoT policies treat them as literal characters; use the IAM wildcard * instead';
  }
  if (template.includes('?')) return 'must not contain ?, which IAM treats as a single-character wildcard';
  const variables = template.split(SUB_PLACEHOLDER).length - 1 + template.split(GROUP_PLACEHOLDER).length - 1;
  if (template.split(SUB_PLACEHOLDER).join('').split(GROUP_PLACEHOLDER).join('').includes('${')) {
    return `must not contain policy variables other than ${SUB_PLACEHOLDER} and ${GROUP_PLACEHOLDER}`;
  }
  if (variables > 1) return `must hold at most one variable (${SUB_PLACEHOLDER} or ${GROUP_PLACEHOLDER}), once`;
  const variable = variableOf(template);
  const levels = template.split('/');
  if (variable !== undefined && levels.some((level) => level.includes(variable) && level !== variable)) {
    return `must use ${variable} as a whole topic level (users/${variable}/*, not users/${variable}*), so that one namespace can never match another's`;
  }
  if (levels.length - 1 > MAX_TOPIC_SLASHES) return `must have at most ${MAX_TOPIC_SLASHES} slashes (AWS IoT topic limit)`;
  return undefined;
}

/** What is wrong with a template list: the list itself (`index` absent) or its entry `index`. */
export interface TopicTemplateListProblem {
  /** The offending entry; absent when the list as a whole is at fault (its length). */
  readonly index?: number;
  /** What the list or entry must be, phrased as in {@link topicTemplateProblem}. */
  readonly problem: string;
}

/**
 * Checks a list of templates: 1..{@link MAX_TOPIC_TEMPLATES} entries, each passing
 * {@link topicTemplateProblem}. Returns the first problem, or `undefined` when all is well.
 */
export function topicTemplateListProblem(templates: readonly unknown[]): TopicTemplateListProblem | undefined {
  if (templates.length === 0 || templates.length > MAX_TOPIC_TEMPLATES) {
    return { problem: `must hold 1..${MAX_TOPIC_TEMPLATES} topic templates` };
  }
  for (const [index, template] of templates.entries()) {
    const problem = topicTemplateProblem(template);
    if (problem !== undefined) return { index, problem };
  }
  return undefined;
}

/**
 * Replaces the variable of a template with `value`. `split`/`join`, not `replace`: a replacement
 * string's `$&`, `$'` and `` $` `` patterns must never be able to reach the result.
 */
export function fillTemplate(template: string, variable: TemplateVariable, value: string): string {
  return template.split(variable).join(value);
}

/**
 * The topics a template grants to a caller: a private template once with its `sub`, a group template
 * once per eligible group (none when it has none), a shared template as written.
 */
export function grantsOf(template: string, grantee: Grantee): string[] {
  const variable = variableOf(template);
  if (variable === SUB_PLACEHOLDER) return [fillTemplate(template, SUB_PLACEHOLDER, grantee.sub)];
  if (variable === GROUP_PLACEHOLDER) return grantee.groups.map((group) => fillTemplate(template, GROUP_PLACEHOLDER, group));
  return [template];
}

/** Every topic a list of templates grants to a caller, without repeats, in template order. */
export function grantedTopics(templates: readonly string[], grantee: Grantee): string[] {
  return unique(templates.flatMap((template) => grantsOf(template, grantee)));
}

/** Whether any template of the deployment holds `${group}` (so `cognito:groups` matters). */
export function usesGroups(templates: TopicTemplates): boolean {
  return [...templates.publish, ...templates.subscribe].some((template) => variableOf(template) === GROUP_PLACEHOLDER);
}

/** The values without repeats, in first-seen order (duplicate resources only lengthen a policy). */
export function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

// Characters past U+007F take two UTF-8 bytes or more; the charset rule already limits templates to
// U+00FF, but the byte limit is checked first and must be right for any input. TextEncoder is a
// global in Node.js and browsers alike, so this module stays free of `node:` imports.
const utf8 = new TextEncoder();

function utf8Length(text: string): number {
  return utf8.encode(text).length;
}
