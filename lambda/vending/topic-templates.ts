/**
 * Topic templates: the per-user MQTT namespace, written once with a `${sub}` placeholder. This module
 * holds THE rules a template must follow; the Lambda (`config.ts`, at cold start) and the CDK
 * construct (`lib/topic-templates.ts`, at synth) both call it, so a template one of them accepts can
 * never be refused by the other. Pure: no `node:` imports, no CDK, no I/O.
 *
 * The rules exist because a template is pasted into IAM resource ARNs, where a careless character
 * silently widens a user's rights: `users/${sub}*` would give user `a` the topics of user `ab`.
 * https://docs.aws.amazon.com/iot/latest/developerguide/iot-action-resources.html
 */

/** The placeholder every template must contain; replaced by the caller's `sub`. */
export const SUB_PLACEHOLDER = '${sub}';

/** The default template of both lists: each user owns `users/<sub>/…`. */
export const DEFAULT_TOPIC_TEMPLATE = 'users/${sub}/*';

/** The MQTT topic templates of a deployment, each containing {@link SUB_PLACEHOLDER}. */
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

/** How many templates one list may hold (each adds resources to every session policy). */
export const MAX_TOPIC_TEMPLATES = 8;

// AWS IoT caps topic names and filters at 256 UTF-8 bytes and 7 forward slashes.
// https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits
const MAX_TOPIC_BYTES = 256;
const MAX_TOPIC_SLASHES = 7;

// IAM policy documents accept only tab, LF, CR and U+0020..U+00FF.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
const OUTSIDE_IAM_CHARSET = /[^\u0020-\u00ff]/u;
// DEL and the C1 controls are inside IAM's range but have no business in a topic and hide in logs.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/u;

/**
 * Why a topic template is unusable, or `undefined` when it is fine. The answer is phrased to follow
 * the name of the setting (`"… must not contain white space"`).
 *
 * A template must be a non-empty string of at most 256 UTF-8 bytes and 7 slashes (AWS IoT's topic
 * limits), in IAM's character set, without control characters or white space; it must contain
 * `${sub}` as a whole topic level (so one user's namespace can never be a prefix of another's:
 * `users/${sub}*` is refused), may use the IAM wildcard `*`, and must not contain the MQTT
 * wildcards `+`/`#` (literal characters in IAM and IoT policies, so they would grant nothing
 * useful), the IAM single-character wildcard `?`, or any other `${…}` policy variable (IAM would
 * expand it).
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
  if (!template.includes(SUB_PLACEHOLDER)) return `must contain ${SUB_PLACEHOLDER}, or every user would share the same topics`;
  if (template.split(SUB_PLACEHOLDER).join('').includes('${')) return `must not contain policy variables other than ${SUB_PLACEHOLDER}`;
  const levels = template.split('/');
  if (levels.some((level) => level.includes(SUB_PLACEHOLDER) && level !== SUB_PLACEHOLDER)) {
    return `must use ${SUB_PLACEHOLDER} as a whole topic level (users/${SUB_PLACEHOLDER}/*, not users/${SUB_PLACEHOLDER}*), so that one user's topics can never match another's`;
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

/** Replaces every {@link SUB_PLACEHOLDER} in a template. */
export function substituteSub(template: string, sub: string): string {
  return template.replaceAll(SUB_PLACEHOLDER, sub);
}

/** The values without repeats, in first-seen order (duplicate resources only lengthen a policy). */
export function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

// Characters past U+007F take two UTF-8 bytes; the charset rule already limits templates to U+00FF,
// but counting surrogate pairs as 4 keeps this right for any input.
function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}
