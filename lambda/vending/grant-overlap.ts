/**
 * THE non-overlap rule for a deployment's topic templates: one pure function, {@link grantOverlap},
 * that the Lambda calls at cold start (`config.ts`) and the CDK construct at synth
 * (`lib/topic-templates.ts`).
 *
 * ## The guarantee
 *
 * For every two distinct subs A and B and distinct groups G and H:
 * 1. nothing granted to A (private, through any group, or shared) reaches a topic or topic filter
 *    that a `${sub}` template gives to B;
 * 2. nothing granted through G reaches a topic that a `${group}` template gives to H.
 * Beyond 2, no shared grant and no private grant reaches a topic a `${group}` template gives any
 * group (a shared grant inside a group room would open the room to everyone; with `${sub}/*` beside
 * `rooms/${group}/*`, the user whose sub is `rooms` would hold every room). R2 covers both.
 *
 * ## The rule
 *
 * Take every template of both lists together (a grant is a grant, whether to publish or subscribe).
 * - (R1) In a template with a variable, no level before the variable's holds `*` (checked first, for
 *   every template, so the refusal names the real cause).
 * - (R2) For every template Q with a variable, and every template P (Q itself included): unless P has
 *   the same variable as Q and the same levels before it, no topic may match both P and Q when each
 *   variable stands for any one-level value.
 *
 * ## Why it is sufficient
 *
 * Variable values (subs, eligible group names) are non-empty and never hold `/`, `*` or `?`
 * (`identity.ts`, `groups.ts`), so a filled-in template matches exactly what the template matches
 * with its variable read as "one level of at least one character". Let Q, with variable v, give
 * value b its topics, and let P be any template filled in for the other party, value a ≠ b (A's sub
 * against B's, or G against H), or shared.
 * - P has variable v and the same levels before it as Q. By R1 those levels are literal, so in every
 *   topic of P the level at that index is exactly a, and in every topic of Q exactly b. They differ,
 *   so no topic is both.
 * - Otherwise R2 checked P and Q with each variable free to be any value, a superset of a and b: no
 *   common topic exists for any values, so none for these.
 * Topic filters are strings matched by the same resource patterns (`topicfilter/…`), so the same
 * argument covers them, and `iot:Receive` is checked per message on `topic/…`, so a wildcard filter
 * cannot deliver what the topic grants do not.
 *
 * ## What it implies
 *
 * Two variable templates must either share their variable and their literal prefix
 * (`users/${sub}/*` with `users/${sub}/inbox`) or diverge at a literal level before either variable
 * (`users/${sub}/*` with `rooms/${group}/*`). A shared template must not be able to reach any
 * variable's level (`lobby/*` is fine beside `users/${sub}/*`; `users/*` or `*` is not).
 */
import { commonTopic } from './glob-intersection.js';
import { GROUP_PLACEHOLDER, SUB_PLACEHOLDER, fillTemplate, variableOf, type TemplateVariable, type TopicTemplates } from './topic-templates.js';

/** Where a template stands in the configuration. */
export interface TemplatePlace {
  /** Which list holds it. */
  readonly list: 'publish' | 'subscribe';
  /** Its index in that list. */
  readonly index: number;
  /** The template itself. */
  readonly template: string;
}

/** Why a set of templates breaks the rule: two templates and a concrete topic both reach. */
export interface GrantOverlap {
  /** The template whose grant reaches too far. */
  readonly reaching: TemplatePlace;
  /** The `${sub}` or `${group}` template whose topic it reaches (may be `reaching` itself). */
  readonly reached: TemplatePlace;
  /** A topic both grants reach, or `undefined` when R1 refuses a shape that no topic shows. */
  readonly topic: string | undefined;
  /** One sentence naming both templates, the topic and the owners, for an error message. */
  readonly explanation: string;
}

const OWNER: Readonly<Record<TemplateVariable, string>> = { [SUB_PLACEHOLDER]: 'the user whose sub is', [GROUP_PLACEHOLDER]: 'the members of group' };
// Two distinct values a variable can take, to show a concrete overlap of one template with itself.
const SAMPLE_VALUES: Readonly<Record<TemplateVariable, readonly [string, string]>> = {
  [SUB_PLACEHOLDER]: ['alice', 'bob'],
  [GROUP_PLACEHOLDER]: ['team-a', 'team-b'],
};

/** What the two lists are called where the templates came from (env, props, context). */
export interface TemplateListNames {
  readonly publish: string;
  readonly subscribe: string;
}

