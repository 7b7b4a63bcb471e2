/**
 * THE non-overlap rule (`grantOverlap`, lambda/vending/grant-overlap.ts) on examples: the shapes it
 * must refuse, each refusal checked for what an operator needs from it (both templates named by list
 * and index, and a topic that both really reach, verified with the independent matcher of
 * `iam-glob.ts`), and the shapes it must accept, each checked for leaks with an exact glob
 * intersection over a pool of tricky values. The random search is `grant-overlap.property.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import { grantOverlap, type GrantOverlap, type TemplateListNames, type TemplatePlace } from '../../lambda/vending/grant-overlap.js';
import { GROUP_PLACEHOLDER, SUB_PLACEHOLDER, grantedTopics, topicTemplateProblem, variableOf, type TopicTemplates } from '../../lambda/vending/topic-templates.js';
import { fillVariable, iamGlobMatches, iamGlobsIntersect, variableValuesReaching } from './iam-glob.js';

const NAMES: TemplateListNames = { publish: 'publish', subscribe: 'subscribe' };
const SUB = SUB_PLACEHOLDER;
const GROUP = GROUP_PLACEHOLDER;

/** The same templates in both lists (a grant is a grant, whichever list holds it). */
function both(templates: readonly string[]): TopicTemplates {
  return { publish: templates, subscribe: templates };
}

/** The values with which a template reaches a topic (`['']` for a shared template that does). */
function valuesReaching(template: string, topic: string): string[] {
  return variableValuesReaching(template, variableOf(template) ?? SUB, topic);
}

/**
 * Checks a refusal as an operator reads it: both templates named by list, index and text; the topic
 * (when given) quoted; and reached by both templates for some values of their variables: when one
 * template is both (R1), for two different values.
 */
function expectWellFormedRefusal(overlap: GrantOverlap, templates: TopicTemplates, names: TemplateListNames = NAMES): void {
  for (const place of [overlap.reaching, overlap.reached]) {
    expect(templates[place.list][place.index], `${place.list}[${place.index}]`).toBe(place.template);
    expect(overlap.explanation).toContain(`${names[place.list]}[${place.index}] "${place.template}"`);
  }
  expect(variableOf(overlap.reached.template), 'the reached template holds a variable').toBeDefined();
  if (overlap.topic === undefined) {
    // Only R1 may refuse without a topic: a * before the variable, in a template that reaches itself.
    expect(overlap.reaching).toEqual(overlap.reached);
    return;
  }
  expect(overlap.explanation).toContain(`"${overlap.topic}"`);
  const reachingValues = valuesReaching(overlap.reaching.template, overlap.topic);
  const reachedValues = valuesReaching(overlap.reached.template, overlap.topic);
  expect(reachingValues, `${overlap.reaching.template} reaches ${overlap.topic}`).not.toEqual([]);
  expect(reachedValues, `${overlap.reached.template} reaches ${overlap.topic}`).not.toEqual([]);
  if (overlap.reaching.template === overlap.reached.template) {
    expect(reachedValues.length, `two holders of ${overlap.reached.template} share ${overlap.topic}`).toBeGreaterThanOrEqual(2);
  }
}

/** Refuses, well-formed; returns the refusal. */
function expectRefused(templates: TopicTemplates, names: TemplateListNames = NAMES): GrantOverlap {
  for (const template of [...templates.publish, ...templates.subscribe]) expect(topicTemplateProblem(template), template).toBeUndefined();
  const overlap = grantOverlap(templates, names);
  expect(overlap, JSON.stringify(templates)).toBeDefined();
  expectWellFormedRefusal(overlap!, templates, names);
  return overlap!;
}

// Values chosen to collide with literal levels, the witness filler, and each other.
const VALUE_POOL = ['alice', 'bob', 'users', 'rooms', 'inbox', 'lobby', 'admin', 'a', 'x', 'team-a', 'tenants'];

/**
 * A leak, exactly (no sampling): for every two distinct subs and groups of the pool, a grant of one
 * party and a protected topic of the other that share a topic (or topic filter). `undefined` when
 * there is none. Protected: what `${sub}` templates give another user; what `${group}` templates give
 * a group, against grants through other groups and shared grants.
 */
