/**
 * `startLocalStack`: the whole service on ONE loopback HTTP server, so the demo can run with no AWS
 * account. It wires the pieces, each of which lives in its own module:
 *
 * | Path | What | Module |
 * | --- | --- | --- |
 * | `GET /` , `GET /app.js` | demo page, its bundled script | `demo-assets.ts` |
 * | `GET /config.json` | the page's settings for this stack | here |
 * | `POST /cognito` | Cognito `InitiateAuth` (Cognito mode) | `cognito.ts` |
 * | `GET /local-user-pool/.well-known/jwks.json` | the user pool's JWKS (Cognito mode) | `cognito.ts` |
 * | `/oidc/` (discovery, `jwks.json`, `POST token`) | an OIDC issuer shaped like Auth0 (OIDC mode) | `oidc-issuer.ts` |
 * | `GET /mqtt-url` | JWT authorizer + the real Lambda | `jwt-authorizer.ts`, `local-lambda.ts` |
 * | `ws /mqtt` | AWS IoT gateway + aedes | `iot-gateway.ts` |
 * | (own port) | STS `AssumeRole` | `sts-server.ts` |
 *
 * The client role trusts the function's credentials and nothing else, so only the Lambda can
 * obtain sessions of it, as on AWS: STS verifies each caller's SigV4 signature and the role's trust.
 *
 * Optional, inside the same process: a simulated device (`simulated-device.ts`) that publishes
 * telemetry straight into the broker, authorized by its own IoT policy.
 *
 * Users' groups come from a membership map (`user-groups.ts`; default: alice and bob in `team-a`,
 * carol in `team-b`); the Lambda grants `${group}` topics from the `cognito:groups` claim, or in
 * OIDC mode from the issuer's namespaced `https://example.com/groups` claim.
 *
 * Identity: `identity: 'cognito'` (the default) signs users in at the Cognito stand-in; `'oidc'` at
 * the local OIDC issuer instead, and runs the Lambda in issuer mode (`IDENTITY_MODE=oidc`, the
 * issuer, audience and groups claim, and `JWKS_URI` pointing at the loopback JWKS so the Lambda
 * needs neither discovery nor the network). Only one identity provider is served at a time, as a
 * deployed stack has one.
 *
 * Requests whose `Host` is not `127.0.0.1:<port>`, `localhost:<port>` or `[::1]:<port>` get 421
 * (`loopback-host.ts`: no DNS rebinding), WebSocket upgrades included.
 *
 * One request, one log line (method, path without its query as a JSON string, status, duration):
 * the query of `/mqtt` is a signed URL with a session token, so it is never logged, and the path is
 * quoted so that no request can forge a log line.
 */
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createRemoteJWKSet } from 'jose';
import { describeValue } from '../lambda/signing/errors.js';
import { JWKS_PATH, LOCAL_CLIENT_ID, LocalUserPool, USER_POOL_PATH } from './cognito.js';
import { bundleDemoScript, readDemoPage, type DemoAsset } from './demo-assets.js';
import { pathOf, sendJson, sendText } from './http-io.js';
import { IotGateway, validateConnectionDuration, validatePersistentSessionExpiry, type GatewayFaults, type GatewaySession, type SessionDirectory } from './iot-gateway.js';
import { clientRolePolicy, type IotResourceScope } from './iot-permissions.js';
import { jwtProtectedRoute } from './jwt-authorizer.js';
import { LOCAL_FUNCTION_CREDENTIALS, loadLocalLambda, type LocalLambda } from './local-lambda.js';
import { logValue } from './log-value.js';
import { isLoopbackHost, misdirectedMessage } from './loopback-host.js';
import { localOidcIssuerUrl, LocalOidcIssuer } from './oidc-issuer.js';
import { resolveDeviceOptions, SimulatedDevice, type SimulatedDeviceOptions } from './simulated-device.js';
import { LocalSts } from './sts-server.js';
import { DEMO_USER_GROUPS, type UserGroups } from './user-groups.js';

/** The emulated account and region. The account is AWS's documented placeholder. */
export const LOCAL_SCOPE: IotResourceScope = { partition: 'aws', region: 'us-east-1', account: '000000000000' };
/** The client role the Lambda assumes per user. */
export const LOCAL_CLIENT_ROLE_ARN = `arn:aws:iam::${LOCAL_SCOPE.account}:role/local-mqtt-client`;

