/**
 * The single-template rules and the role session name at their exact edges: 256 UTF-8 bytes,
 * 7 slashes, 1..8 templates, 2..64 session-name characters, and a policy variable spliced around a
 * placeholder. Each test was written against a mutant that survived the rest of the suite
 * (`npm run mutate`), where these limits were only tested far from their edges.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { roleSessionNameFor } from '../../lambda/vending/role-session-name.js';
import {
  DEFAULT_TOPIC_TEMPLATE,
  GROUP_PLACEHOLDER,
  MAX_TOPIC_TEMPLATES,
  SUB_PLACEHOLDER,
  fillTemplate,
  grantedTopics,
  grantsOf,
  topicTemplateListProblem,
  topicTemplateProblem,
  unique,
  usesGroups,
  variableOf,
} from '../../lambda/vending/topic-templates.js';

const BYTES = 'must be at most 256 bytes (AWS IoT topic limit)';
const SLASHES = 'must have at most 7 slashes (AWS IoT topic limit)';

describe('topicTemplateProblem size limits', () => {
  it('accepts exactly 256 bytes and refuses 257', () => {
    const prefix = 'users/${sub}/';
    expect(topicTemplateProblem(prefix + 'a'.repeat(256 - prefix.length))).toBeUndefined();
    expect(topicTemplateProblem(prefix + 'a'.repeat(257 - prefix.length))).toBe(BYTES);
    expect(topicTemplateProblem('a'.repeat(256))).toBeUndefined();
    expect(topicTemplateProblem('a'.repeat(257))).toBe(BYTES);
  });

  it('counts UTF-8 bytes, not characters: two bytes for each character from U+0080 to U+00FF', () => {
    // 128 two-byte characters are 256 bytes; one more ASCII character makes 257 in 129 characters.
    expect(topicTemplateProblem('é'.repeat(128))).toBeUndefined();
    expect(topicTemplateProblem(`${'é'.repeat(128)}a`)).toBe(BYTES);
    expect(topicTemplateProblem(`${'a'.repeat(255)}é`)).toBe(BYTES);
    expect(topicTemplateProblem(`${'a'.repeat(254)}é`)).toBeUndefined();
    expect(topicTemplateProblem(`${'a'.repeat(254)}\u00ff`)).toBeUndefined();
    expect(topicTemplateProblem(`${'a'.repeat(255)}\u0080`)).toBe(BYTES);
    expect(topicTemplateProblem(`${'a'.repeat(255)}\u007e`)).toBeUndefined();
  });

  it('counts characters beyond Latin-1 by their UTF-8 length before refusing them', () => {
    // Each would be refused for its charset anyway; the byte limit is checked first and must count
    // 3 bytes for U+0800..U+FFFF and 4 for a surrogate pair.
    expect(topicTemplateProblem(`${'a'.repeat(253)}\u20ac`)).toBe('must contain only printable Latin-1 characters (IAM policy character set)');
    expect(topicTemplateProblem(`${'a'.repeat(254)}\u20ac`)).toBe(BYTES);
    expect(topicTemplateProblem(`${'a'.repeat(254)}\u07ff`)).toBe('must contain only printable Latin-1 characters (IAM policy character set)');
    expect(topicTemplateProblem(`${'a'.repeat(255)}\u07ff`)).toBe(BYTES);
    expect(topicTemplateProblem(`${'a'.repeat(252)}\u{1f600}`)).toBe('must contain only printable Latin-1 characters (IAM policy character set)');
    expect(topicTemplateProblem(`${'a'.repeat(253)}\u{1f600}`)).toBe(BYTES);
    expect(topicTemplateProblem(`${'a'.repeat(253)}\uffff`)).toBe('must contain only printable Latin-1 characters (IAM policy character set)');
    expect(topicTemplateProblem(`${'a'.repeat(254)}\uffff`)).toBe(BYTES);
    // The first code point of each longer encoding.
    expect(topicTemplateProblem(`${'a'.repeat(254)}\u0800`)).toBe(BYTES);
    expect(topicTemplateProblem(`${'a'.repeat(253)}\u{10000}`)).toBe(BYTES);
    expect(topicTemplateProblem(`${'a'.repeat(252)}\u{10000}`)).toBe('must contain only printable Latin-1 characters (IAM policy character set)');
  });

  it('accepts exactly 7 slashes and refuses 8', () => {
    expect(topicTemplateProblem('a/b/c/d/e/f/${sub}/*')).toBeUndefined();
    expect(topicTemplateProblem('a/b/c/d/e/f/g/${sub}/*')).toBe(SLASHES);
    expect(topicTemplateProblem('///////')).toBeUndefined();
    expect(topicTemplateProblem('////////')).toBe(SLASHES);
  });

  it('holds a list to 1..8 templates, and names the first bad entry', () => {
    const eight = Array.from({ length: MAX_TOPIC_TEMPLATES }, (_, i) => `t${i}/\${sub}/*`);
    expect(MAX_TOPIC_TEMPLATES).toBe(8);
    expect(topicTemplateListProblem(eight)).toBeUndefined();
    expect(topicTemplateListProblem(['a'])).toBeUndefined();
    expect(topicTemplateListProblem([...eight, 'x'])).toEqual({ problem: 'must hold 1..8 topic templates' });
    expect(topicTemplateListProblem([])).toEqual({ problem: 'must hold 1..8 topic templates' });
    expect(topicTemplateListProblem(['ok', 'a b', 'c d'])).toEqual({ index: 1, problem: 'must not contain white space' });
    expect(topicTemplateListProblem(['ok', 'fine', 7])).toEqual({ index: 2, problem: 'must be a non-empty string' });
  });
});

describe('topicTemplateProblem character and variable rules', () => {
  it('refuses a policy variable spliced together around ${sub} or ${group}', () => {
    const other = 'must not contain policy variables other than ${sub} and ${group}';
    // Removing the placeholder from `$${sub}{aws:username}` leaves `${aws:username}`.
    expect(topicTemplateProblem('users/$${sub}{aws:username}/*')).toBe(other);
    expect(topicTemplateProblem('rooms/$${group}{aws:username}/*')).toBe(other);
    expect(topicTemplateProblem('a/$${sub}${group}{x}')).toBe(other);
    expect(topicTemplateProblem('a/${aws:username}')).toBe(other);
    expect(topicTemplateProblem('a/${sub}/${iot:ClientId}')).toBe(other);
    // A `$` or `{` on its own is no variable.
    expect(topicTemplateProblem('a/$/{/}/${sub}')).toBeUndefined();
    expect(topicTemplateProblem('a/$x{y}/${group}')).toBeUndefined();
  });

  it('refuses two variables, and the same one twice', () => {
    const once = 'must hold at most one variable (${sub} or ${group}), once';
    expect(topicTemplateProblem('a/${sub}/${sub}')).toBe(once);
    expect(topicTemplateProblem('a/${group}/${group}')).toBe(once);
    expect(topicTemplateProblem('a/${sub}/${group}')).toBe(once);
    expect(topicTemplateProblem('a/${group}/b')).toBeUndefined();
  });

  it('requires the variable to be a whole level, wherever it stands', () => {
    const whole = (variable: string) => `must use ${variable} as a whole topic level (users/${variable}/*, not users/${variable}*), so that one namespace can never match another's`;
    expect(topicTemplateProblem('users/${sub}*')).toBe(whole(SUB_PLACEHOLDER));
    expect(topicTemplateProblem('users/x${sub}')).toBe(whole(SUB_PLACEHOLDER));
    expect(topicTemplateProblem('${group}x/y')).toBe(whole(GROUP_PLACEHOLDER));
    expect(topicTemplateProblem('${sub}')).toBeUndefined();
    expect(topicTemplateProblem('${group}/x')).toBeUndefined();
    expect(topicTemplateProblem('x/${sub}')).toBeUndefined();
    // A shared template has no variable level to check, even one that spells "undefined".
    expect(topicTemplateProblem('x*/y')).toBeUndefined();
    expect(topicTemplateProblem('a/undefined/b')).toBeUndefined();
    expect(topicTemplateProblem('undefined*')).toBeUndefined();
  });

  it('gives each refusal its own reason, in order', () => {
    expect(topicTemplateProblem('')).toBe('must be a non-empty string');
    expect(topicTemplateProblem(undefined)).toBe('must be a non-empty string');
    expect(topicTemplateProblem('a\u0000b')).toBe('must not contain control characters');
    expect(topicTemplateProblem('a\u001fb')).toBe('must not contain control characters');
    expect(topicTemplateProblem('a\u007fb')).toBe('must not contain control characters');
    expect(topicTemplateProblem('a\u009fb')).toBe('must not contain control characters');
    expect(topicTemplateProblem('a\u00a0b')).toBe('must not contain white space');
    expect(topicTemplateProblem('a\u0100b')).toBe('must contain only printable Latin-1 characters (IAM policy character set)');
    expect(topicTemplateProblem('a b')).toBe('must not contain white space');
    expect(topicTemplateProblem('a/+/b')).toMatch(/^must not contain the MQTT wildcards \+ or #/);
    expect(topicTemplateProblem('a/#')).toMatch(/^must not contain the MQTT wildcards \+ or #/);
    expect(topicTemplateProblem('a/?')).toBe('must not contain ?, which IAM treats as a single-character wildcard');
    expect(topicTemplateProblem('\u00a1\u00ff/${sub}')).toBeUndefined();
    expect(topicTemplateProblem(' ')).toBe('must not contain white space');
    expect(topicTemplateProblem('~')).toBeUndefined();
  });
});

