/**
 * `commonTopic` (lambda/vending/glob-intersection.ts): a shortest topic two patterns both match, `*`
 * being IAM's any-run wildcard and a named variable one or more non-`/` characters. Checked against
 * examples, and against the independent matcher of `iam-glob.ts` and a brute force over every short
 * string. The test helper itself is checked against a regular-expression model first.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commonTopic, type TopicPattern } from '../../lambda/vending/glob-intersection.js';
import { fillVariable, iamGlobMatches, iamGlobsIntersect, isLevelValue, variableValueReaching } from './iam-glob.js';

const V = '${v}';

/** A regular expression for a pattern: `*` any run, `?` one character, `variable` one non-`/` level value. */
function patternRegExp(template: string, variable?: string): RegExp {
  const escape = (text: string): string =>
    Array.from(text)
      .map((char) => (char === '*' ? '[^]*' : char === '?' ? '[^]' : char.replace(/[\\^$.|?*+()[\]{}/-]/g, '\\$&')))
      .join('');
  const parts = variable === undefined ? [template] : template.split(variable);
  return new RegExp(`^${parts.map(escape).join('[^/]+')}$`, 'u');
}

/** Every string over `alphabet` of exactly `length` characters. */
function* stringsOfLength(alphabet: readonly string[], length: number): Generator<string> {
  if (length === 0) {
    yield '';
    return;
  }
  for (const head of alphabet) for (const tail of stringsOfLength(alphabet, length - 1)) yield head + tail;
}

/** The shortest string over `alphabet` of at most `maxLength` characters that both expressions match. */
function bruteForceCommon(first: RegExp, second: RegExp, alphabet: readonly string[], maxLength: number): string | undefined {
  for (let length = 0; length <= maxLength; length++) {
    for (const text of stringsOfLength(alphabet, length)) if (first.test(text) && second.test(text)) return text;
  }
  return undefined;
}

/** How many characters a pattern consumes at least: its literals, plus one for a variable. */
function advancing(pattern: TopicPattern): number {
  const parts = pattern.variable === undefined ? [pattern.template] : pattern.template.split(pattern.variable);
  return parts.join('').replaceAll('*', '').length + (parts.length - 1);
}

/** Checks a witness the way a caller relies on it: each pattern, its variable filled, matches the topic. */
function expectWitness(first: TopicPattern, second: TopicPattern, found: NonNullable<ReturnType<typeof commonTopic>>): void {
  for (const [pattern, value] of [
    [first, found.firstValue],
    [second, found.secondValue],
  ] as const) {
    if (pattern.variable === undefined || !pattern.template.includes(pattern.variable)) {
      expect(value).toBeUndefined();
      expect(iamGlobMatches(pattern.template, found.topic), `${pattern.template} ~ ${found.topic}`).toBe(true);
    } else {
      expect(typeof value).toBe('string');
      expect(isLevelValue(value as string), `value ${JSON.stringify(value)}`).toBe(true);
      expect(iamGlobMatches(fillVariable(pattern.template, pattern.variable, value as string), found.topic), `${pattern.template} [${value}] ~ ${found.topic}`).toBe(true);
    }
  }
}

describe('iam-glob (the test oracle)', () => {
  it.each([
    ['users/*', 'users/', true],
    ['users/*', 'users/a/b/c', true],
    ['users/*', 'users', false],
    ['*', '', true],
    ['*', 'a/b', true],
    ['a*b', 'ab', true],
    ['a*b', 'a/x/b', true],
    ['a*b', 'a/x/bc', false],
    ['a?c', 'a/c', true],
    ['a?c', 'ac', false],
    ['Users/*', 'users/a', false],
    ['users/+/x', 'users/a/x', false],
    ['users/+/x', 'users/+/x', true],
    ['users/#', 'users/a', false],
    ['*a*a*', 'xaxa', true],
    ['*a*a*', 'xax', false],
    ['a/*/b*', 'a//b', true],
    ['x', 'x*', false],
  ])('%j matches %j: %s', (glob, text, expected) => {
    expect(iamGlobMatches(glob, text)).toBe(expected);
  });

  const globChar = fc.constantFrom('a', 'b', '/', '*', '?');
  const textChar = fc.constantFrom('a', 'b', '/', 'x');

  it('agrees with a regular-expression model of IAM wildcards', () => {
    fc.assert(
      fc.property(fc.string({ unit: globChar, maxLength: 7 }), fc.string({ unit: textChar, maxLength: 8 }), (glob, text) => {
        expect(iamGlobMatches(glob, text)).toBe(patternRegExp(glob).test(text));
      }),
      { numRuns: 1000 },
    );
  });

  it('decides glob intersection exactly (against a brute force), with a witness both match', () => {
    fc.assert(
      fc.property(fc.string({ unit: globChar, maxLength: 3 }), fc.string({ unit: globChar, maxLength: 3 }), (first, second) => {
        const found = iamGlobsIntersect(first, second);
        if (found !== undefined) {
          expect(iamGlobMatches(first, found) && iamGlobMatches(second, found)).toBe(true);
        } else {
          // A shortest common string is at most as long as both patterns' non-`*` characters together.
          expect(bruteForceCommon(patternRegExp(first), patternRegExp(second), ['a', 'b', '/'], first.length + second.length)).toBeUndefined();
        }
      }),
      { numRuns: 500 },
    );
  });

  it('finds the value of a variable in a topic', () => {
    expect(variableValueReaching('users/${sub}/*', '${sub}', 'users/alice/x')).toBe('alice');
    expect(variableValueReaching('users/${sub}/*', '${sub}', 'users/alice')).toBeUndefined();
    expect(variableValueReaching('lobby/*', '${sub}', 'lobby/x')).toBe('');
    expect(variableValueReaching('lobby/*', '${sub}', 'users/x')).toBeUndefined();
  });
});