/** Who signs users in: the Cognito user pool stand-in, or the local OIDC issuer (issuer mode). */
export type LocalIdentity = 'cognito' | 'oidc';
/** Every {@link LocalIdentity}. */
export const LOCAL_IDENTITIES: readonly LocalIdentity[] = ['cognito', 'oidc'];
/** The scopes the demo page asks the local OIDC issuer for, before any route scope. */
export const DEMO_OIDC_SCOPES: readonly string[] = ['openid', 'profile', 'email', 'offline_access'];
/** Whose credentials sign vended URLs: the client role per user (the default), or the function's own. */
export type LocalScope = 'per-user' | 'shared';

/**
 * TEST-ONLY faults: a local stack broken on purpose, one way per flag, so a test can show that a
 * check notices (`aws-signv4-mqtt verify`'s tests). Every flag is off by default, and neither
 * `npm run dev`'s flags nor its environment can set one: only code that calls
 * {@link startLocalStack} can. The gateway's faults are {@link GatewayFaults}.
 */
export interface LocalStackFaults extends GatewayFaults {
  /** `GET /mqtt-url` answers without its `Cache-Control: no-store` header. */
  readonly omitNoStore?: boolean;
  /** CORS preflights of `/mqtt-url` allow whatever `Origin` they are sent (echoed back). */
  readonly corsAllowAnyOrigin?: boolean;
}

/** RFC 6749 appendix A.4: a scope token is one or more of %x21 / %x23-5B / %x5D-7E. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,255}$/;

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /**
   * The port on 127.0.0.1; 0 picks a free one.
   * @default 0
   */
  readonly port?: number;
  /**
   * No log lines at all (neither the stack's nor the Lambda's JSON lines).
   * @default false
   */
  readonly quiet?: boolean;
  /**
   * Where log lines go, the Lambda's JSON lines included. Ignored when `quiet`.
   * @default - `console.log`
   */
  readonly log?: (line: string) => void;
  /**
   * The Lambda's `URL_TTL_SECONDS`.
   * @default - the Lambda's default (300)
   */
  readonly urlTtlSeconds?: number;
  /**
   * The Lambda's `PUBLISH_TOPIC_TEMPLATES`; the client role's policy follows.
   * @default - the Lambda's default (`users/${sub}/*`)
   */
  readonly publishTopicTemplates?: readonly string[];
  /**
   * The Lambda's `SUBSCRIBE_TOPIC_TEMPLATES`; the client role's policy follows.
   * @default - the Lambda's default (`users/${sub}/*`)
   */
  readonly subscribeTopicTemplates?: readonly string[];
  /**
   * The Lambda's `GROUP_PREFIX`: only groups whose names start with it get `${group}` topics.
   * @default - the Lambda's default (every group is eligible)
   */
  readonly groupPrefix?: string;
  /**
   * The Lambda's `MAX_GROUPS`: a caller with more eligible groups is refused (403 `too_many_groups`).
   * @default - the Lambda's default (4)
   */
  readonly maxGroups?: number;
  /**
   * The Lambda's `ALLOW_RETAIN`: grant `iot:RetainPublish` on the publish templates. The client
   * role's policy follows, so a retained PUBLISH passes the gateway and aedes keeps the message.
   * @default - the Lambda's default (false: a retained PUBLISH disconnects the client)
   */
  readonly allowRetain?: boolean;
  /**
   * The Lambda's `USER_RATE_PER_SECOND`: each signed-in user's sustained vends per second (0 turns
   * the per-user limit off; tests that vend many URLs for one user do).
   * @default - the Lambda's default (1 per second)
   */
  readonly userRatePerSecond?: number;
  /**
   * The Lambda's `USER_RATE_BURST`: how many vends in a row a rested user may make.
   * @default - the Lambda's default (5)
   */
  readonly userRateBurst?: number;
  /**
   * How long an MQTT connection may stay open before the IoT gateway closes it, in seconds (above 0,
   * at most 86400). Tests shorten it; the gateway's timer is real, not `now`.
   * @default 86400 - AWS IoT's 24-hour limit for MQTT over WebSocket
   */
  readonly maxConnectionDurationSeconds?: number;
  /**
   * How long a persistent session (CONNECT with clean session 0) outlives its last connection before
   * the IoT gateway discards its subscriptions and queued QoS 1 messages, in seconds (above 0, at most
   * 604800). Tests shorten it; the gateway's timer is real, not `now`.
   * @default 3600 - AWS IoT's default persistent session expiry period (1 hour)
   */
  readonly persistentSessionExpirySeconds?: number;
  /**
   * Who is in which Cognito group (`user-groups.ts`): their ID and access tokens carry
   * `cognito:groups`.
   * @default DEMO_USER_GROUPS - alice and bob in `team-a`, carol in `team-b`, nobody else in any
   */
  readonly userGroups?: UserGroups;
  /**
   * Who signs users in. `oidc` serves the local OIDC issuer (`oidc-issuer.ts`: Auth0-style subs,
   * trailing-slash issuer, groups in `https://example.com/groups`) instead of the Cognito stand-in,
   * and runs the Lambda in issuer mode.
   * @default 'cognito'
   */
  readonly identity?: LocalIdentity;
  /**
   * The route's authorization scopes (the construct's `requiredScopes`): the JWT authorizer answers
   * 403 to a token that carries none of them in `scope` or `scp`. In OIDC mode the demo page asks
   * for them at sign-in.
   * @default - none: scopes are not checked
   */
  readonly requiredScopes?: readonly string[];
  /**
   * Runs a simulated device that publishes a JSON reading to `telemetry/<deviceId>` at this
   * interval, straight into the broker (`simulated-device.ts`). Users receive it where their
   * subscribe templates allow (the demo grants' `telemetry/*`).
   * @default - no device
   */
  readonly simulatedDevice?: SimulatedDeviceOptions;
  /**
   * One clock for every part (Lambda, STS, user pool, JWT authorizer, IoT gateway, device), so tests
   * can make URLs, sessions and tokens age without waiting.
   * @default - the system clock
   */
  readonly now?: () => Date;
  /**
   * `shared` runs the Lambda without `CLIENT_ROLE_ARN` (the construct's `scope: 'shared'`): every URL
   * is signed with the function's own key, and the gateway gives it the client role's whole
   * namespace, so users are not kept apart.
   * @default 'per-user'
   */
  readonly scope?: LocalScope;
  /**
   * TEST-ONLY: breaks the stack on purpose ({@link LocalStackFaults}).
   * @default - none
   */
  readonly faults?: LocalStackFaults;
}

