/**
 * THE property test of THE non-overlap rule (`grantOverlap`, lambda/vending/grant-overlap.ts).
 *
 * ## What is checked: the guarantee, stated precisely
 *
 * Let the deployment's templates be any that each pass `topicTemplateProblem` and that, together,
 * `grantOverlap` accepts. A grant is an IAM resource pattern (`*` any run of characters, `/`
 * included); it reaches a topic (or topic filter: the same strings, under `topicfilter/`) when it
 * matches it. For every two distinct subs A ≠ B and every two distinct eligible group names G ≠ H
 * (values of `^[A-Za-z0-9_.:@-]{1,128}$`, possibly equal to literal levels or to each other's names):
 *
 * 1. nothing granted to A, from either list, whether private (a `${sub}` template filled with A),
 *    through any of A's groups (a `${group}` template filled with each group, B's groups included),
 *    or shared (a template without a variable), reaches a topic or topic filter that a `${sub}`
 *    template gives to B (that template filled with B);
 * 2. nothing granted through G (a `${group}` template filled with G) reaches a topic or topic filter
 *    that a `${group}` template gives to H;
 * 3. no shared grant reaches a topic or topic filter that a `${group}` template gives to any group;
 * 4. (what members of a group need, and what 1–3 leave unsaid: a user named like a group level must
 *    not get into the room) nothing granted to A, private, through A's groups or shared, reaches a
 *    topic or topic filter that a `${group}` template gives to a group A is not in.
 *
 * `grant-overlap.ts` states 1–3 (3 as "shared templates are also kept out of every group's
 * topics"); 4 follows from its rule R2 (a `${sub}` template and a `${group}` template may share no
 * topic) and is checked here because it is the other half of what a group room must keep out.
 *
 * ## How
 *
 * Random template sets are drawn from small level alphabets so that overlaps are common and both
 * outcomes frequent; those `grantOverlap` accepts are filled for random parties (several group
 * memberships, see SCENARIOS) and every grant is tested against every protected topic pattern of the
 * other party with the independent matcher of `iam-glob.ts`:
 * - by sampling: concrete topics drawn from each protected pattern (each `*` replaced by random runs
 *   of `/`, literal levels and all parties' values) must match no grant of the other party, and
 *   concrete topics drawn from each grant must match no protected pattern;
 * - exactly: `iamGlobsIntersect`, a from-scratch decision of "do these two IAM patterns share a
 *   string", must find nothing.
 * Sets `grantOverlap` refuses are checked to be refused for a reason: both named templates reach the
 * refusal's topic for some values of their variables (R1: the template reaches it with two values).
 * And the run must not be vacuous: both outcomes must each make up a fifth of the runs, and accepted
 * sets must often hold variables of both kinds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grantOverlap } from '../../lambda/vending/grant-overlap.js';
import {
  GROUP_PLACEHOLDER,
  SUB_PLACEHOLDER,
  grantedTopics,
  grantsOf,
  topicTemplateProblem,
  variableOf,
  type Grantee,
  type TopicTemplates,
} from '../../lambda/vending/topic-templates.js';
import { fillVariable, iamGlobMatches, iamGlobsIntersect, variableValuesReaching } from './iam-glob.js';

const SUB = SUB_PLACEHOLDER;
const GROUP = GROUP_PLACEHOLDER;

/** Literal levels of the templates; values are drawn to collide with them. */
const LITERALS = ['users', 'rooms', 'a', 'b', 'inbox'] as const;
/** Levels without a variable: literals, the empty level (`a//b`, a trailing `/`), IAM wildcards. */
const PLAIN_LEVELS = [...LITERALS, '', '*', 'x*', '*b', 'a*'] as const;
/** Subs and group names: valid values, several equal to literal levels or close to the witness filler. */
const VALUES = ['users', 'rooms', 'a', 'b', 'inbox', 'x', 'xa', 'ab', 'alice', '@', 'a.b', '-'] as const;

const plainLevel = fc.constantFrom(...PLAIN_LEVELS);
const literalLevel = fc.constantFrom(...LITERALS, '');
const variable = fc.constantFrom(SUB, GROUP);

/**
 * A template: mostly a namespace (literal levels, a variable, then any levels), sometimes with a
 * wildcard before the variable, sometimes shared. Filtered to what `topicTemplateProblem` accepts.
 */
