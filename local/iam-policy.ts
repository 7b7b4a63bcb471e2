/**
 * A small IAM policy evaluator: the subset AWS IoT applies to SigV4 (IAM-authenticated) connections.
 *
 * Supported: `Version`, `Sid`, `Effect` (`Allow`/`Deny`), `Action` and `Resource` as a string or an
 * array, IAM wildcards `*` (any run of characters, `/` and `:` included) and `?` (one character).
 * Actions compare case-insensitively, resources case-sensitively and segment by segment, as IAM
 * does. MQTT's `+` and `#` are ordinary characters here, as in AWS IoT policies.
 *
 * Anything else (`NotAction`, `NotResource`, `Condition`, `Principal`, policy variables `${…}`) is
 * refused at parse time: an emulator that silently ignored a condition would grant more than AWS.
 *
 * Evaluation logic: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 * Session policies: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session
 */

/** The result of evaluating a request: explicit denies win, and nothing is allowed by default. */
export type PolicyDecision = 'allow' | 'explicit-deny' | 'implicit-deny';

/** A policy document failed to parse or uses an element this evaluator does not support. */
export class PolicyParseError extends Error {
  override readonly name = 'PolicyParseError';
}

/** One statement, normalised: arrays everywhere, actions lower-cased. */
export interface ParsedStatement {
  readonly effect: 'Allow' | 'Deny';
  /** Lower-cased action patterns such as `iot:publish` or `iot:*`. */
  readonly actions: readonly string[];
  /** Resource patterns: `*` or ARNs, possibly with wildcards. */
  readonly resources: readonly string[];
}

/** A parsed policy document. */
export interface ParsedPolicy {
  readonly statements: readonly ParsedStatement[];
}

const SUPPORTED_STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Action', 'Resource']);
const SUPPORTED_VERSIONS: ReadonlySet<unknown> = new Set(['2012-10-17', '2008-10-17']);
const ARN_SEGMENTS = 6;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(value: unknown, where: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((item): item is string => typeof item === 'string' && item.length > 0)) {
    throw new PolicyParseError(`${where} must be a non-empty string or a non-empty array of non-empty strings`);
  }
  return list;
}

function parseResource(resource: string, where: string): string {
  if (resource.includes('${')) {
    throw new PolicyParseError(`${where} uses a policy variable (${JSON.stringify(resource)}), which this evaluator does not support`);
  }
  if (resource !== '*' && (!resource.startsWith('arn:') || resource.split(':').length < ARN_SEGMENTS)) {
    throw new PolicyParseError(`${where} must be "*" or an ARN (received ${JSON.stringify(resource)})`);
  }
  return resource;
}

function parseStatement(statement: unknown, index: number): ParsedStatement {
  const where = `Statement[${index}]`;
  if (!isRecord(statement)) throw new PolicyParseError(`${where} must be an object`);
  for (const key of Object.keys(statement)) {
    if (!SUPPORTED_STATEMENT_KEYS.has(key)) {
      throw new PolicyParseError(`${where}.${key} is not supported by this evaluator (only Sid, Effect, Action, Resource)`);
    }
  }
  const effect = statement['Effect'];
  if (effect !== 'Allow' && effect !== 'Deny') {
    throw new PolicyParseError(`${where}.Effect must be "Allow" or "Deny" (received ${JSON.stringify(effect)})`);
  }
  const actions = stringList(statement['Action'], `${where}.Action`).map((action) => {
    if (action !== '*' && !/^[a-z0-9-]+:[A-Za-z0-9*?]+$/i.test(action)) {
      throw new PolicyParseError(`${where}.Action has a malformed action ${JSON.stringify(action)}`);
    }
    return action.toLowerCase();
  });
  const resources = stringList(statement['Resource'], `${where}.Resource`).map((resource) => parseResource(resource, `${where}.Resource`));
  return { effect, actions, resources };
}

