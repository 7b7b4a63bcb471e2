/**
 * Whether two topic patterns can match the same topic, and if so, one such topic: the decision
 * procedure under the non-overlap rule (`grant-overlap.ts`). Pure.
 *
 * A pattern is a topic template in which `*` is IAM's wildcard (any run of characters, `/`
 * included: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html)
 * and a variable stands for a variable's value: one or more characters without `/` (subs and group
 * names never hold one, see `identity.ts` and `groups.ts`). Everything else is literal and
 * case-sensitive, as IAM compares resource names.
 *
 * Each pattern is read as a small automaton and the two are run side by side (a product automaton):
 * a breadth-first search from "both at the start" to "both at the end" finds a shortest common
 * topic, or proves there is none. States are pairs of positions, so the search is bounded by the
 * product of the two lengths (at most 257 × 257 for AWS IoT's 256-byte topics).
 */

/** One step of a pattern. */
type Token =
  | { readonly kind: 'char'; readonly char: string }
  /** IAM's `*`: zero or more of any character. */
  | { readonly kind: 'any' }
  /** The first character of a variable's value: exactly one character that is not `/`. */
  | { readonly kind: 'level-char' }
  /** The rest of a variable's value: zero or more characters that are not `/`. */
  | { readonly kind: 'level-rest' };

/** A pattern: a template whose variable (if any) is named, ready for {@link commonTopic}. */
export interface TopicPattern {
  /** The template text, `*` meaning IAM's wildcard. */
  readonly template: string;
  /** The variable in `template` that stands for a one-level value, if any. */
  readonly variable?: string | undefined;
}

/** A topic both patterns match, with the value each pattern's variable takes in it. */
export interface CommonTopic {
  /** The topic (wildcards filled with `x`). */
  readonly topic: string;
  /** The value of the first pattern's variable in `topic` (`undefined` without a variable). */
  readonly firstValue: string | undefined;
  /** The value of the second pattern's variable in `topic` (`undefined` without a variable). */
  readonly secondValue: string | undefined;
}

// What a wildcard is filled with in a witness topic: a plain letter is valid in every topic level,
// sub and group name.
const FILLER = 'x';

function tokenize(pattern: TopicPattern): Token[] {
  const tokens: Token[] = [];
  // split(undefined) is [template]: a pattern without a variable is a single part.
  const parts = pattern.template.split(pattern.variable as string);
  parts.forEach((part, index) => {
    if (index > 0) tokens.push({ kind: 'level-char' }, { kind: 'level-rest' });
    for (const char of part) tokens.push(char === '*' ? { kind: 'any' } : { kind: 'char', char });
  });
  return tokens;
}

/** Whether a token may stand for no character at all (and so may be stepped over). */
function skippable(token: Token | undefined): boolean {
  return token?.kind === 'any' || token?.kind === 'level-rest';
}

/** Whether a token consumes a character and moves on (a literal, a value's first character). */
function advances(token: Token): boolean {
  return token.kind === 'char' || token.kind === 'level-char';
}

/** The character both tokens can consume, or `undefined` when they share none. */
function sharedChar(a: Token, b: Token): string | undefined {
  if (a.kind === 'char' && b.kind === 'char') return a.char === b.char ? a.char : undefined;
  if (a.kind === 'char') return accepts(b, a.char) ? a.char : undefined;
  if (b.kind === 'char') return accepts(a, b.char) ? b.char : undefined;
  return FILLER;
}

function accepts(token: Token, char: string): boolean {
  return token.kind === 'any' || char !== '/';
}

interface Step {
  /** The state this step came from, as `i * width + j`. */
  readonly from: number;
  /** The character consumed, or `''` for a step over an empty wildcard. */
  readonly char: string;
}

/**
 * A shortest topic that both patterns match, or `undefined` when no topic matches both. The topic's
 * wildcard characters are {@link FILLER}, so a witness reads like `users/x/x`.
 */
export function commonTopic(first: TopicPattern, second: TopicPattern): CommonTopic | undefined {
  const a = tokenize(first);
  const b = tokenize(second);
  const width = b.length + 1;
  const goal = a.length * width + b.length;
  // How each state was first reached; the start state has no step.
  const steps = new Map<number, Step>();
  const queue: number[] = [0];
  // An array's iterator also visits what is pushed while it runs: this is the breadth-first queue.
  for (const state of queue) {
    if (state === goal) return witness(steps, goal, width, a, b);
    const i = Math.floor(state / width);
    const j = state % width;
    const visit = (next: number, char: string): void => {
      if (steps.has(next)) return;
      steps.set(next, { from: state, char });
      queue.push(next);
    };
    const ta = a[i];
    const tb = b[j];
    if (skippable(ta)) visit((i + 1) * width + j, '');
    if (skippable(tb)) visit(i * width + j + 1, '');
    if (ta === undefined || tb === undefined) continue;
    const char = sharedChar(ta, tb);
    // Two self-loops consuming the same character go nowhere new (and the start state, which has no
    // step for witness() to stop at, must never be given one).
    if (char === undefined || (!advances(ta) && !advances(tb))) continue;
    visit((i + (advances(ta) ? 1 : 0)) * width + j + (advances(tb) ? 1 : 0), char);
  }
  return undefined;
}

/** Walks the steps back from the goal: the topic, and which characters each variable took. */
function witness(steps: ReadonlyMap<number, Step>, goal: number, width: number, a: readonly Token[], b: readonly Token[]): CommonTopic {
  let topic = '';
  let firstValue = '';
  let secondValue = '';
  // Steps over an empty wildcard add '' to the topic and to a value, which changes neither.
  for (let step = steps.get(goal); step !== undefined; step = steps.get(step.from)) {
    topic = step.char + topic;
    const ta = a[Math.floor(step.from / width)];
    const tb = b[step.from % width];
    if (ta?.kind === 'level-char' || ta?.kind === 'level-rest') firstValue = step.char + firstValue;
    if (tb?.kind === 'level-char' || tb?.kind === 'level-rest') secondValue = step.char + secondValue;
  }
  return {
    topic,
    firstValue: a.some((token) => token.kind === 'level-char') ? firstValue : undefined,
    secondValue: b.some((token) => token.kind === 'level-char') ? secondValue : undefined,
  };
}