const template: fc.Arbitrary<string> = fc
  .oneof(
    {
      weight: 5,
      arbitrary: fc
        .tuple(fc.array(literalLevel, { maxLength: 2 }), variable, fc.array(plainLevel, { maxLength: 2 }))
        .map(([before, name, after]) => [...before, name, ...after].join('/')),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.array(plainLevel, { minLength: 1, maxLength: 2 }), variable, fc.array(plainLevel, { maxLength: 1 }))
        .map(([before, name, after]) => [...before, name, ...after].join('/')),
    },
    { weight: 3, arbitrary: fc.array(plainLevel, { minLength: 1, maxLength: 3 }).map((levels) => levels.join('/')) },
  )
  .filter((text) => topicTemplateProblem(text) === undefined);

const templateList = fc.array(template, { minLength: 1, maxLength: 4 });
const templateSet: fc.Arbitrary<TopicTemplates> = fc.record({ publish: templateList, subscribe: templateList });

/** Two distinct values (A ≠ B, or G ≠ H). */
const distinctPair = fc.uniqueArray(fc.constantFrom(...VALUES), { minLength: 2, maxLength: 2 }).map(([first, second]) => [first!, second!] as const);

/**
 * The shape of what a `*` is replaced with when a concrete topic is drawn from a pattern: a leading
 * `/` or not, up to three levels (indexes into the parties' values and the literal levels, see
 * {@link fillerText}) joined by `/`, a trailing `/` or not. Runs of whole levels are what it takes
 * for a wildcard to reach across into another namespace.
 */
const fillerShape = fc.record({
  lead: fc.boolean(),
  levels: fc.array(fc.nat(), { maxLength: 3 }),
  trail: fc.boolean(),
});
type FillerShape = typeof fillerShape extends fc.Arbitrary<infer T> ? T : never;

/** A filler: `shape` spelt with the parties' values (first, so most likely), the literal levels and `x`. */
function fillerText(shape: FillerShape, values: readonly string[]): string {
  const words = [...values, ...values, ...LITERALS, 'x', ''];
  return (shape.lead ? '/' : '') + shape.levels.map((index) => words[index % words.length]).join('/') + (shape.trail ? '/' : '');
}

/** A grant and where it came from, for failure messages. */
interface Grant {
  readonly pattern: string;
  readonly from: string;
}

/** Every template of both lists (a grant is a grant, whichever list holds it). */
function allTemplates(templates: TopicTemplates): string[] {
  return [...templates.publish, ...templates.subscribe];
}

/** Everything a grantee holds: `grantedTopics` of both lists. */
function everythingGrantedTo(templates: TopicTemplates, grantee: Grantee): Grant[] {
  return [...grantedTopics(templates.publish, grantee), ...grantedTopics(templates.subscribe, grantee)].map((pattern) => ({
    pattern,
    from: `granted to ${JSON.stringify(grantee)}`,
  }));
}

/** The topics (patterns) the templates holding `variable` give to `value`. */
function protectedBy(templates: TopicTemplates, name: typeof SUB | typeof GROUP, value: string): Grant[] {
  return allTemplates(templates)
    .filter((text) => variableOf(text) === name)
    .map((text) => ({ pattern: fillVariable(text, name, value), from: `${text} for ${value}` }));
}

/** Grants through one group: the `${group}` templates filled with it (via `grantsOf`). */
function throughGroup(templates: TopicTemplates, group: string): Grant[] {
  return allTemplates(templates)
    .filter((text) => variableOf(text) === GROUP)
    .flatMap((text) => grantsOf(text, { sub: 'unused-sub', groups: [group] }).map((pattern) => ({ pattern, from: `${text} through ${group}` })));
}

function sharedGrants(templates: TopicTemplates): Grant[] {
  return allTemplates(templates)
    .filter((text) => variableOf(text) === undefined)
    .map((pattern) => ({ pattern, from: `shared ${pattern}` }));
}

/**
 * Draws concrete topics from a pattern, each `*` replaced by a filler: cycling through the random
 * ones, and also, since a wildcard reaches another namespace by spelling it, by pieces of the other
 * pattern of the pair (its literal runs between `*`s, and itself with every `*` as `x` or empty).
 */
function samplesOf(pattern: string, other: string, fillers: readonly string[], count: number, seed: number): string[] {
  const pieces = [...other.split('*'), other.replaceAll('*', 'x'), other.replaceAll('*', '')];
  const pool = [...fillers, ...pieces, ...pieces.map((piece) => `x/${piece}`), ...pieces.map((piece) => `${piece}/x`)];
  const samples: string[] = [];
  for (let n = 0; n < count; n++) {
    let k = seed + n * 5;
    samples.push(pattern.split('*').reduce((text, part, index) => (index === 0 ? part : text + pool[k++ % pool.length] + part), ''));
  }
  return samples;
}