function findLeak(templates: TopicTemplates): string | undefined {
  const all = [...templates.publish, ...templates.subscribe];
  const privateTemplates = all.filter((template) => variableOf(template) === SUB);
  const groupTemplates = all.filter((template) => variableOf(template) === GROUP);
  const sharedTemplates = all.filter((template) => variableOf(template) === undefined);
  for (const mine of VALUE_POOL) {
    for (const theirs of VALUE_POOL) {
      if (mine === theirs) continue;
      // (1) everything A holds — private, through its groups (here: every pool group but B's sub's), shared — against B's private topics.
      const grantsOfA = grantedTopics(all, { sub: mine, groups: VALUE_POOL });
      for (const grant of grantsOfA) {
        for (const template of privateTemplates) {
          const protectedTopic = fillVariable(template, SUB, theirs);
          const witness = iamGlobsIntersect(grant, protectedTopic);
          if (witness !== undefined) return `${mine}'s grant "${grant}" reaches "${witness}" of ${theirs}'s "${protectedTopic}"`;
        }
      }
      // (2) grants through group `mine` (and shared grants) against group `theirs`'s topics.
      const throughGroup = [...groupTemplates.map((template) => fillVariable(template, GROUP, mine)), ...sharedTemplates];
      for (const grant of throughGroup) {
        for (const template of groupTemplates) {
          const protectedTopic = fillVariable(template, GROUP, theirs);
          const witness = iamGlobsIntersect(grant, protectedTopic);
          if (witness !== undefined) return `grant "${grant}" reaches "${witness}" of group ${theirs}'s "${protectedTopic}"`;
        }
      }
    }
  }
  return undefined;
}

describe('grantOverlap refuses', () => {
  it('tenants/*/users/${sub}/* (R1), with a topic both alice’s and bob’s grants reach', () => {
    const templates = both([`tenants/*/users/${SUB}/*`]);
    const overlap = expectRefused(templates);
    expect(overlap.reaching).toEqual<TemplatePlace>({ list: 'publish', index: 0, template: `tenants/*/users/${SUB}/*` });
    expect(overlap.reached).toEqual(overlap.reaching);
    expect(overlap.topic).toBeDefined();
    const topic = overlap.topic!;
    expect(iamGlobMatches(`tenants/*/users/alice/*`, topic), topic).toBe(true);
    expect(iamGlobMatches(`tenants/*/users/bob/*`, topic), topic).toBe(true);
    expect(overlap.explanation).toContain('"alice"');
    expect(overlap.explanation).toContain('"bob"');
    // And for real users too: alice's own grant reaches a topic inside bob's.
    const aliceGrant = grantedTopics(templates.publish, { sub: 'alice', groups: [] })[0]!;
    const bobGrant = grantedTopics(templates.publish, { sub: 'bob', groups: [] })[0]!;
    expect(iamGlobsIntersect(aliceGrant, bobGrant)).toBeDefined();
  });

  it('*/${sub}/* (R1)', () => {
    const overlap = expectRefused(both([`*/${SUB}/*`]));
    expect(overlap.topic).toBeDefined();
    expect(iamGlobMatches('*/alice/*', overlap.topic!) && iamGlobMatches('*/bob/*', overlap.topic!)).toBe(true);
  });

  it('*/${sub} (R1), even though no topic shows it, and x*/${group}/* (R1)', () => {
    const overlap = expectRefused(both([`*/${SUB}`]));
    expect(overlap.explanation).toContain('*');
    expectRefused(both([`x*/${GROUP}/*`]));
  });

  it('["${sub}/*", "inbox/${sub}"]: the user named inbox reaches everyone’s inbox', () => {
    const templates = both([`${SUB}/*`, `inbox/${SUB}`]);
    const overlap = expectRefused(templates);
    expect([overlap.reaching.template, overlap.reached.template].sort()).toEqual([`${SUB}/*`, `inbox/${SUB}`].sort());
    expect(overlap.topic!.startsWith('inbox/')).toBe(true);
    expect(valuesReaching(`${SUB}/*`, overlap.topic!)).toContain('inbox');
    expect(findLeak(templates)).toBeDefined();
    // The user whose sub is "inbox" holds inbox/*, alice holds inbox/alice.
    const inboxGrants = grantedTopics(templates.publish, { sub: 'inbox', groups: [] });
    expect(inboxGrants.some((grant) => iamGlobMatches(grant, 'inbox/alice'))).toBe(true);
  });

  it('shared users/* beside users/${sub}/*', () => {
    const overlap = expectRefused(both([`users/${SUB}/*`, 'users/*']));
    expect(overlap.reaching.template).toBe('users/*');
    expect(overlap.reached.template).toBe(`users/${SUB}/*`);
    expect(overlap.explanation).toContain('every signed-in user');
  });

  it('shared * beside users/${sub}/*', () => {
    const overlap = expectRefused({ publish: [`users/${SUB}/*`], subscribe: ['lobby/*', '*'] });
    expect(overlap.reaching).toEqual<TemplatePlace>({ list: 'subscribe', index: 1, template: '*' });
    expect(overlap.reached).toEqual<TemplatePlace>({ list: 'publish', index: 0, template: `users/${SUB}/*` });
  });

  it('shared * with only a group template', () => {
    expectRefused({ publish: [`rooms/${GROUP}/*`], subscribe: ['*'] });
  });

  it('users/${group}/* beside users/${sub}/*: the group named alice reaches alice’s topics', () => {
    const templates = both([`users/${SUB}/*`, `users/${GROUP}/*`]);
    expectRefused(templates);
    expect(findLeak(templates)).toBeDefined();
  });

  it('shared rooms/* beside rooms/${group}/*', () => {
    const overlap = expectRefused({ publish: [`users/${SUB}/*`, `rooms/${GROUP}/*`], subscribe: ['rooms/*'] });
    expect(overlap.reaching).toEqual<TemplatePlace>({ list: 'subscribe', index: 0, template: 'rooms/*' });
    expect(overlap.reached).toEqual<TemplatePlace>({ list: 'publish', index: 1, template: `rooms/${GROUP}/*` });
    expect(overlap.explanation).toContain('members of group');
  });

  it.each([
    ['a literal prefix that is a level-prefix of another’s', [`users/${SUB}/*`, `users/admin/${SUB}`]],
    ['the same, for groups', [`rooms/${GROUP}/*`, `rooms/admin/${GROUP}/*`]],
    ['a shared template naming a literal value', [`users/${SUB}/*`, 'users/admin/*']],
    ['a shared template ending where a value starts', [`users/${SUB}/*`, 'users/a*']],
    ['a shared template reaching across levels', [`users/${SUB}/inbox`, '*/inbox']],
    ['a shared prefix glob', [`users/${SUB}/*`, 'user*']],
    ['an empty level followed by a wildcard', [`users//${SUB}`, 'users/*']],
    ['a group with the private variable at the same place', [`${SUB}`, `${GROUP}`]],
    ['a private variable after a group namespace', [`rooms/${GROUP}/*`, `rooms/x/${SUB}`]],
    ['a wildcard inside the suffix of another namespace', [`a/${SUB}/*`, `a/*/b`]],
  ])('%s: %j', (_why, templates) => {
    expectRefused(both(templates));
    expect(findLeak(both(templates)), 'a real leak for some pool values').toBeDefined();
  });

  it('names the lists as the configuration does', () => {
    const names = { publish: 'PUBLISH_TOPIC_TEMPLATES', subscribe: 'SUBSCRIBE_TOPIC_TEMPLATES' };
    const overlap = expectRefused({ publish: [`users/${SUB}/*`], subscribe: [`users/${SUB}/*`, 'users/*'] }, names);
    expect(overlap.explanation).toContain('SUBSCRIBE_TOPIC_TEMPLATES[1] "users/*"');
    expect(overlap.explanation).toContain(`PUBLISH_TOPIC_TEMPLATES[0] "users/${SUB}/*"`);
  });

  it('finds an overlap across the two lists', () => {
    const overlap = expectRefused({ publish: ['*/inbox'], subscribe: [`users/${SUB}/inbox`] });
    expect(overlap.reaching.list).toBe('publish');
    expect(overlap.reached.list).toBe('subscribe');
  });
});

