/**
 * An independent model of IAM's resource wildcards, for tests of the topic-template rules. Written
 * from scratch: it shares no code with `lambda/vending/glob-intersection.ts` (the code under test) or
 * `local/iam-policy.ts`, so a mistake in either cannot hide itself.
 *
 * IAM compares a resource name with a pattern character by character, case-sensitively; `*` stands
 * for any run of characters (empty, and `/` included) and `?` for exactly one character (also `/`);
 * every other character, `+`, `#`, `$`, `{` and `}` included, stands for itself.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 *
 * Topic templates never hold `?` (`topicTemplateProblem` refuses it), but the matcher implements it
 * so that it models IAM, not the templates.
 */

/** IAM's any-run wildcard. */
export const ANY_RUN = '*';
/** IAM's single-character wildcard. */
export const ANY_CHAR = '?';

/** Splits text into characters (code points), so a surrogate pair is one character as in IAM. */
function characters(text: string): string[] {
  return Array.from(text);
}

/**
 * Whether `text` (a concrete resource name: a topic or a topic filter) matches the IAM pattern `glob`.
 *
 * The classic two-pointer algorithm: walk both strings; on a `*`, remember where it stood and let it
 * first match nothing; on a mismatch, go back to the last `*` and let it swallow one more character.
 * Only the last `*` ever needs to be revisited (a later `*` can absorb whatever an earlier one could),
 * so the walk is O(|glob| · |text|) at worst.
 *
 * @param glob an IAM pattern (`*` any run, `?` one character, everything else literal)
 * @param text the name to test; its own `*` and `?` are plain characters
 * @returns `true` when IAM would consider `text` covered by `glob`
 */
export function iamGlobMatches(glob: string, text: string): boolean {
  const g = characters(glob);
  const t = characters(text);
  let gi = 0;
  let ti = 0;
  let starAt = -1; // index in g of the last `*` seen
  let starText = 0; // index in t where that `*` currently ends
  while (ti < t.length) {
    const gc = g[gi];
    if (gc === ANY_RUN) {
      starAt = gi;
      starText = ti;
      gi += 1;
    } else if (gc !== undefined && (gc === ANY_CHAR || gc === t[ti])) {
      gi += 1;
      ti += 1;
    } else if (starAt >= 0) {
      starText += 1;
      ti = starText;
      gi = starAt + 1;
    } else {
      return false;
    }
  }
  while (g[gi] === ANY_RUN) gi += 1;
  return gi === g.length;
}

/**
 * A string that both IAM patterns match, or `undefined` when none exists: an exact decision, so a
 * test can ask "can these two grants ever reach one topic?" without sampling.
 *
 * A depth-first search over pairs of positions (i in `first`, j in `second`), remembering the pairs
 * from which no common string exists. At each pair, the next character of the common string is
 * decided by what the two patterns hold there:
 * - both at their end: done;
 * - a `*` may end (move past it without consuming), or consume the next character the other
 *   pattern demands (a literal, or a `?` filled with `x`);
 * - two `*` facing each other: one of them ends first;
 * - literal or `?` against literal or `?`: one common character, both move on.
 *
 * @returns the witness (wildcards filled with `x`, or with the other pattern's literal), or `undefined`
 */
export function iamGlobsIntersect(first: string, second: string): string | undefined {
  const a = characters(first);
  const b = characters(second);
  const dead = new Set<number>();
  const width = b.length + 1;
  const search = (i: number, j: number): string | undefined => {
    const key = i * width + j;
    if (dead.has(key)) return undefined;
    const ca = a[i];
    const cb = b[j];
    let found: string | undefined;
    if (ca === undefined && cb === undefined) return '';
    if (ca === ANY_RUN) {
      found = search(i + 1, j);
      if (found === undefined && cb !== undefined) {
        if (cb === ANY_RUN) found = search(i, j + 1);
        else {
          const rest = search(i, j + 1);
          if (rest !== undefined) found = (cb === ANY_CHAR ? 'x' : cb) + rest;
        }
      }
    } else if (cb === ANY_RUN) {
      found = search(i, j + 1);
      if (found === undefined && ca !== undefined) {
        const rest = search(i + 1, j);
        if (rest !== undefined) found = (ca === ANY_CHAR ? 'x' : ca) + rest;
      }
    } else if (ca !== undefined && cb !== undefined) {
      const char = ca === ANY_CHAR ? (cb === ANY_CHAR ? 'x' : cb) : ca;
      if (ca === ANY_CHAR || cb === ANY_CHAR || ca === cb) {
        const rest = search(i + 1, j + 1);
        if (rest !== undefined) found = char + rest;
      }
    }
    if (found === undefined) dead.add(key);
    return found;
  };
  return search(0, 0);
}

/**
 * Fills a template's variable with a value (every occurrence), the way a grant is made from a
 * template. `split`/`join`: no `$&`-style replacement patterns.
 */
export function fillVariable(template: string, variable: string, value: string): string {
  return template.split(variable).join(value);
}

/** Whether a value could be a variable's value: non-empty, and no `/` (one topic level). */
export function isLevelValue(value: string): boolean {
  return value.length > 0 && !value.includes('/');
}

/**
 * Every value for `variable` with which the filled template matches `topic` (none: an empty list).
 * Values are tried among the topic's own non-empty, slash-free substrings (a value that matches must
 * appear in the topic), without IAM wildcards, so the answer is exact for templates whose variable is
 * a whole level. Without the variable in `template`, the answer is `['']` when the template matches
 * as written.
 */
export function variableValuesReaching(template: string, variable: string, topic: string): string[] {
  if (!template.includes(variable)) return iamGlobMatches(template, topic) ? [''] : [];
  const chars = characters(topic);
  const values = new Set<string>();
  for (let start = 0; start < chars.length; start++) {
    for (let end = start + 1; end <= chars.length; end++) {
      const value = chars.slice(start, end).join('');
      if (value.includes('/')) break;
      if (value.includes(ANY_RUN) || value.includes(ANY_CHAR)) continue;
      if (iamGlobMatches(fillVariable(template, variable, value), topic)) values.add(value);
    }
  }
  return [...values];
}

/** The first of {@link variableValuesReaching}, or `undefined` when the template cannot reach `topic`. */
export function variableValueReaching(template: string, variable: string, topic: string): string | undefined {
  return variableValuesReaching(template, variable, topic)[0];
}