/** How many topics are drawn from each pattern of a pair. */
const SAMPLES = 4;

/**
 * Fails when any grant reaches any protected topic pattern: sampled both ways, then decided exactly.
 * Sampling is a check on the exact oracle as much as on the rule (it shares no code with it).
 */
function expectApart(grants: readonly Grant[], protectedTopics: readonly Grant[], fillers: readonly string[], context: string): void {
  // `expect` only on a violation: this runs a few hundred thousand times per file.
  const fail = (grant: Grant, target: Grant, topic: string): never =>
    expect.fail(`${context}: "${grant.pattern}" (${grant.from}) reaches "${topic}" of "${target.pattern}" (${target.from})`);
  grants.forEach((grant, g) => {
    protectedTopics.forEach((target, p) => {
      for (const topic of samplesOf(target.pattern, grant.pattern, fillers, SAMPLES, g * 7 + p * 3)) {
        if (iamGlobMatches(grant.pattern, topic)) fail(grant, target, topic);
      }
      for (const topic of samplesOf(grant.pattern, target.pattern, fillers, SAMPLES, g * 3 + p * 7 + 1)) {
        if (iamGlobMatches(target.pattern, topic)) fail(grant, target, topic);
      }
      const witness = iamGlobsIntersect(grant.pattern, target.pattern);
      if (witness !== undefined) fail(grant, target, witness);
    });
  });
}

/**
 * Who holds which groups, for subs A ≠ B and groups G ≠ H: the guarantee must hold whatever the
 * memberships, so B's group may also be A's (A then legitimately shares B's group topics, not B's
 * private ones).
 */
const SCENARIOS = [
  { name: 'A in G, B in H', a: ['G'], b: ['H'] },
  { name: 'A in G and H, B in H', a: ['G', 'H'], b: ['H'] },
  { name: 'both in G', a: ['G'], b: ['G'] },
  { name: 'A in none, B in G and H', a: [], b: ['G', 'H'] },
] as const;

/** Checks the four guarantees (module comment) for one accepted set and one choice of values. */
function checkGuarantee(templates: TopicTemplates, [subA, subB]: readonly [string, string], [groupG, groupH]: readonly [string, string], shapes: readonly FillerShape[]): void {
  const fillers = shapes.map((shape) => fillerText(shape, [subA, subB, groupG, groupH]));
  const named = { G: groupG, H: groupH } as const;
  for (const scenario of SCENARIOS) {
    const a: Grantee = { sub: subA, groups: scenario.a.map((key) => named[key]).sort() };
    const b: Grantee = { sub: subB, groups: scenario.b.map((key) => named[key]).sort() };
    const context = `${JSON.stringify(templates)} ${scenario.name}`;
    // (1) both ways: nothing granted to one reaches the other's private topics.
    expectApart(everythingGrantedTo(templates, a), protectedBy(templates, SUB, b.sub), fillers, `(1) ${context}`);
    expectApart(everythingGrantedTo(templates, b), protectedBy(templates, SUB, a.sub), fillers, `(1) ${context}`);
    // (4) both ways: nothing granted to one reaches the topics of a group it is not in.
    for (const party of [a, b]) {
      const outside = [groupG, groupH].filter((group) => !party.groups.includes(group));
      expectApart(everythingGrantedTo(templates, party), outside.flatMap((group) => protectedBy(templates, GROUP, group)), fillers, `(4) ${context}`);
    }
  }
  // (2) both ways: nothing through one group reaches the other group's topics.
  expectApart(throughGroup(templates, groupG), protectedBy(templates, GROUP, groupH), fillers, `(2) ${JSON.stringify(templates)}`);
  expectApart(throughGroup(templates, groupH), protectedBy(templates, GROUP, groupG), fillers, `(2) ${JSON.stringify(templates)}`);
  // (3) shared grants stay out of every group's topics.
  expectApart(sharedGrants(templates), [...protectedBy(templates, GROUP, groupG), ...protectedBy(templates, GROUP, groupH)], fillers, `(3) ${JSON.stringify(templates)}`);
}

/** The values with which a template reaches a topic (`['']` for a shared template that does). */
function valuesReaching(text: string, topic: string): string[] {
  return variableValuesReaching(text, variableOf(text) ?? SUB, topic);
}