describe('grantOverlap accepts', () => {
  it.each<[string, TopicTemplates]>([
    ['the defaults', both([`users/${SUB}/*`])],
    [
      'the demo set',
      {
        publish: [`users/${SUB}/*`, `rooms/${GROUP}/*`, 'lobby/*'],
        subscribe: [`users/${SUB}/*`, `rooms/${GROUP}/*`, 'lobby/*', 'telemetry/*'],
      },
    ],
    ['a private topic beside its private namespace', both([`users/${SUB}`, `users/${SUB}/*`])],
    ['a trailing slash beside the namespace', both([`users/${SUB}/`, `users/${SUB}/*`])],
    ['wildcards after the variable', both([`users/${SUB}/*`, `users/${SUB}/*/inbox/x*`, `users/${SUB}`])],
    ['the variable first', both([`${SUB}`, `${SUB}/*`, `${SUB}/inbox`])],
    ['an empty level before the variable', both([`users//${SUB}`, `users/${SUB}/*`])],
    ['an empty first level', both([`/${SUB}`, `${SUB}/*`])],
    ['group and private namespaces diverging at a literal level', both([`users/${SUB}/*`, `rooms/${GROUP}`, `rooms/${GROUP}/*`])],
    ['shared topics that stop short of the variable level', both([`users/${SUB}/*`, 'users', 'users/', 'users//*', 'user', 'lobby/*'])],
    ['the same template in both lists, in another order', { publish: [`users/${SUB}/*`, 'lobby/*'], subscribe: ['lobby/*', `users/${SUB}/*`] }],
  ])('%s', (_why, templates) => {
    for (const template of [...templates.publish, ...templates.subscribe]) expect(topicTemplateProblem(template), template).toBeUndefined();
    expect(grantOverlap(templates)).toBeUndefined();
    expect(findLeak(templates)).toBeUndefined();
  });
});

describe('the leak oracle', () => {
  it('sees the leaks the rule exists to stop', () => {
    expect(findLeak(both([`users/${SUB}/*`, 'users/*']))).toBeDefined();
    expect(findLeak(both([`tenants/*/users/${SUB}/*`]))).toBeDefined();
    expect(findLeak(both([`rooms/${GROUP}/*`, 'rooms/*']))).toBeDefined();
    expect(findLeak(both([`users/${SUB}/*`]))).toBeUndefined();
  });
});
