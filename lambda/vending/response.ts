/**
 * HTTP responses, and the ONE place where errors become statuses, public codes and public messages.
 * Public messages are fixed strings: internals (ARNs, SDK messages, received values) stay in the log.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { LruMap } from '../signing/lru-map.js';
import {
  ConfigurationError,
  CredentialsUnavailableError,
  ForeignIssuerError,
  ForbiddenSubjectError,
  IdentityProviderUnavailableError,
  InvalidRequestError,
  MissingIdentityError,
  RateLimitedError,
  TokenVerificationError,
  TooManyGroupsError,
  type ForbiddenSubjectReason,
} from './errors.js';
import { granteeKey, SUB_PLACEHOLDER, unique, variableOf, type Grantee, type TemplateVariable, type TopicTemplates } from './topic-templates.js';

/** The body of a successful `GET /mqtt-url`. */
export interface MqttUrlBody {
  /** The presigned `wss://` (or loopback `ws://`) URL; a bearer credential until `expiresAt`. */
  readonly url: string;
  /** The MQTT client ID to connect with: `<principal>`, or `<principal>-<clientSuffix>` (UUID principals only). */
  readonly clientId: string;
  /**
   * The caller's principal: the `sub` in Cognito mode, `principalIdFor(issuer, sub)` in issuer mode.
   * The `${sub}` value of every private topic, so `users/<principalId>/…` is the caller's inbox.
   */
  readonly principalId: string;
  /** ISO-8601 time after which `url` is refused. */
  readonly expiresAt: string;
  /** The AWS IoT data endpoint the URL points at (`IOT_ENDPOINT`). */
  readonly endpoint: string;
  /** The region the URL is signed for. */
  readonly region: string;
  /**
   * Exactly what the caller was granted, every variable replaced: private templates with its principal,
   * group templates once per eligible group, shared ones as written. `publish` may be published to,
   * `subscribe` subscribed to and received from.
   */
  readonly topics: { readonly publish: readonly string[]; readonly subscribe: readonly string[] };
}

/** The per-request fields of a {@link MqttUrlBody}; the topics follow from the grantee. */
export type MqttUrlFields = Omit<MqttUrlBody, 'topics'>;

/** Builds the 200 response for one caller. */
export type OkResponder = (fields: MqttUrlFields, grantee: Grantee) => APIGatewayProxyStructuredResultV2;

/**
 * Every outcome a vend can have: `ok` and the public error codes {@link mapError} answers. The
 * metrics' `outcome` dimension takes exactly these values, and the construct's dashboard lists them.
 */
export const VEND_OUTCOMES = Object.freeze([
  'ok',
  'invalid_request',
  'unauthorized',
  'forbidden',
  'too_many_groups',
  'rate_limited',
  'throttled',
  'credentials_unavailable',
  'identity_unavailable',
  'configuration_error',
  'internal_error',
] as const);

/** One of {@link VEND_OUTCOMES}. */
export type VendOutcome = (typeof VEND_OUTCOMES)[number];

/** An error's HTTP mapping. */
export interface ErrorMapping {
  /** The HTTP status. */
  readonly status: number;
  /** Stable, machine-readable; also the request log's and the metrics' `outcome`. */
  readonly code: Exclude<VendOutcome, 'ok'>;
  /** The public message: fixed text, or a validation message that echoes no internals. */
  readonly message: string;
  /** Seconds for `Retry-After`, on 429 and 503 only. */
  readonly retryAfterSeconds?: number;
}