/** A refusal is for a reason: both named templates reach its topic (R1: with two values). */
function checkRefusal(templates: TopicTemplates): void {
  const overlap = grantOverlap(templates)!;
  for (const place of [overlap.reaching, overlap.reached]) {
    expect(templates[place.list][place.index]).toBe(place.template);
    expect(overlap.explanation).toContain(`${place.list}[${place.index}] "${place.template}"`);
  }
  if (overlap.topic === undefined) {
    expect(overlap.reaching, 'only R1 refuses without a topic').toEqual(overlap.reached);
    expect(overlap.reached.template.slice(0, overlap.reached.template.indexOf('${'))).toContain('*');
    return;
  }
  const reaching = valuesReaching(overlap.reaching.template, overlap.topic);
  const reached = valuesReaching(overlap.reached.template, overlap.topic);
  expect(reaching, `${overlap.reaching.template} reaches "${overlap.topic}"`).not.toEqual([]);
  expect(reached, `${overlap.reached.template} reaches "${overlap.topic}"`).not.toEqual([]);
  if (overlap.reaching.template === overlap.reached.template) expect(reached.length).toBeGreaterThanOrEqual(2);
}

describe('grantOverlap: THE property', () => {
  it('accepted sets keep every user’s and every group’s topics apart; refused ones overlap for real', () => {
    const runs = 800;
    const seen = { accepted: 0, refused: 0, acceptedWithBothVariables: 0, acceptedWithSharedAndVariable: 0 };
    fc.assert(
      fc.property(templateSet, distinctPair, distinctPair, fc.array(fillerShape, { minLength: 24, maxLength: 24 }), (templates, subs, groups, shapes) => {
        if (grantOverlap(templates) !== undefined) {
          seen.refused++;
          checkRefusal(templates);
          return;
        }
        seen.accepted++;
        const kinds = new Set(allTemplates(templates).map((text) => variableOf(text) ?? 'shared'));
        if (kinds.has(SUB) && kinds.has(GROUP)) seen.acceptedWithBothVariables++;
        if (kinds.has('shared') && kinds.size > 1) seen.acceptedWithSharedAndVariable++;
        checkGuarantee(templates, subs, groups, shapes);
      }),
      { numRuns: runs },
    );
    // Not vacuous: both outcomes are common, and accepted sets are not just shared topics.
    expect(seen.accepted, JSON.stringify(seen)).toBeGreaterThanOrEqual(runs * 0.2);
    expect(seen.refused, JSON.stringify(seen)).toBeGreaterThanOrEqual(runs * 0.2);
    expect(seen.acceptedWithBothVariables, JSON.stringify(seen)).toBeGreaterThanOrEqual(runs * 0.05);
    expect(seen.acceptedWithSharedAndVariable, JSON.stringify(seen)).toBeGreaterThanOrEqual(runs * 0.05);
  });
});