describe('filling templates in', () => {
  it('fills private, group and shared templates for a caller', () => {
    const grantee = { sub: 'alice', groups: ['team-a', 'team-b'] };
    expect(grantsOf('users/${sub}/*', grantee)).toEqual(['users/alice/*']);
    expect(grantsOf('rooms/${group}/*', grantee)).toEqual(['rooms/team-a/*', 'rooms/team-b/*']);
    expect(grantsOf('rooms/${group}/*', { sub: 'bob', groups: [] })).toEqual([]);
    expect(grantsOf('lobby/*', grantee)).toEqual(['lobby/*']);
    expect(grantedTopics(['users/${sub}/*', 'lobby/*', 'users/${sub}/*', 'rooms/${group}'], grantee)).toEqual(['users/alice/*', 'lobby/*', 'rooms/team-a', 'rooms/team-b']);
    expect(fillTemplate('a/${sub}/${sub}', SUB_PLACEHOLDER, '$&')).toBe('a/$&/$&');
    expect(unique(['b', 'a', 'b'])).toEqual(['b', 'a']);
    expect(DEFAULT_TOPIC_TEMPLATE).toBe('users/${sub}/*');
  });

  it('knows which variable a template holds and whether a deployment uses groups', () => {
    expect(variableOf('a/${sub}')).toBe(SUB_PLACEHOLDER);
    expect(variableOf('a/${group}')).toBe(GROUP_PLACEHOLDER);
    expect(variableOf('a/b')).toBeUndefined();
    expect(usesGroups({ publish: ['a/${sub}'], subscribe: ['b/${group}'] })).toBe(true);
    expect(usesGroups({ publish: ['a/${group}'], subscribe: ['b'] })).toBe(true);
    expect(usesGroups({ publish: ['a/${sub}'], subscribe: ['b'] })).toBe(false);
  });
});

