/**
 * The local AWS IoT Core data endpoint for MQTT over WebSocket: an `aedes` broker behind a gatekeeper
 * that refuses what AWS IoT refuses.
 *
 * - Handshake (`GET /mqtt` upgrade): the SigV4 query signature, date window, session and session
 *   token are verified by {@link verifyPresignedHandshake}; any failure is an HTTP 403, as AWS IoT.
 * - MQTT: every operation is authorized against the intersection of the client role's identity
 *   policy and the session policy that STS recorded, as AWS IoT does for IAM principals
 *   (https://docs.aws.amazon.com/iot/latest/developerguide/iam-policies.html):
 *   CONNECT → `iot:Connect` (refusal: CONNACK 5 "not authorized");
 *   SUBSCRIBE → `iot:Subscribe` per filter (refusal: SUBACK 0x80 for that filter);
 *   PUBLISH → `iot:Publish` (+ `iot:RetainPublish` with RETAIN) (refusal: disconnect, AWS IoT's
 *   answer on MQTT 3.1.1, which has no PUBACK reason codes);
 *   delivery → `iot:Receive` (refusal: the message is not delivered to that client).
 * - A CONNECT with a client id already in use disconnects the older connection (aedes' takeover,
 *   which is also AWS IoT's behaviour); the policy check runs first, so nobody can take over a
 *   client id outside their own namespace.
 * - AWS IoT's message-broker limits (`broker-limits.ts`, each with its source): every packet passes
 *   through a {@link PacketGate} before the broker sees it; the first one that breaks a limit closes
 *   the connection and reaches nobody. One accepted CONNECT per second per client ID
 *   (`connect-throttle.ts`; a faster one is answered CONNACK 3 and leaves the older connection up).
 *   Each connection is closed when it reaches the maximum connection duration (24 h by default).
 *   Limits are checked before the policy: a SUBSCRIBE that breaks one closes the connection even if
 *   the policy would have refused a filter with SUBACK 0x80.
 * - Persistent sessions (CONNECT with clean session 0): aedes keeps the client's subscriptions and
 *   the QoS 1 messages for its QoS 1 subscriptions while it is away, and on a clean-session-0 CONNECT
 *   answers CONNACK session present 1, restores the subscriptions (each one through `iot:Subscribe`
 *   again, under the new connection's policy) and sends what was queued, each message through the
 *   same `iot:Receive` check as a live one, under the new connection's policy. Unlike aedes, the
 *   gateway expires a session AWS IoT's way (`session-expiry.ts`): discarded once no connection has
 *   resumed it for `persistentSessionExpirySeconds` (1 hour by default).
 * - Retained messages: a PUBLISH with RETAIN that passes the check is kept by aedes, and handed to a
 *   later subscriber only if that subscriber may `iot:Receive` it (retained deliveries go through the
 *   same per-message check as live ones).
 * - In-process principals (the simulated device, `simulated-device.ts`) publish through
 *   {@link IotGateway.publishAs}, authorized by their own policy instead of a vended session.
 *
 * Log lines carry client IDs, topics, filters and session names as JSON strings (`log-value.ts`), so a
 * client cannot forge a line by putting a line break in one of them.
 */