/** A running local stack. */
export interface LocalStack {
  /** `http://127.0.0.1:<port>`: the demo page, and the API URL. */
  readonly url: string;
  readonly port: number;
  /** The loopback STS (its `calls` and sessions are there for tests to inspect). */
  readonly sts: LocalSts;
  /** The loopback STS's base URL (`AWS_ENDPOINT_URL_STS` of the Lambda). */
  readonly stsUrl: string;
  /** Who signs users in. */
  readonly identity: LocalIdentity;
  /** The user pool, in Cognito mode (tests can read its issuer, JWKS and users' groups). */
  readonly userPool: LocalUserPool | undefined;
  /**
   * The OIDC issuer, in OIDC mode: its `issuer` URL (trailing slash included), `audience`,
   * `jwksUri`, users' subs and groups, and `mint()` for tests that need tokens the token endpoint
   * would not issue (ES256, HS256, other claims).
   */
  readonly oidc: LocalOidcIssuer | undefined;
  /** The simulated device, when one runs: its topic and how many readings it published. */
  readonly device: SimulatedDevice | undefined;
  /**
   * How many `GET /mqtt-url` requests this stack answered with 200 (URLs vended), and how many it
   * refused (any other status: 401 from the authorizer, the Lambda's 4xx, 429 and 5xx).
   */
  readonly vends: { readonly vended: number; readonly refused: number };
  /** Drops every open MQTT connection, as a network failure would; returns how many. */
  dropMqttConnections(): number;
  /**
   * The network between the clients and the stack goes down for `durationMs` (1 ms to 10 min):
   * every MQTT connection is dropped, and until then every new connection, HTTP or WebSocket, is
   * cut without an answer, as a client sees an unreachable host. The demo's tests and the client's
   * takeover tests use it to tell a lost network from a takeover.
   * @returns how many MQTT connections were dropped
   * @throws RangeError for a duration out of range (nothing is dropped then)
   */
  loseNetwork(durationMs: number): number;
  /** Stops everything: MQTT connections, broker, HTTP server and its sockets, STS. Safe to call twice. */
  stop(): Promise<void>;
}