describe('roleSessionNameFor at the edges of STS\'s 2..64', () => {
  const derivedTail = (sub: string) => `.${createHash('sha256').update(sub).digest('base64url').slice(0, 22)}`;

  it('uses a sub of exactly 2 or 64 allowed characters as it is', () => {
    expect(roleSessionNameFor('ab')).toBe('ab');
    expect(roleSessionNameFor('a'.repeat(64))).toBe('a'.repeat(64));
    expect(roleSessionNameFor('a+=,.@-_9')).toBe('a+=,.@-_9');
  });

  it('derives a name for a sub of 1 or 65 characters, at most 64 long', () => {
    expect(roleSessionNameFor('a')).toBe(`a${derivedTail('a')}`);
    const long = 'a'.repeat(65);
    expect(roleSessionNameFor(long)).toBe(`${'a'.repeat(41)}${derivedTail(long)}`);
    expect(roleSessionNameFor(long)).toHaveLength(64);
    expect(roleSessionNameFor('b'.repeat(128))).toHaveLength(64);
  });

  it('cleans every unsafe character to a dot and derives', () => {
    expect(roleSessionNameFor('a:b:c')).toBe(`a.b.c${derivedTail('a:b:c')}`);
    expect(roleSessionNameFor('a/b c')).toBe(`a.b.c${derivedTail('a/b c')}`);
  });

  it('derives for a sub that ends exactly like a derived name, and only then', () => {
    const looksDerived = `ab.${'A'.repeat(22)}`;
    expect(roleSessionNameFor(looksDerived)).toBe(`${looksDerived}${derivedTail(looksDerived)}`);
    // A character short, no dot (or another character) before the 22, or anything after them: used as is.
    for (const sub of [`ab.${'A'.repeat(21)}`, `ab${'A'.repeat(23)}`, `ab-${'A'.repeat(22)}`, `ab.${'A'.repeat(22)}.`, `ab.${'A'.repeat(23)}`, `.${'A'.repeat(22)}x`]) {
      expect(roleSessionNameFor(sub)).toBe(sub);
    }
  });
});