import type { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { createWebSocketStream, WebSocketServer, type WebSocket } from 'ws';
import { MAX_CONNECTION_DURATION_SECONDS, MAX_PERSISTENT_SESSION_EXPIRY_SECONDS, PERSISTENT_SESSION_EXPIRY_SECONDS, publishViolation } from './broker-limits.js';
import { ConnectThrottle } from './connect-throttle.js';
import { parsePolicy, PolicyParseError, type ParsedPolicy, type PolicyDecision } from './iam-policy.js';
import { iotPermissions, type IotPermissions, type IotResourceScope } from './iot-permissions.js';
import { logValue } from './log-value.js';
import { PacketGate, type GateViolation } from './packet-gate.js';
import { SessionExpiry, type SessionStore } from './session-expiry.js';
import { verifyPresignedHandshake, type HandshakeVerdict, type VerifiableCredentials } from './sigv4-url-verifier.js';
import type { StsSession } from './sts-server.js';

/**
 * The credentials behind an access key id and whose they are. An `StsSession` (`sts-server.ts`) is
 * one; in shared scope the function's own long-term key is another (no session token, no expiry).
 */
export type GatewaySession = VerifiableCredentials & Pick<StsSession, 'roleArn' | 'roleSessionName' | 'policy'>;

/** Where sessions are looked up: `LocalSts` (`sts-server.ts`) satisfies it. */
export interface SessionDirectory {
  session(accessKeyId: string): GatewaySession | undefined;
}

/**
 * TEST-ONLY faults: each one breaks the gateway on purpose in one way, so that a test can show that
 * a check (`aws-signv4-mqtt verify`) notices. Off by default; `npm run dev` never sets them.
 */
export interface GatewayFaults {
  /** Grant every SUBSCRIBE, whatever the policy says (no SUBACK 0x80). */
  readonly allowForeignSubscribe?: boolean;
  /** Let every PUBLISH through, whatever the policy says (no disconnect). */
  readonly allowForeignPublish?: boolean;
  /** Accept every CONNECT's client ID, whatever the policy says (takeovers of others' IDs). */
  readonly allowForeignClientId?: boolean;
  /** Accept a handshake whose signature does not match (a tampered URL). */
  readonly acceptTamperedUrls?: boolean;
}

/** Options of {@link IotGateway.create}. */
export interface IotGatewayOptions {
  /** The `host:port` clients sign and connect to, e.g. `127.0.0.1:3000`. */
  readonly host: string;
  /** Partition, region and account of the emulated endpoint (resource ARNs are built from it). */
  readonly scope: IotResourceScope;
  /** The STS that issued the sessions. */
  readonly sessions: SessionDirectory;
  /** Each role's identity policy, by role ARN. A session of any other role is allowed nothing. */
  readonly rolePolicies: ReadonlyMap<string, ParsedPolicy>;
  /**
   * The gateway's clock (handshake date window, session expiry).
   * @default - the system clock
   */
  readonly now?: () => Date;
  /**
   * Receives one line per handshake and per refused or accepted MQTT operation. Never a secret.
   * @default - no logging
   */
  readonly log?: (line: string) => void;
  /**
   * How long a connection may stay open before the gateway closes it, in seconds (a test shortens
   * it). Measured on the real timer, not on `now`.
   * @default MAX_CONNECTION_DURATION_SECONDS - 24 hours, AWS IoT's limit for MQTT over WebSocket
   */
  readonly maxConnectionDurationSeconds?: number;
  /**
   * How long a persistent session (CONNECT with clean session 0) outlives its last connection, in
   * seconds, before the gateway discards its subscriptions and queued messages (a test shortens it).
   * Measured on the real timer, not on `now`.
   * @default PERSISTENT_SESSION_EXPIRY_SECONDS - 1 hour, AWS IoT's default (adjustable there up to 7 days)
   */
  readonly persistentSessionExpirySeconds?: number;
  /**
   * TEST-ONLY: breaks the gateway on purpose ({@link GatewayFaults}).
   * @default - none: the gateway refuses what AWS IoT refuses
   */
  readonly faults?: GatewayFaults;
}

/** A principal inside the local stack that publishes without an MQTT connection (a simulated device). */
export interface InProcessPrincipal {
  /** Its name in log lines, e.g. the thing name. */
  readonly name: string;
  /** What its policy allows (built with `iotPermissions` from the policy attached to it). */
  readonly permissions: IotPermissions;
}

/** What the gateway knows about an authenticated connection. */
interface ConnectionContext {
  readonly sessionName: string;
  readonly permissions: IotPermissions;
  /** The connection's limit checks (and its count of subscriptions). */
  readonly gate: PacketGate;
}

const SERVER_UNAVAILABLE = 3;
const NOT_AUTHORIZED = 5;

/**
 * Checks `maxConnectionDurationSeconds`.
 * @throws RangeError unless it is a number of seconds above 0 and at most 24 hours
 */
export function validateConnectionDuration(seconds: number | undefined): number {
  const value = seconds ?? MAX_CONNECTION_DURATION_SECONDS;
  if (typeof value !== 'number' || !(value > 0 && value <= MAX_CONNECTION_DURATION_SECONDS)) {
    throw new RangeError(`maxConnectionDurationSeconds must be a number of seconds above 0 and at most ${MAX_CONNECTION_DURATION_SECONDS} (received ${String(seconds)})`);
  }
  return value;
}

/**
 * Checks `persistentSessionExpirySeconds`.
 * @throws RangeError unless it is a number of seconds above 0 and at most 7 days
 */
export function validatePersistentSessionExpiry(seconds: number | undefined): number {
  const value = seconds ?? PERSISTENT_SESSION_EXPIRY_SECONDS;
  if (typeof value !== 'number' || !(value > 0 && value <= MAX_PERSISTENT_SESSION_EXPIRY_SECONDS)) {
    throw new RangeError(`persistentSessionExpirySeconds must be a number of seconds above 0 and at most ${MAX_PERSISTENT_SESSION_EXPIRY_SECONDS} (7 days) (received ${String(seconds)})`);
  }
  return value;
}

/**
 * The broker's persistence, where aedes keeps sessions. Its types leave the property out; it is the
 * default in-memory `aedes-persistence` once `listen()` has run.
 * @throws Error if it lacks a call that discarding a session needs (an aedes upgrade changed it)
 */
function sessionStoreOf(broker: Aedes): SessionStore {
  const store = (broker as unknown as { persistence?: Partial<SessionStore> }).persistence;
  if (typeof store?.cleanSubscriptions !== 'function' || typeof store.outgoingStream !== 'function' || typeof store.outgoingClearMessageId !== 'function') {
    throw new Error('The aedes persistence lacks cleanSubscriptions, outgoingStream or outgoingClearMessageId: persistent sessions could not be expired');
  }
  return store as SessionStore;
}

/** The gateway. Create it with {@link IotGateway.create}; route `/mqtt` upgrades to {@link handleUpgrade}. */
export class IotGateway {
  readonly #options: IotGatewayOptions;
  readonly #faults: GatewayFaults;
  readonly #now: () => Date;
  readonly #log: (line: string) => void;
  readonly #broker: Aedes;
  readonly #webSockets = new WebSocketServer({
    noServer: true,
    // AWS IoT speaks the `mqtt` subprotocol; echo it when offered.
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
  });
  readonly #contexts = new WeakMap<IncomingMessage, ConnectionContext>();
  readonly #pendingSockets = new Set<Duplex>();
  readonly #throttle: ConnectThrottle;
  readonly #maxDurationMs: number;
  readonly #expiry: SessionExpiry;
  /** Clients whose CONNECT the gateway accepted: their connection holds their client ID's session. */
  readonly #accepted = new WeakSet<Client>();
  #closed = false;

  private constructor(options: IotGatewayOptions) {
    this.#options = options;
    this.#faults = options.faults ?? {};
    this.#now = options.now ?? (() => new Date());
    this.#log = options.log ?? (() => undefined);
    this.#maxDurationMs = validateConnectionDuration(options.maxConnectionDurationSeconds) * 1000;
    const expirySeconds = validatePersistentSessionExpiry(options.persistentSessionExpirySeconds);
    this.#expiry = new SessionExpiry({
      expiryMs: expirySeconds * 1000,
      store: () => sessionStoreOf(this.#broker),
      onExpired: (clientId, dropped) => {
        this.#log(`MQTT client=${logValue(clientId)} persistent session expired (${expirySeconds} s after its last connection closed): its subscriptions and ${dropped} queued message(s) discarded`);
      },
      onError: (clientId, error) => {
        this.#log(`MQTT client=${logValue(clientId)} persistent session expired but could not be discarded (${error instanceof Error ? error.message : 'unknown error'})`);
      },
    });
    this.#throttle = new ConnectThrottle(() => this.#now().getTime());
    this.#broker = new Aedes({
      authenticate: (client, _username, _password, done) => this.#authorizeConnect(client, done),
      authorizeSubscribe: (client, subscription, done) => this.#authorizeSubscribe(client, subscription.topic, () => done(null, subscription), () => done(null, null)),
      authorizePublish: (client, packet, done) => this.#authorizePublish(client, packet.topic, packet.retain, done),
      authorizeForward: (client, packet) => (this.#decide(client, (p) => p.receive(packet.topic)) === 'allow' ? packet : null),
    });
  }

  /** Starts the broker and returns the gateway. */
  static async create(options: IotGatewayOptions): Promise<IotGateway> {
    const gateway = new IotGateway(options);
    await gateway.#broker.listen();
    try {
      sessionStoreOf(gateway.#broker);
    } catch (error) {
      await gateway.close();
      throw error;
    }
    return gateway;
  }

  /** Number of open MQTT connections. */
  get connectionCount(): number {
    return this.#webSockets.clients.size;
  }

  /** Number of persistent sessions that no connection holds, each waiting for its expiry timer. */
  get expiringSessionCount(): number {
    return this.#expiry.pending;
  }

  /** Whether `clientId` has a persistent session that no connection holds, waiting for its expiry timer. */
  isSessionExpiring(clientId: string): boolean {
    return this.#expiry.isPending(clientId);
  }

  /**
   * Handles an HTTP upgrade for `/mqtt`: verifies the presigned URL, then hands the WebSocket to
   * the broker, or answers 403 and closes the socket.
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // The verification below is asynchronous; a client that hangs up meanwhile must not crash us.
    socket.on('error', () => socket.destroy());
    this.#pendingSockets.add(socket);
    void this.#upgrade(request, socket, head).finally(() => this.#pendingSockets.delete(socket));
  }

  async #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { host, scope, sessions } = this.#options;
    let verdict: HandshakeVerdict;
    try {
      verdict = await verifyPresignedHandshake(
        { url: request.url ?? '/', host: request.headers.host },
        {
          host,
          region: scope.region,
          now: this.#now,
          lookup: (accessKeyId) => sessions.session(accessKeyId),
          acceptBadSignatures: this.#faults.acceptTamperedUrls === true,
        },
      );
    } catch {
      verdict = { ok: false, code: 'bad-signature', reason: 'the signature could not be computed' };
    }
    if (this.#closed) {
      socket.destroy();
      return;
    }
    if (!verdict.ok) {
      this.#log(`WS /mqtt 403 ${verdict.code}: ${verdict.reason}`);
      const body = `Forbidden: ${verdict.code}\n`;
      socket.end(`HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
    const session = sessions.session(verdict.accessKeyId);
    this.#webSockets.handleUpgrade(request, socket, head, (webSocket) => {
      let client: Client | undefined;
      const gate = new PacketGate({
        onViolation: (violation) => this.#refuseConnection(webSocket, client, violation),
        // A persistent session's restored filters (aedes keeps them in `client.subscriptions`, untyped).
        brokerSubscriptions: () => Object.keys((client as { subscriptions?: Record<string, unknown> } | undefined)?.subscriptions ?? {}),
      });
      const context = this.#contextFor(session, gate);
      this.#log(`WS /mqtt 101 session=${logValue(context.sessionName)}`);
      this.#contexts.set(request, context);
      this.#limitDuration(webSocket, () => client);
      webSocket.once('close', () => {
        if (client !== undefined && this.#accepted.has(client)) this.#expiry.disconnected(client.id, client.clean);
      });
      const stream = createWebSocketStream(webSocket);
      stream.on('error', () => webSocket.terminate());
      stream.pipe(gate);
      // The broker reads what the gate lets through and writes straight to the WebSocket.
      client = this.#broker.handle(Duplex.from({ readable: gate, writable: stream }), request);
    });
  }

  /** Closes the connection once it reaches the maximum connection duration. */
  #limitDuration(webSocket: WebSocket, client: () => Client | undefined): void {
    const timer = setTimeout(() => {
      this.#log(`MQTT client=${logValue(client()?.id ?? 'unknown')} reached the maximum connection duration (${this.#maxDurationMs / 1000} s): disconnecting`);
      webSocket.terminate();
    }, this.#maxDurationMs);
    timer.unref();
    webSocket.once('close', () => clearTimeout(timer));
  }

  /** A packet broke a message-broker limit: log it and close the connection, as AWS IoT does. */
  #refuseConnection(webSocket: WebSocket, client: Client | undefined, violation: GateViolation): void {
    const subject = violation.topic === undefined ? '' : ` ${violation.packet === 'SUBSCRIBE' ? 'filter' : 'topic'}=${logValue(violation.topic)}`;
    this.#log(`MQTT ${violation.packet} client=${logValue(client?.id ?? 'unknown')}${subject} refused (${violation.rule}: ${violation.reason}): disconnecting`);
    webSocket.terminate();
  }

  /** The identity policy of the session's role ∩ its session policy; a policy that does not parse allows nothing. */
  #contextFor(session: GatewaySession | undefined, gate: PacketGate): ConnectionContext {
    const sessionName = session?.roleSessionName ?? 'unknown';
    const rolePolicy = session === undefined ? undefined : this.#options.rolePolicies.get(session.roleArn);
    let policies: ParsedPolicy[] = rolePolicy === undefined ? [] : [rolePolicy];
    if (session?.policy !== undefined && policies.length > 0) {
      try {
        policies.push(parsePolicy(session.policy));
      } catch (error) {
        this.#log(`session=${logValue(sessionName)} has a session policy the gateway cannot evaluate (${error instanceof PolicyParseError ? error.message : 'unknown error'}); it is allowed nothing`);
        policies = [];
      }
    }
    return { sessionName, permissions: iotPermissions(this.#options.scope, policies), gate };
  }

  #decide(client: Client | null, check: (permissions: IotPermissions) => PolicyDecision): PolicyDecision {
    const context = client?.req === undefined ? undefined : this.#contexts.get(client.req);
    return context === undefined ? 'implicit-deny' : check(context.permissions);
  }

  #sessionName(client: Client | null): string {
    return (client?.req === undefined ? undefined : this.#contexts.get(client.req)?.sessionName) ?? 'unknown';
  }

  #authorizeConnect(client: Client, done: (error: AuthenticateError | null, success: boolean | null) => void): void {
    const decision = this.#faults.allowForeignClientId === true ? 'allow' : this.#decide(client, (p) => p.connect(client.id));
    const prefix = `MQTT CONNECT client=${logValue(client.id)} session=${logValue(this.#sessionName(client))}`;
    if (decision !== 'allow') {
      this.#log(`${prefix} refused (${decision})`);
      done(Object.assign(new Error('not authorized'), { returnCode: NOT_AUTHORIZED }) as AuthenticateError, false);
      return;
    }
    const waitMs = this.#throttle.tryConnect(client.id);
    if (waitMs !== undefined) {
      this.#log(`${prefix} refused (connect-rate: this client ID connected less than a second ago; retry in ${Math.ceil(waitMs)} ms)`);
      done(Object.assign(new Error('server unavailable'), { returnCode: SERVER_UNAVAILABLE }) as AuthenticateError, false);
      return;
    }
    this.#log(`${prefix} accepted`);
    this.#accepted.add(client);
    const discarding = this.#expiry.connected(client.id);
    // A session expiring at this very moment is discarded whole before aedes looks it up.
    if (discarding === undefined) done(null, true);
    else void discarding.then(() => done(null, true));
  }

  #authorizeSubscribe(client: Client, topicFilter: string, grant: () => void, refuse: () => void): void {
    const decision = this.#decide(client, (p) => p.subscribe(topicFilter));
    if (decision === 'allow' || this.#faults.allowForeignSubscribe === true) {
      grant();
      return;
    }
    this.#log(`MQTT SUBSCRIBE client=${logValue(client.id)} filter=${logValue(topicFilter)} refused (${decision})`);
    // A refused filter (SUBACK 0x80) is not a subscription of the connection.
    if (client.req !== undefined) this.#contexts.get(client.req)?.gate.forget(topicFilter);
    refuse();
  }

  #authorizePublish(client: Client | null, topic: string, retain: boolean, done: (error?: Error | null) => void): void {
    const decision = this.#decide(client, (p) => p.publish(topic, retain));
    if (decision === 'allow' || this.#faults.allowForeignPublish === true) {
      done(null);
      return;
    }
    this.#log(`MQTT PUBLISH client=${logValue(client?.id ?? 'unknown')} topic=${logValue(topic)}${retain ? ' (retained)' : ''} refused (${decision}): disconnecting`);
    done(new Error(`not authorized to publish to ${topic}`));
  }

  /**
   * Publishes as an in-process principal, straight into the broker: its own policy decides (no
   * session, no role), and each delivery is still checked against the subscriber's `iot:Receive`.
   * @returns whether the message was published (`false`: refused by the policy, or the gateway is closed)
   */
  async publishAs(principal: InProcessPrincipal, topic: string, payload: Buffer | string, options: { readonly retain?: boolean } = {}): Promise<boolean> {
    if (this.#closed) return false;
    const retain = options.retain === true;
    const body = Buffer.from(payload);
    const violation = publishViolation(topic, body.length, 0);
    if (violation !== undefined) {
      this.#log(`MQTT PUBLISH principal=${logValue(principal.name)} topic=${logValue(topic)} refused (${violation.rule}: ${violation.reason})`);
      return false;
    }
    const decision = principal.permissions.publish(topic, retain);
    if (decision !== 'allow') {
      this.#log(`MQTT PUBLISH principal=${logValue(principal.name)} topic=${logValue(topic)}${retain ? ' (retained)' : ''} refused (${decision})`);
      return false;
    }
    await new Promise<void>((resolve, reject) => {
      this.#broker.publish({ cmd: 'publish', topic, payload: body, qos: 0, retain, dup: false }, (error) => (error ? reject(error) : resolve()));
    });
    return true;
  }

  /** Drops every open MQTT connection (clients see a network close and may reconnect). */
  dropConnections(): number {
    let count = 0;
    for (const webSocket of this.#webSockets.clients) {
      webSocket.terminate();
      count++;
    }
    return count;
  }

  /** Closes every connection and the broker. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#expiry.close();
    for (const socket of this.#pendingSockets) socket.destroy();
    this.dropConnections();
    await new Promise<void>((resolve) => this.#webSockets.close(() => resolve()));
    await new Promise<void>((resolve) => this.#broker.close(() => resolve()));
  }
}