/**
 * Parses a policy document given as JSON text or as an already parsed object.
 * @throws PolicyParseError naming the offending element
 */
export function parsePolicy(document: unknown): ParsedPolicy {
  let value = document;
  if (typeof document === 'string') {
    try {
      value = JSON.parse(document) as unknown;
    } catch (error) {
      throw new PolicyParseError('the policy is not valid JSON', { cause: error });
    }
  }
  if (!isRecord(value)) throw new PolicyParseError('the policy must be a JSON object');
  for (const key of Object.keys(value)) {
    if (key !== 'Version' && key !== 'Statement' && key !== 'Id') {
      throw new PolicyParseError(`the top-level element ${key} is not supported`);
    }
  }
  const version = value['Version'];
  if (version !== undefined && !SUPPORTED_VERSIONS.has(version)) {
    throw new PolicyParseError(`Version must be "2012-10-17" or "2008-10-17" (received ${JSON.stringify(version)})`);
  }
  const raw = value['Statement'];
  const statements = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  if (statements.length === 0) throw new PolicyParseError('the policy must have at least one Statement');
  return { statements: statements.map((statement, index) => parseStatement(statement, index)) };
}

/**
 * IAM wildcard match of a whole string: `*` matches any run of characters (possibly empty), `?`
 * exactly one; everything else, `+` and `#` included, is literal. Linear-time greedy matcher with
 * one backtrack point, so a hostile pattern cannot make it explode.
 */
export function matchesWildcard(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let starP = -1;
  let starV = 0;
  while (v < value.length) {
    const token = pattern[p];
    // value[v] is a character while v < value.length, so a token past the pattern's end never equals it.
    if (token === '?' || (token !== '*' && token === value[v])) {
      p++;
      v++;
    } else if (token === '*') {
      starP = p++;
      starV = v;
    } else if (starP !== -1) {
      p = starP + 1;
      v = ++starV;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** Splits an ARN into its six segments; the last keeps any further colons (`topic/a:b`). */
function arnSegments(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < ARN_SEGMENTS || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, ARN_SEGMENTS - 1), parts.slice(ARN_SEGMENTS - 1).join(':')];
}

/**
 * Whether a policy resource matches a request ARN. IAM matches ARNs segment by segment, so a `*`
 * in the region cannot swallow the account, while a `*` in the resource part spans `/` and `:`.
 */
export function matchesResource(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  const want = arnSegments(pattern);
  const have = arnSegments(arn);
  if (want === undefined || have === undefined) return false;
  // arnSegments always gives six segments.
  return want.every((segment, index) => matchesWildcard(segment, have[index] as string));
}

/** Whether a (lower-cased) policy action pattern matches an action such as `iot:Publish`. */
export function matchesAction(pattern: string, action: string): boolean {
  return matchesWildcard(pattern, action.toLowerCase());
}

/** Evaluates one request against one policy. */
export function evaluatePolicy(policy: ParsedPolicy, action: string, resource: string): PolicyDecision {
  let allowed = false;
  for (const statement of policy.statements) {
    const applies =
      statement.actions.some((pattern) => matchesAction(pattern, action)) &&
      statement.resources.some((pattern) => matchesResource(pattern, resource));
    if (!applies) continue;
    if (statement.effect === 'Deny') return 'explicit-deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}

/**
 * Evaluates a request against policies that must ALL allow it: a role's identity policy and the
 * session policy passed to `AssumeRole` intersect. An explicit deny in any of them wins; an empty
 * list allows nothing.
 */
export function evaluateIntersection(policies: readonly ParsedPolicy[], action: string, resource: string): PolicyDecision {
  if (policies.length === 0) return 'implicit-deny';
  const decisions = policies.map((policy) => evaluatePolicy(policy, action, resource));
  if (decisions.includes('explicit-deny')) return 'explicit-deny';
  return decisions.every((decision) => decision === 'allow') ? 'allow' : 'implicit-deny';
}