describe('grantOverlap: targeted attacks', () => {
  /** A namespace template as an operator writes it: literal levels, the variable, any levels. */
  const namespace = fc.record({
    before: fc.array(literalLevel, { maxLength: 2 }),
    name: variable,
    after: fc.array(plainLevel, { maxLength: 2 }),
  });
  type Namespace = typeof namespace extends fc.Arbitrary<infer T> ? T : never;
  const text = (levels: readonly string[]): string => levels.join('/');
  const otherVariable = (name: string): string => (name === SUB ? GROUP : SUB);
  /** A level an attacker picks: a literal, a value someone may hold, the empty level. */
  const sneakyLevel = fc.constantFrom(...LITERALS, ...VALUES, '');

  /** A second template derived from a namespace in the ways a configuration slips (or attacks). */
  const attackOn = ({ before, name, after }: Namespace): fc.Arbitrary<string> =>
    fc.oneof(
      // the same template (in the other list, or twice)
      fc.constant(text([...before, name, ...after])),
      // equal but for the variable
      fc.constant(text([...before, otherVariable(name), ...after])),
      // a deeper prefix, its extra level a value someone may hold: users/admin/${sub}
      fc.tuple(sneakyLevel, variable, fc.array(plainLevel, { maxLength: 2 })).map(([extra, other, rest]) => text([...before, extra, other, ...rest])),
      // a shallower prefix
      fc.tuple(variable, fc.array(plainLevel, { maxLength: 2 })).map(([other, rest]) => text([...before.slice(0, -1), other, ...rest])),
      // an empty level slipped in before the variable: users//${sub}
      fc.constant(text([...before, '', name, ...after])),
      // shared, something at the variable's level: users/*, users/a*, users/alice/*, users//*
      fc.tuple(fc.constantFrom('*', 'a*', '*a', 'x*', ...VALUES, ''), fc.array(plainLevel, { maxLength: 2 })).map(([level, rest]) => text([...before, level, ...rest])),
      // shared, reaching in from the left: */inbox, *
      fc.array(plainLevel, { maxLength: 2 }).map((rest) => text(['*', ...rest])),
      // a prefix level made a wildcard (R1): tenants/*/users/${sub}/*
      fc.tuple(fc.nat(), fc.constantFrom('*', 'x*', 'a*')).map(([at, wild]) =>
        text([...before.map((level, index) => (index === at % Math.max(before.length, 1) ? wild : level)), ...(before.length === 0 ? [wild] : []), name, ...after]),
      ),
      // another suffix: ${sub}'s level followed by a wildcard or a value: users/${sub}/*/alice
      fc.array(fc.constantFrom('*', 'x*', ...VALUES, ''), { maxLength: 2 }).map((rest) => text([...before, name, ...rest])),
    );

  const attackSet: fc.Arbitrary<TopicTemplates> = namespace.chain((base) =>
    fc.tuple(attackOn(base), fc.constantFrom('split', 'publish', 'both')).map(([second, placement]): TopicTemplates => {
      const first = text([...base.before, base.name, ...base.after]);
      if (placement === 'split') return { publish: [first], subscribe: [second] };
      if (placement === 'publish') return { publish: [first, second], subscribe: [first] };
      return { publish: [first, second], subscribe: [second, first] };
    }),
  ).filter((templates) => allTemplates(templates).every((entry) => topicTemplateProblem(entry) === undefined));

  it('no slip lets anyone in: accepted attacks keep the guarantee, refused ones overlap for real', () => {
    const runs = 500;
    const seen = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(attackSet, distinctPair, distinctPair, fc.array(fillerShape, { minLength: 24, maxLength: 24 }), (templates, subs, groups, shapes) => {
        if (grantOverlap(templates) !== undefined) {
          seen.refused++;
          checkRefusal(templates);
          return;
        }
        seen.accepted++;
        checkGuarantee(templates, subs, groups, shapes);
      }),
      { numRuns: runs },
    );
    expect(seen.accepted, JSON.stringify(seen)).toBeGreaterThanOrEqual(runs * 0.15);
    expect(seen.refused, JSON.stringify(seen)).toBeGreaterThanOrEqual(runs * 0.15);
  });

  it.each<[string, TopicTemplates]>([
    // Each of these looked dangerous; each is accepted, and each is safe (checked for every pair of values below).
    ['an empty level before the variable', { publish: [`users//${SUB}`], subscribe: [`users/${SUB}/*`] }],
    ['a trailing slash', { publish: [`users/${SUB}/`], subscribe: [`users/${SUB}/*`, `users/${SUB}`] }],
    ['a wildcard inside the suffix', { publish: [`users/${SUB}/*x*`], subscribe: [`users/${SUB}/*/*`] }],
    ['a deeper prefix with no suffix (its level is never a whole namespace)', both([`a/${SUB}`, `a/b/${SUB}`])],
    ['a level-prefix that ends before the value level', both([`${SUB}/a/*`, `a/${SUB}`])],
    ['an empty first level beside a first-level variable', both([`/${SUB}`, `${SUB}/*`])],
    ['the same namespace for subs and groups under different roots', both([`u/${SUB}/*`, `g/${GROUP}/*`, `u`, `g/`, 'g//*'])],
  ])('accepts %s, and it is safe', (_why, templates) => {
    expect(grantOverlap(templates)).toBeUndefined();
    for (const subs of pairsOf(['a', 'b', 'u', 'users', 'x', 'xa'])) for (const groups of pairsOf(['a', 'g', 'users'])) checkGuarantee(templates, subs, groups, DEFAULT_SHAPES);
  });
});

/** Same templates in both lists. */
function both(templates: readonly string[]): TopicTemplates {
  return { publish: templates, subscribe: templates };
}

/** Every ordered pair of distinct values. */
function pairsOf(values: readonly string[]): (readonly [string, string])[] {
  return values.flatMap((first) => values.filter((second) => second !== first).map((second) => [first, second] as const));
}

/** Filler shapes for the example checks: each value and literal alone, with and without slashes around. */
const DEFAULT_SHAPES: readonly FillerShape[] = [0, 1, 2, 3, 8, 9, 10].flatMap((index) => [
  { lead: false, levels: [index], trail: false },
  { lead: true, levels: [index, index + 1], trail: true },
]);