const BASE_HEADERS = {
  'content-type': 'application/json',
  // The body holds a bearer URL: no cache anywhere may keep it.
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

const FORBIDDEN_MESSAGES: Readonly<Record<ForbiddenSubjectReason, string>> = {
  'unsafe-characters': 'This identity cannot be given an MQTT scope: its sub holds characters outside A-Z a-z 0-9 _ . : @ - or is too long.',
  'mistakable-client-id':
    'This identity cannot be given an MQTT scope: its sub starts with a UUID followed by "-" without being a UUID, so its client ID could be mistaken for another user\'s.',
};

/** Maps any thrown value to its HTTP status, public code and message. */
export function mapError(error: unknown): ErrorMapping {
  if (error instanceof InvalidRequestError) return { status: 400, code: 'invalid_request', message: error.message };
  if (error instanceof MissingIdentityError) return { status: 401, code: 'unauthorized', message: 'The token carries no usable identity (sub).' };
  if (error instanceof ForeignIssuerError) return { status: 401, code: 'unauthorized', message: 'The token was not issued by the identity provider this service trusts.' };
  if (error instanceof TokenVerificationError) return { status: 401, code: 'unauthorized', message: 'The bearer token could not be verified.' };
  if (error instanceof ForbiddenSubjectError) return { status: 403, code: 'forbidden', message: FORBIDDEN_MESSAGES[error.reason] };
  if (error instanceof RateLimitedError) {
    return { status: 429, code: 'rate_limited', message: 'Too many requests for this identity; retry later.', retryAfterSeconds: error.retryAfterSeconds };
  }
  if (error instanceof TooManyGroupsError) {
    return { status: 403, code: 'too_many_groups', message: `This identity belongs to more than ${error.max} eligible groups, the most this service grants.` };
  }
  if (error instanceof CredentialsUnavailableError) {
    return {
      status: 503,
      code: error.throttled ? 'throttled' : 'credentials_unavailable',
      message: 'Temporary credentials are unavailable; retry later.',
      retryAfterSeconds: error.retryAfterSeconds,
    };
  }
  if (error instanceof IdentityProviderUnavailableError) {
    return { status: 503, code: 'identity_unavailable', message: "The identity provider's keys are unavailable; retry later.", retryAfterSeconds: error.retryAfterSeconds };
  }
  if (error instanceof ConfigurationError) return { status: 500, code: 'configuration_error', message: 'The service is misconfigured.' };
  return { status: 500, code: 'internal_error', message: 'Internal error.' };
}

/**
 * Returns the 200 responder for a configuration's topic templates.
 *
 * The body is written without `JSON.stringify`, which would spend more time scanning the ~1–3 KB URL
 * for characters to escape than the signer spends making it. Every value spliced in is JSON-safe by
 * construction: the URL is a validated host plus an RFC 3986-encoded query; `clientId`, `principalId`
 * (a validated `sub` or a UUID), group names, `endpoint`, `region` and `expiresAt` are validated against patterns without `"`, `\` or
 * controls. Each template is JSON-encoded once, split around its variable, so a request only
 * concatenates (what `grantedTopics` gives, in its order and without repeats).
 * `test/vending/response-and-logger.test.ts` checks the output against `JSON.stringify`.
 */
export function createOkResponder(templates: TopicTemplates, memoSize = TOPICS_MEMO_DEFAULT): OkResponder {
  const publish = compileTopicList(templates.publish);
  const subscribe = compileTopicList(templates.subscribe);
  // A caller's topics only change with its groups; a warm request reuses their JSON.
  const memo = new LruMap<string, string>(memoSize);
  const topicsOf = (grantee: Grantee): string => {
    const key = granteeKey(grantee);
    let topics = memo.get(key);
    if (topics === undefined) {
      topics = `{"publish":${publish(grantee)},"subscribe":${subscribe(grantee)}}`;
      memo.set(key, topics);
    }
    return topics;
  };
  return (fields, grantee) => ({
    statusCode: 200,
    headers: { ...BASE_HEADERS },
    body:
      `{"url":"${fields.url}","clientId":"${fields.clientId}","principalId":"${fields.principalId}","expiresAt":"${fields.expiresAt}",` +
      `"endpoint":"${fields.endpoint}","region":"${fields.region}","topics":${topicsOf(grantee)}}`,
  });
}

/** How many callers' topic lists {@link createOkResponder} remembers unless told otherwise. */
export const TOPICS_MEMO_DEFAULT = 10_000;

/** One template, JSON-encoded around its variable: `head + value + tail` is the encoded topic. */
type EncodedTemplate =
  | { readonly variable: undefined; readonly json: string }
  | { readonly variable: TemplateVariable; readonly head: string; readonly tail: string };

/** A list's JSON array for a grantee, from its templates encoded once. */
function compileTopicList(templates: readonly string[]): (grantee: Grantee) => string {
  const encoded: EncodedTemplate[] = unique(templates).map((template) => {
    const variable = variableOf(template);
    if (variable === undefined) return { variable, json: JSON.stringify(template) };
    // One variable, once (topicTemplateProblem); JSON-encoding each side keeps any escapes intact.
    const at = template.indexOf(variable);
    return { variable, head: JSON.stringify(template.slice(0, at)).slice(0, -1), tail: JSON.stringify(template.slice(at + variable.length)).slice(1) };
  });
  return (grantee) => {
    const topics: string[] = [];
    const add = (topic: string): void => {
      if (!topics.includes(topic)) topics.push(topic);
    };
    for (const template of encoded) {
      if (template.variable === undefined) add(template.json);
      else if (template.variable === SUB_PLACEHOLDER) add(template.head + grantee.sub + template.tail);
      else for (const group of grantee.groups) add(template.head + group + template.tail);
    }
    return `[${topics.join(',')}]`;
  };
}

/** The JSON error response `{ "error": { "code", "message" } }` of a mapping. */
export function errorResponse(mapping: ErrorMapping): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = { ...BASE_HEADERS };
  if (mapping.retryAfterSeconds !== undefined) headers['retry-after'] = String(mapping.retryAfterSeconds);
  return { statusCode: mapping.status, headers, body: JSON.stringify({ error: { code: mapping.code, message: mapping.message } }) };
}