/** The repository root (this file is `local/dev-server.ts`). */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
// The Lambda's environment is process-wide, so two stacks at once would fight over it.
let running = false;

/**
 * The page's settings for this stack; in Cognito mode the same keys describe a deployed stack's
 * outputs. In OIDC mode the page signs in at the issuer's token endpoint on the origin it was
 * loaded from (same-origin), asking for the route's scopes too.
 */
function pageConfig(origin: string, oidc: LocalOidcIssuer | undefined, requiredScopes: readonly string[]): Record<string, unknown> {
  if (oidc === undefined) {
    return { apiUrl: origin, cognitoUrl: `${origin}/cognito`, userPoolClientId: LOCAL_CLIENT_ID, region: LOCAL_SCOPE.region, mode: 'local' };
  }
  return {
    apiUrl: origin,
    region: LOCAL_SCOPE.region,
    mode: 'local',
    identity: 'oidc',
    oidc: {
      issuer: oidc.issuer,
      tokenUrl: `${origin}${new URL(oidc.tokenEndpoint).pathname}`,
      clientId: oidc.clientId,
      audience: oidc.audience,
      scope: [...new Set([...DEMO_OIDC_SCOPES, ...requiredScopes])].join(' '),
      groupsClaim: oidc.groupsClaim,
    },
  };
}

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(error.code === 'EADDRINUSE' ? new Error(`127.0.0.1:${port} is already in use; choose another port (PORT=…)`, { cause: error }) : error);
    };
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

// The Lambda's settings (`urlTtlSeconds`, templates, groups, retain) are not checked here: the
// Lambda's own config parser refuses a bad one when `loadLocalLambda` runs, and `startLocalStack`
// then stops what it started and rethrows. The user pool checks `userGroups` the same way.
function validateOptions(options: LocalStackOptions): number {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError(`port must be a whole number from 0 to 65535 (received ${String(options.port)})`);
  if (options.identity !== undefined && !LOCAL_IDENTITIES.includes(options.identity)) {
    throw new RangeError(`identity must be ${LOCAL_IDENTITIES.join(' or ')} (received ${describeValue(options.identity)})`);
  }
  if (options.requiredScopes !== undefined) {
    if (!Array.isArray(options.requiredScopes)) throw new RangeError(`requiredScopes must be an array of scope names (received ${describeValue(options.requiredScopes)})`);
    for (const [index, scope] of options.requiredScopes.entries()) {
      if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) {
        throw new RangeError(`requiredScopes[${index}] must be a scope name: 1 to 255 printable ASCII characters, no space, " or \\ (received ${describeValue(scope)})`);
      }
    }
  }
  if (options.scope !== undefined && options.scope !== 'per-user' && options.scope !== 'shared') {
    throw new RangeError(`scope must be per-user or shared (received ${describeValue(options.scope)})`);
  }
  if (options.simulatedDevice !== undefined) resolveDeviceOptions(options.simulatedDevice);
  validateConnectionDuration(options.maxConnectionDurationSeconds);
  validatePersistentSessionExpiry(options.persistentSessionExpirySeconds);
  return port;
}