/**
 * Checks THE rule (module comment) on templates that each passed `topicTemplateProblem`.
 *
 * @param names how the explanation names the lists, e.g. `PUBLISH_TOPIC_TEMPLATES`
 * @returns the first overlap found, or `undefined` when the templates keep every user's and every
 *   group's topics apart
 */
export function grantOverlap(templates: TopicTemplates, names: TemplateListNames = { publish: 'publish', subscribe: 'subscribe' }): GrantOverlap | undefined {
  const places = placesOf(templates);
  for (const place of places) {
    const variable = variableOf(place.template);
    const wildcardBefore = variable === undefined ? undefined : wildcardBeforeVariable(place, variable, names);
    if (wildcardBefore !== undefined) return wildcardBefore;
  }
  for (const reached of places) {
    const variable = variableOf(reached.template);
    if (variable === undefined) continue;
    for (const reaching of places) {
      const reachingVariable = variableOf(reaching.template);
      if (reachingVariable === variable && prefixOf(reaching.template, variable) === prefixOf(reached.template, variable)) continue;
      const common = commonTopic({ template: reaching.template, variable: reachingVariable }, { template: reached.template, variable });
      if (common === undefined) continue;
      const both = `${describe(reaching, names)} and ${describe(reached, names)} overlap`;
      // `reached` holds its variable, so the topic gives it a value.
      const reachedValue = common.secondValue as string;
      if (reachingVariable !== variable || common.firstValue !== reachedValue) {
        return {
          reaching,
          reached,
          topic: common.topic,
          explanation: `${both}: the topic "${common.topic}" is granted by ${quote(reaching)}${owner(reaching, common.firstValue)} and by ${quote(reached)} to ${OWNER[variable]} "${reachedValue}"`,
        };
      }
      // Same variable, and the shortest overlap gives both the same value. There is no topic of two
      // distinct holders to show then: R1 makes both prefixes literal, so in every common topic one
      // value is fixed by a literal level of the other template, and the shortest topic gives the
      // other value the fewest characters its level admits; equal values mean that level admits
      // nothing without the fixed value's characters in order, so it never admits a second value
      // such as the other sample (neither sample holds the other's characters in order).
      return {
        reaching,
        reached,
        topic: common.topic,
        explanation: `${both}: the topic "${common.topic}" is granted by both; templates with the same variable must have the same levels before it or diverge at a literal level before it`,
      };
    }
  }
  return undefined;
}

/** R1: a `*` before the variable's level lets levels shift, so the variable's level is not fixed. */
function wildcardBeforeVariable(place: TemplatePlace, variable: TemplateVariable, names: TemplateListNames): GrantOverlap | undefined {
  if (!prefixOf(place.template, variable).includes('*')) return undefined;
  const [mine, theirs] = SAMPLE_VALUES[variable];
  const common = commonTopic({ template: fillTemplate(place.template, variable, mine) }, { template: fillTemplate(place.template, variable, theirs) });
  const shown = common === undefined
    ? `the level of ${variable} must be fixed for one holder's topics never to reach another's`
    : `the topic "${common.topic}" is granted both to ${OWNER[variable]} "${mine}" and to ${OWNER[variable]} "${theirs}"`;
  return {
    reaching: place,
    reached: place,
    topic: common?.topic,
    explanation: `${describe(place, names)} has a * before ${variable}, which can stand for whole levels: ${shown}`,
  };
}

/** The text before the variable: its literal levels when R1 holds. */
function prefixOf(template: string, variable: TemplateVariable): string {
  return template.slice(0, template.indexOf(variable));
}

/**
 * Every template at its place, publish list first. A template listed twice is checked at both places,
 * which finds nothing new: its first place comes first, and any overlap is reported there.
 */
function placesOf(templates: TopicTemplates): TemplatePlace[] {
  return (['publish', 'subscribe'] as const).flatMap((list) => templates[list].map((template, index) => ({ list, index, template })));
}

function describe(place: TemplatePlace, names: TemplateListNames): string {
  return `${names[place.list]}[${place.index}] ${quote(place)}`;
}

function quote(place: TemplatePlace): string {
  return `"${place.template}"`;
}

function owner(place: TemplatePlace, value: string | undefined): string {
  const variable = variableOf(place.template);
  // A template with a variable always gives it a value in a common topic.
  return variable === undefined ? ' to every signed-in user' : ` to ${OWNER[variable]} "${value as string}"`;
}