describe('commonTopic: examples', () => {
  const sub = (template: string): TopicPattern => ({ template, variable: '${sub}' });
  const group = (template: string): TopicPattern => ({ template, variable: '${group}' });
  const shared = (template: string): TopicPattern => ({ template });

  it('finds the shortest topic two private namespaces share, and both values', () => {
    const found = commonTopic(sub('users/${sub}/*'), sub('users/${sub}/*'));
    expect(found).toEqual({ topic: 'users/x/', firstValue: 'x', secondValue: 'x' });
  });

  it('takes the value from the other pattern’s literal level', () => {
    expect(commonTopic(sub('users/${sub}'), shared('users/admin'))).toEqual({ topic: 'users/admin', firstValue: 'admin', secondValue: undefined });
    expect(commonTopic(shared('users/admin/*'), sub('users/${sub}/*'))).toEqual({ topic: 'users/admin/', firstValue: undefined, secondValue: 'admin' });
  });

  it('shows a shared wildcard reaching a private level', () => {
    const found = commonTopic(shared('users/*'), sub('users/${sub}/*'));
    expect(found).toBeDefined();
    expect(found?.secondValue).toBe('x');
    expect(found?.firstValue).toBeUndefined();
    expectWitness(shared('users/*'), sub('users/${sub}/*'), found!);
  });

  it('lets * span levels', () => {
    const found = commonTopic(shared('*/inbox'), sub('users/${sub}/inbox'));
    expect(found).toEqual({ topic: 'users/x/inbox', firstValue: undefined, secondValue: 'x' });
    expect(commonTopic(shared('a/*'), shared('*/b'))?.topic).toBe('a/b');
    expect(commonTopic(shared('*'), shared('*'))?.topic).toBe('');
    expect(commonTopic(shared('a*'), shared('a'))?.topic).toBe('a');
    expect(commonTopic(shared('a*b'), shared('*'))?.topic).toBe('ab');
  });

  it.each([
    [sub('users/${sub}/*'), group('rooms/${group}/*')],
    [sub('a/${sub}'), shared('a/')], // a value is never empty
    [sub('a/${sub}'), shared('a/b/c')], // a value never holds /
    [sub('a/${sub}'), shared('a/*/c')],
    [shared('Users/*'), shared('users/*')], // case-sensitive
    [shared('a/+'), shared('a/b')], // + and # are literal characters
    [shared('a/#'), shared('a/b/c')],
    [shared('users//*'), sub('users/${sub}/*')], // an empty level is not a value
    [sub('/${sub}'), sub('${sub}/*')],
    [shared('a'), shared('')],
  ])('finds none for %j and %j', (first, second) => {
    expect(commonTopic(first, second)).toBeUndefined();
  });

  it('matches + and # literally when both hold them', () => {
    expect(commonTopic(shared('a/#'), shared('a/*'))?.topic).toBe('a/#');
    expect(commonTopic(shared('a/+/b'), sub('a/${sub}/b'))).toEqual({ topic: 'a/+/b', firstValue: undefined, secondValue: '+' });
  });

  it('treats a value as one level right beside literal text and wildcards', () => {
    expectWitness(sub('a${sub}b'), shared('*x*'), commonTopic(sub('a${sub}b'), shared('*x*'))!);
    expect(commonTopic(sub('a${sub}b'), shared('a/b'))).toBeUndefined();
    expect(commonTopic(sub('${sub}'), group('${group}'))).toEqual({ topic: 'x', firstValue: 'x', secondValue: 'x' });
  });

  it('answers fast for the longest topics AWS IoT allows', () => {
    const started = performance.now();
    // 242 × 242 states to visit before giving up.
    expect(commonTopic(shared(`*${'a/'.repeat(120)}c`), shared(`*${'a/'.repeat(120)}d`))).toBeUndefined();
    expect(commonTopic(shared(`${'*a'.repeat(120)}`), shared(`${'a*'.repeat(120)}`))?.topic).toBe('a'.repeat(120));
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('commonTopic: properties', () => {
  /** A small pattern over `a b / *`, with `${v}` inserted at one random place or not at all. */
  const pattern: fc.Arbitrary<TopicPattern> = fc
    .tuple(fc.string({ unit: fc.constantFrom('a', 'b', '/', '*'), maxLength: 3 }), fc.option(fc.nat(3), { nil: undefined }))
    .map(([text, at]) =>
      at === undefined ? { template: text } : { template: text.slice(0, at) + V + text.slice(at), variable: V },
    );

  it('returns a witness both patterns match (variables filled with the reported, one-level values), or there is none', () => {
    let found = 0;
    let none = 0;
    fc.assert(
      fc.property(pattern, pattern, (first, second) => {
        const result = commonTopic(first, second);
        const firstRe = patternRegExp(first.template, first.variable);
        const secondRe = patternRegExp(second.template, second.variable);
        // A shortest common topic consumes at least one pattern token per character, so it is no
        // longer than this; over {a, b, /} is enough, since only wildcards meet any other character.
        const bound = advancing(first) + advancing(second);
        if (result === undefined) {
          none++;
          expect(bruteForceCommon(firstRe, secondRe, ['a', 'b', '/'], bound)).toBeUndefined();
        } else {
          found++;
          expectWitness(first, second, result);
          expect(firstRe.test(result.topic) && secondRe.test(result.topic)).toBe(true);
          // …and it is a shortest one.
          expect(bruteForceCommon(firstRe, secondRe, ['a', 'b', '/'], result.topic.length - 1)).toBeUndefined();
        }
      }),
      { numRuns: 600 },
    );
    expect(found).toBeGreaterThan(100);
    expect(none).toBeGreaterThan(100);
  });

  it('agrees with the independent glob intersection on patterns without variables', () => {
    const glob = fc.string({ unit: fc.constantFrom('a', 'b', '/', '*', 'users', 'x'), maxLength: 6 });
    fc.assert(
      fc.property(glob, glob, (first, second) => {
        const mine = iamGlobsIntersect(first, second);
        const theirs = commonTopic({ template: first }, { template: second });
        expect(theirs === undefined).toBe(mine === undefined);
        if (theirs !== undefined) expect(iamGlobMatches(first, theirs.topic) && iamGlobMatches(second, theirs.topic)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('is symmetric: swapping the patterns swaps the values and keeps the length', () => {
    fc.assert(
      fc.property(pattern, pattern, (first, second) => {
        const forward = commonTopic(first, second);
        const backward = commonTopic(second, first);
        expect(forward === undefined).toBe(backward === undefined);
        if (forward !== undefined && backward !== undefined) expect(backward.topic.length).toBe(forward.topic.length);
      }),
      { numRuns: 300 },
    );
  });

  it('finds values exactly where the independent matcher finds them (whole-level variables)', () => {
    // A pattern whose variable is a whole level, as topic templates hold it.
    const level = fc.constantFrom('a', 'b', '*', 'a*', '');
    const template = fc
      .tuple(fc.array(level, { minLength: 0, maxLength: 3 }), fc.nat(3))
      .map(([levels, at]) => [...levels.slice(0, at), V, ...levels.slice(at)].join('/'));
    fc.assert(
      fc.property(template, fc.string({ unit: fc.constantFrom('a', 'b', '/', 'x'), maxLength: 7 }), (text, topic) => {
        const viaCommon = commonTopic({ template: text, variable: V }, { template: topic });
        const viaMatcher = variableValueReaching(text, V, topic);
        expect(viaCommon === undefined).toBe(viaMatcher === undefined);
        if (viaCommon !== undefined) {
          expect(viaCommon.topic).toBe(topic);
          expect(iamGlobMatches(fillVariable(text, V, viaCommon.firstValue!), topic)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