function sendAsset(response: ServerResponse, asset: DemoAsset): void {
  if (asset.ok) {
    response.writeHead(200, { 'content-type': asset.contentType, 'content-length': asset.body.length, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    response.end(asset.body);
  } else {
    sendText(response, 503, `${asset.reason}\n`, { 'cache-control': 'no-store' });
  }
}

/**
 * CORS preflight answer. The page is same-origin, so none is needed; like an HTTP API whose allowed
 * origins list only the page's own origin, this admits that origin and no other: a preflight from
 * another origin gets no CORS headers at all, as API Gateway answers it. A preflight without an
 * `Origin` (not a browser's) is answered for the allowed origin.
 */
function sendPreflight(response: ServerResponse, origin: string, methods: string, requestOrigin?: string): void {
  if (requestOrigin !== undefined && requestOrigin !== origin) {
    response.writeHead(204, { vary: 'origin' });
    response.end();
    return;
  }
  response.writeHead(204, {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': methods,
    'access-control-allow-headers': 'authorization,content-type,x-amz-target,x-amz-user-agent',
    'access-control-max-age': '600',
    vary: 'origin',
  });
  response.end();
}

/**
 * The gateway's session directory in shared scope: the sessions STS issued, and the function's own
 * long-term key (no session token, no expiry), as AWS IoT knows an execution role's credentials.
 */
function sharedScopeSessions(sts: LocalSts): SessionDirectory {
  const own: GatewaySession = {
    secretAccessKey: LOCAL_FUNCTION_CREDENTIALS.secretAccessKey,
    roleArn: LOCAL_FUNCTION_CREDENTIALS.arn,
    roleSessionName: 'local-mqtt-url-function',
    policy: undefined,
  };
  return { session: (accessKeyId) => (accessKeyId === LOCAL_FUNCTION_CREDENTIALS.accessKeyId ? own : sts.session(accessKeyId)) };
}

/**
 * TEST-ONLY (`faults.omitNoStore`): removes one header from the headers `response.writeHead` is
 * given, for this response only, so the real Lambda's answer is left as it is and only the wire
 * differs.
 */
function dropHeaderOnWrite(response: ServerResponse, name: string): void {
  const writeHead = response.writeHead.bind(response);
  const patched = (statusCode: number, headers?: OutgoingHttpHeaders): ServerResponse => {
    const kept = headers === undefined ? undefined : Object.fromEntries(Object.entries(headers).filter(([key]) => key.toLowerCase() !== name));
    return writeHead(statusCode, kept);
  };
  response.writeHead = patched as ServerResponse['writeHead'];
}

/**
 * Starts the local stack on 127.0.0.1.
 * @throws Error when the port is taken, another local stack runs in this process, or a setting is
 *   invalid (nothing is left running then)
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const requestedPort = validateOptions(options);
  if (running) throw new Error('A local stack is already running in this process (the Lambda environment is process-wide); stop it first');
  running = true;
  const quiet = options.quiet === true;
  const log = quiet ? (): void => undefined : (options.log ?? ((line: string) => console.log(line)));

  const now = options.now ?? ((): Date => new Date());
  const sts = new LocalSts({ now });
  sts.registerCaller(LOCAL_FUNCTION_CREDENTIALS);
  sts.trustRole(LOCAL_CLIENT_ROLE_ARN, [LOCAL_FUNCTION_CREDENTIALS.accessKeyId]);
  let server: Server | undefined;
  let gateway: IotGateway | undefined;
  let lambda: LocalLambda | undefined;
  let device: SimulatedDevice | undefined;
  const teardown = async (): Promise<void> => {
    device?.stop();
    await gateway?.close();
    if (server !== undefined) {
      const closing = server;
      await new Promise<void>((resolve) => {
        closing.close(() => resolve());
        closing.closeAllConnections();
      });
    }
    await sts.stop();
    lambda?.restoreEnvironment();
  };

  try {
    const stsUrl = await sts.start(0, '127.0.0.1');
    // Set before the Lambda loads: a function that fetches its JWKS at cold start finds it served.
    let issuer: LocalOidcIssuer | undefined;
    let route: (request: IncomingMessage, response: ServerResponse) => Promise<void> = async (request, response) => {
      if (issuer?.owns(request) === true) await issuer.handleHttp(request, response);
      else sendText(response, 503, 'The local stack is starting.\n');
    };
    let upgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void = (_request, socket) => socket.destroy();
    // Set once listening; until then no request can arrive.
    let port = 0;
    const vends = { vended: 0, refused: 0 };
    /** `performance.now()` until which the network is down (`loseNetwork`). */
    let networkDownUntil = 0;
    server = createServer((request, response) => {
      if (performance.now() < networkDownUntil) {
        request.socket.destroy();
        return;
      }
      const started = performance.now();
      // Node's parser admits only known methods; the path is the client's, hence quoted.
      response.on('finish', () => log(`${request.method ?? '?'} ${logValue(pathOf(request))} ${response.statusCode} ${Math.round(performance.now() - started)}ms`));
      // DNS rebinding: a request for another site's name is not ours to answer (`loopback-host.ts`).
      if (!isLoopbackHost(request.headers.host, port)) {
        sendText(response, 421, misdirectedMessage(port));
        return;
      }
      route(request, response).catch(() => {
        if (!response.headersSent) sendText(response, 500, 'Internal error in the local stack.\n');
        else response.destroy();
      });
    });
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (performance.now() < networkDownUntil) {
        socket.destroy();
        return;
      }
      if (isLoopbackHost(request.headers.host, port)) {
        upgrade(request, socket, head);
        return;
      }
      log(`WS ${logValue(pathOf(request))} 421`);
      const body = misdirectedMessage(port);
      socket.end(`HTTP/1.1 421 Misdirected Request\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
    port = await listen(server, requestedPort);
    const host = `127.0.0.1:${port}`;
    const origin = `http://${host}`;
    const identity = options.identity ?? 'cognito';
    const userGroups = options.userGroups ?? DEMO_USER_GROUPS;
    const requiredScopes = options.requiredScopes ?? [];
    const userPool = identity === 'cognito' ? await LocalUserPool.create({ issuer: `${origin}${USER_POOL_PATH}`, now, userGroups }) : undefined;
    const oidc = identity === 'oidc' ? await LocalOidcIssuer.create({ issuer: localOidcIssuerUrl(origin), now, userGroups }) : undefined;
    issuer = oidc;
    // What API Gateway's authorizer is configured with: the pool's issuer and app client, or the
    // OIDC issuer and its API audience.
    const authorizer = oidc === undefined
      ? { issuer: `${origin}${USER_POOL_PATH}`, audience: [LOCAL_CLIENT_ID], jwksUri: `${origin}${JWKS_PATH}` }
      : { issuer: oidc.issuer, audience: [oidc.audience], jwksUri: oidc.jwksUri };

    const shared = options.scope === 'shared';
    const faults = options.faults ?? {};
    lambda = await loadLocalLambda({
      iotEndpoint: host,
      region: LOCAL_SCOPE.region,
      clientRoleArn: shared ? undefined : LOCAL_CLIENT_ROLE_ARN,
      stsUrl,
      urlTtlSeconds: options.urlTtlSeconds,
      publishTopicTemplates: options.publishTopicTemplates,
      subscribeTopicTemplates: options.subscribeTopicTemplates,
      groupPrefix: options.groupPrefix,
      maxGroups: options.maxGroups,
      allowRetain: options.allowRetain,
      userRatePerSecond: options.userRatePerSecond,
      userRateBurst: options.userRateBurst,
      ...(oidc === undefined
        ? { identityMode: 'cognito', issuerUrl: authorizer.issuer }
        : { identityMode: 'oidc', issuerUrl: authorizer.issuer, audiences: authorizer.audience, groupsClaim: oidc.groupsClaim, jwksUri: authorizer.jwksUri }),
      writeLog: log,
      now,
    });
    const mqttUrlRoute = jwtProtectedRoute({
      issuer: authorizer.issuer,
      audience: authorizer.audience,
      // As API Gateway does: fetch the issuer's JWKS over HTTP (here, from this very server).
      keys: createRemoteJWKSet(new URL(authorizer.jwksUri)),
      requiredScopes,
      routeKey: 'GET /mqtt-url',
      handler: lambda.handler,
      now,
    });
    // In shared scope the function's own role holds what the client role would (the construct's
    // shared scope), and its long-term key signs every URL.
    const rolePolicy = clientRolePolicy(LOCAL_SCOPE, lambda.templates, lambda.allowRetain);
    const activeGateway = await IotGateway.create({
      host,
      scope: LOCAL_SCOPE,
      sessions: shared ? sharedScopeSessions(sts) : sts,
      rolePolicies: new Map([[shared ? LOCAL_FUNCTION_CREDENTIALS.arn : LOCAL_CLIENT_ROLE_ARN, rolePolicy]]),
      faults,
      now,
      log,
      maxConnectionDurationSeconds: options.maxConnectionDurationSeconds,
      persistentSessionExpirySeconds: options.persistentSessionExpirySeconds,
    });
    gateway = activeGateway;
    if (options.simulatedDevice !== undefined) {
      device = SimulatedDevice.start({ publisher: activeGateway, scope: LOCAL_SCOPE, options: options.simulatedDevice, now, log });
    }
    const script = await bundleDemoScript(ROOT);
    if (!script.ok) log(script.reason);

    route = async (request, response) => {
      const path = pathOf(request);
      const method = request.method ?? 'GET';
      if ((path === '/cognito' || path === '/cognito/') && userPool !== undefined) {
        if (method === 'OPTIONS') sendPreflight(response, origin, 'POST', request.headers.origin);
        else await userPool.handleHttp(request, response);
      } else if (path === '/cognito' || path === '/cognito/') {
        sendText(response, 404, `This local stack runs in OIDC mode: sign in at ${oidc?.tokenEndpoint ?? '/oidc/token'} (password grant).\n`);
      } else if (oidc?.owns(request) === true) {
        if (method === 'OPTIONS') sendPreflight(response, origin, 'GET, POST', request.headers.origin);
        else await oidc.handleHttp(request, response);
      } else if (path === '/mqtt-url') {
        // API Gateway answers any method without a route with 404 {"message":"Not Found"}.
        if (method === 'GET') {
          response.once('finish', () => {
            if (response.statusCode === 200) vends.vended += 1;
            else vends.refused += 1;
          });
          if (faults.omitNoStore === true) dropHeaderOnWrite(response, 'cache-control');
          await mqttUrlRoute(request, response);
        }
        else if (method === 'OPTIONS') {
          const requestOrigin = request.headers.origin;
          const allowed = faults.corsAllowAnyOrigin === true && requestOrigin !== undefined ? requestOrigin : origin;
          sendPreflight(response, allowed, 'GET', requestOrigin);
        }
        else sendJson(response, 404, { message: 'Not Found' });
      } else if (method !== 'GET' && method !== 'HEAD') {
        sendText(response, 405, 'Method not allowed.\n', { allow: 'GET, HEAD' });
      } else if (path === '/' || path === '/index.html') {
        sendAsset(response, await readDemoPage(ROOT));
      } else if (path === '/app.js') {
        sendAsset(response, script);
      } else if (path === '/config.json') {
        // The origin the page was loaded from (a checked loopback Host), so the page stays same-origin.
        sendJson(response, 200, pageConfig(`http://${(request.headers.host ?? host).toLowerCase()}`, oidc, requiredScopes), { 'cache-control': 'no-store' });
      } else if (path === JWKS_PATH && userPool !== undefined) {
        sendJson(response, 200, userPool.jwks(), { 'cache-control': 'max-age=300' });
      } else if (path === '/mqtt') {
        sendText(response, 426, 'Upgrade to a WebSocket (MQTT over WebSocket) with a presigned URL from /mqtt-url.\n', { upgrade: 'websocket' });
      } else {
        sendText(response, 404, 'Not found.\n');
      }
    };
    upgrade = (request, socket, head) => {
      if (pathOf(request) === '/mqtt') {
        activeGateway.handleUpgrade(request, socket, head);
      } else {
        log(`WS ${logValue(pathOf(request))} 404`);
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      }
    };

    let stopped: Promise<void> | undefined;
    return {
      vends,
      url: origin,
      port,
      sts,
      stsUrl,
      identity,
      userPool,
      oidc,
      device,
      dropMqttConnections: () => activeGateway.dropConnections(),
      loseNetwork: (durationMs) => {
        if (typeof durationMs !== 'number' || !(durationMs >= 1 && durationMs <= 600_000)) {
          throw new RangeError(`loseNetwork takes a duration from 1 to 600000 ms (received ${String(durationMs)})`);
        }
        networkDownUntil = performance.now() + durationMs;
        log(`network down for ${Math.round(durationMs)} ms (loseNetwork)`);
        return activeGateway.dropConnections();
      },
      stop: () => {
        stopped ??= teardown().finally(() => {
          running = false;
        });
        return stopped;
      },
    };
  } catch (error) {
    await teardown();
    running = false;
    throw error;
  }
}
