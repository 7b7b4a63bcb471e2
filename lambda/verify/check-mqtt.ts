/**
 * The checks that speak MQTT, in the order they run against one pair of connections:
 *
 * 1. `round-trip`: A connects and gets its own QoS 1 message back on its private test topic;
 * 2. `foreign-subscribe`: B's SUBSCRIBE to A's topic gets SUBACK 0x80;
 * 3. `shared-topics`: what A and B share by design (a round trip there only with `--include-shared`);
 * 4. `foreign-publish`: B's PUBLISH into A's topic closes B's connection, and A receives nothing;
 * 5. `foreign-client-id`: B's CONNECT with A's client ID is refused (after AWS IoT's one CONNECT per
 *    second per client ID has been waited out) and A stays connected.
 *
 * These mirror how AWS IoT refuses (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html):
 * a filter the policy denies gets SUBACK 0x80; an unauthorized PUBLISH closes the connection (MQTT
 * 3.1.1 has no PUBACK reason code); an unauthorized CONNECT is closed (or answered CONNACK 5).
 */
import type { CheckVerdict } from './check-result.js';
import { skipped } from './check-result.js';
import type { ConnectPacer } from './connect-pacer.js';
import type { Deadline } from './deadline.js';
import { connackName, connectProbe, SUBACK_FAILURE, type ConnectOutcome, type ProbeConnection } from './mqtt-probe.js';
import type { MqttConnect } from './mqtt-loader.js';
import { commonGrants, describeTopic, privateTopicOf } from './topic-plan.js';
import type { UserVend } from './vend-client.js';

/** The longest wait for any one answer (CONNACK, SUBACK, PUBACK, a message), within the deadline. */
const STEP_MS = 10_000;
/** How long a message that must NOT arrive is waited for, after a marker that must has arrived. */
const QUIET_MS = 300;
/** How many times a CONNECT refused as "server unavailable" (the rate limit's answer) is retried. */
const THROTTLE_RETRIES = 2;

/** What the MQTT checks share. */
export interface MqttCheckContext {
  /** mqtt.js's `connect`, loaded at run time (an optional peer). */
  readonly connect: MqttConnect;
  /** The run's `--timeout`. */
  readonly deadline: Deadline;
  /** Who connected as which client ID when, for AWS IoT's one CONNECT per second per client ID. */
  readonly pacer: ConnectPacer;
  /** User A's vend: the one whose private topic and client ID are defended. */
  readonly a: UserVend;
  /** User B's vend: the one that tries to reach A's. */
  readonly b: UserVend;
  /** Random, per run: the last level of every topic verify writes. */
  readonly runId: string;
  /** `--include-shared`: a round trip on a topic both users share. */
  readonly includeShared: boolean;
}

/** Whether a refused CONNECT may be AWS IoT's one CONNECT per second per client ID. */
function mayBeRateLimit(outcome: ConnectOutcome): boolean {
  if (outcome.kind === 'refused') return outcome.returnCode === 3;
  return outcome.kind === 'closed' && outcome.handshakeStatus === undefined;
}

/** The MQTT checks of one run, and the connections they hold (closed by {@link MqttChecks.close}). */
export class MqttChecks {
  readonly #context: MqttCheckContext;
  readonly #connections = new Set<ProbeConnection>();
  #a: ProbeConnection | undefined;
  #b: ProbeConnection | undefined;
  readonly #topic: { readonly grant: string; readonly topic: string } | undefined;

  /** @param context the run's vends, deadline and mqtt.js */
  constructor(context: MqttCheckContext) {
    this.#context = context;
    this.#topic = privateTopicOf(context.a.vended, context.runId);
  }

  /** `<A's private grant>` as people read it, e.g. `users/<A>/*`. */
  #show(topic: string): string {
    return describeTopic(topic, this.#context.a.vended, this.#context.b.vended);
  }

  #step(): number {
    return this.#context.deadline.bound(STEP_MS);
  }

  /** Connects `vend`'s URL as `clientId` (default: its own), after the client ID's rate window. */
  async #connect(vend: UserVend, clientId: string = vend.vended.clientId): Promise<ConnectOutcome> {
    const { pacer, deadline, connect } = this.#context;
    await pacer.waitOut(clientId, deadline.signal);
    const outcome = await connectProbe(connect, vend.vended.url, clientId, this.#step());
    if (outcome.kind === 'connected') {
      pacer.accepted(clientId, outcome.connection.connectedAt);
      this.#connections.add(outcome.connection);
    }
    return outcome;
  }

  /**
   * Connects a user as its own client ID. Someone else may have connected as it less than a second
   * ago (the user's own app, or the previous verify run), so a refusal that may be the connect-rate
   * limit (CONNACK 3, or a close after an accepted handshake) is retried after a window.
   */
  async #connectOwn(vend: UserVend): Promise<ConnectOutcome> {
    let outcome = await this.#connect(vend);
    for (let retry = 0; retry < THROTTLE_RETRIES && mayBeRateLimit(outcome); retry++) {
      this.#context.pacer.accepted(vend.vended.clientId);
      outcome = await this.#connect(vend);
    }
    return outcome;
  }

  /** Why a user's own connection failed, worded (an expired URL is named as such). */
  #ownConnectFailure(vend: UserVend, outcome: Exclude<ConnectOutcome, { kind: 'connected' }>): string {
    const why = outcome.kind === 'refused' ? connackName(outcome.returnCode) : outcome.reason;
    const expired = Date.now() > Date.parse(vend.vended.expiresAt) ? ': its vended URL expired during the run' : '';
    return `user ${vend.user} could not connect with its own URL and client ID (${why})${expired}`;
  }

  /** A connection of user B, opening one (after the rate window) when the last one closed. */
  async #userB(): Promise<ProbeConnection | string> {
    if (this.#b?.open === true) return this.#b;
    const outcome = await this.#connectOwn(this.#context.b);
    if (outcome.kind !== 'connected') return this.#ownConnectFailure(this.#context.b, outcome);
    this.#b = outcome.connection;
    return outcome.connection;
  }

  /** A's own QoS 1 message, published and received on `topic`. */
  async #ownRoundTrip(connection: ProbeConnection, topic: string, payload: string): Promise<string | undefined> {
    const published = await connection.publish(topic, payload, this.#step());
    if (published !== 'acked') return `A's QoS 1 publish got no PUBACK (${published === 'closed' ? 'the connection closed' : 'timed out'})`;
    if (!(await connection.waitForMessage(topic, payload, this.#step()))) return "A's own message did not come back within the step's wait";
    return undefined;
  }

  /** 1. A connects and makes a QoS 1 round trip on its private test topic. */
  async roundTrip(): Promise<CheckVerdict> {
    const { a, runId } = this.#context;
    if (this.#topic === undefined) {
      return { ok: false, detail: "A's grants hold no private topic (a grant naming A's principal, ending in /*, granted for both publish and subscribe): verify has nowhere to write" };
    }
    const outcome = await this.#connectOwn(a);
    if (outcome.kind !== 'connected') return { ok: false, detail: this.#ownConnectFailure(a, outcome) };
    this.#a = outcome.connection;
    const granted = await outcome.connection.subscribe(this.#topic.topic, this.#step());
    if (granted === SUBACK_FAILURE) return { ok: false, detail: `A's own subscription to ${this.#show(this.#topic.topic)} was refused (SUBACK 0x80)` };
    if (typeof granted !== 'number') return { ok: false, detail: `A's subscription got no SUBACK (${granted})` };
    const failure = await this.#ownRoundTrip(outcome.connection, this.#topic.topic, `${runId}:round-trip`);
    if (failure !== undefined) return { ok: false, detail: failure };
    return { ok: true, detail: `A connected and got its QoS 1 message back on ${this.#show(this.#topic.topic)}` };
  }

  #needsA(): string | undefined {
    if (this.#topic === undefined || this.#a === undefined) return 'not run: the round trip did not get as far as A subscribing';
    return undefined;
  }

  /** 2. B's subscription to A's private filter is refused with SUBACK 0x80. */
  async foreignSubscribe(): Promise<CheckVerdict> {
    const missing = this.#needsA();
    if (missing !== undefined || this.#topic === undefined) return { ok: false, detail: missing ?? '' };
    const b = await this.#userB();
    if (typeof b === 'string') return { ok: false, detail: b };
    const filter = this.#topic.topic;
    const granted = await b.subscribe(filter, this.#step());
    if (granted === SUBACK_FAILURE) return { ok: true, detail: `B's SUBSCRIBE to A's ${this.#show(filter)} was refused with SUBACK 0x80` };
    if (granted === 'closed') return { ok: true, detail: `B's SUBSCRIBE to A's ${this.#show(filter)} closed B's connection (refused; AWS IoT answers SUBACK 0x80)` };
    if (granted === 'timeout') return { ok: false, detail: `B's SUBSCRIBE to A's ${this.#show(filter)} got no SUBACK` };
    return { ok: false, isolation: true, detail: `ISOLATION FAILURE: B's SUBSCRIBE to A's ${this.#show(filter)} was granted (SUBACK QoS ${granted}): B can read A's private messages` };
  }

  /** 3. What A and B share by design; a round trip there with `--include-shared` only. */
  async sharedTopics(): Promise<CheckVerdict> {
    const { a, b, runId, includeShared } = this.#context;
    const common = commonGrants(a.vended, b.vended, runId);
    if (common.grants.length === 0) return skipped('A and B share no group room or shared topic');
    const listed = common.grants.map((grant) => this.#show(grant)).join(', ');
    if (!includeShared) return { ...skipped(`shared by design: ${listed} (nothing written there; --include-shared makes a round trip)`), shared: true };
    if (common.roundTrip === undefined) return { ...skipped(`shared by design: ${listed} (none that A subscribes to and B publishes to, ending in /*: no round trip)`), shared: true };
    const missing = this.#needsA();
    if (missing !== undefined || this.#a === undefined) return { ok: false, detail: missing ?? '' };
    const userB = await this.#userB();
    if (typeof userB === 'string') return { ok: false, detail: userB };
    const { topic } = common.roundTrip;
    const granted = await this.#a.subscribe(topic, this.#step());
    if (typeof granted !== 'number' || granted === SUBACK_FAILURE) return { ok: false, shared: true, detail: `A's subscription to the shared ${this.#show(topic)} was refused (${String(granted)})` };
    const payload = `${runId}:shared`;
    const published = await userB.publish(topic, payload, this.#step());
    if (published !== 'acked') return { ok: false, shared: true, detail: `B's publish to the shared ${this.#show(topic)} got no PUBACK (${published})` };
    if (!(await this.#a.waitForMessage(topic, payload, this.#step()))) return { ok: false, shared: true, detail: `B's message on the shared ${this.#show(topic)} did not reach A` };
    return { ok: true, shared: true, detail: `shared by design: B's QoS 1 message reached A on ${this.#show(topic)} (common grants: ${listed})` };
  }

  /** 4. B's publish into A's topic closes B's connection, and A receives nothing. */
  async foreignPublish(): Promise<CheckVerdict> {
    const missing = this.#needsA();
    if (missing !== undefined || this.#topic === undefined || this.#a === undefined) return { ok: false, detail: missing ?? '' };
    const userB = await this.#userB();
    if (typeof userB === 'string') return { ok: false, detail: userB };
    const topic = this.#topic.topic;
    const intruder = `${this.#context.runId}:foreign-publish`;
    const published = await userB.publish(topic, intruder, this.#step());
    // AWS IoT closes the connection; a PUBACK followed by a close is still a refusal of this message
    // only if A never receives it, which is checked below either way.
    const closed = published === 'closed' || (await userB.waitForClose(published === 'acked' ? QUIET_MS * 3 : this.#step()));
    // A marker of A's own: once it is back, anything B's publish delivered would have arrived too.
    const marker = await this.#ownRoundTrip(this.#a, topic, `${this.#context.runId}:after-foreign-publish`);
    await new Promise((resolve) => setTimeout(resolve, this.#context.deadline.bound(QUIET_MS)));
    const reached = this.#a.messages.some((message) => message.payload === intruder);
    if (reached) return { ok: false, isolation: true, detail: `ISOLATION FAILURE: B's PUBLISH into A's ${this.#show(topic)} reached A: B can write into A's private topics` };
    if (!closed) {
      // A never got it, so nothing crossed; but an endpoint that acknowledges it is not refusing as
      // AWS IoT refuses, and the check cannot tell where the message went.
      return {
        ok: false,
        detail: published === 'acked'
          ? `B's PUBLISH into A's ${this.#show(topic)} was acknowledged (PUBACK) and B stayed connected, though A did not receive it: AWS IoT closes the connection of an unauthorized publisher`
          : `B's PUBLISH into A's ${this.#show(topic)} was neither acknowledged nor answered by closing B's connection`,
      };
    }
    if (marker !== undefined) return { ok: false, detail: `B's publish was refused, but A could not confirm it received nothing: ${marker}` };
    return { ok: true, detail: `B's PUBLISH into A's ${this.#show(topic)} closed B's connection, and A received nothing` };
  }

  /**
   * 5. B's CONNECT with A's client ID is refused and A stays connected. AWS IoT's one CONNECT per
   * second per client ID is waited out first (it counts accepted CONNECTs only, so B's refused one
   * cannot push it back). After that a close or CONNACK 5 can only be the policy; a CONNACK 3 ("server
   * unavailable", the local gateway's answer to the limit) is retried, never taken as a pass.
   */
  async foreignClientId(): Promise<CheckVerdict> {
    const { a, b } = this.#context;
    const missing = this.#needsA();
    if (missing !== undefined || this.#a === undefined || this.#topic === undefined) return { ok: false, detail: missing ?? '' };
    if (!this.#a.open) return { ok: false, detail: "A's connection had already closed before this check" };
    let outcome: ConnectOutcome = await this.#connect(b, a.vended.clientId);
    for (let retry = 0; retry < THROTTLE_RETRIES && outcome.kind === 'refused' && outcome.returnCode === 3; retry++) {
      // The limit's answer, not the policy's: wait the window out again and ask once more.
      this.#context.pacer.accepted(a.vended.clientId);
      outcome = await this.#connect(b, a.vended.clientId);
    }
    if (outcome.kind === 'connected') {
      const dropped = await this.#a.waitForClose(this.#context.deadline.bound(2000));
      await outcome.connection.end();
      return {
        ok: false,
        isolation: true,
        detail: `ISOLATION FAILURE: B connected with A's client ID${dropped ? ', and A was disconnected (taken over)' : ''}: any user can knock another off`,
      };
    }
    if (outcome.kind === 'refused' && outcome.returnCode === 3) {
      return { ok: false, detail: `inconclusive: B's CONNECT with A's client ID was answered ${connackName(3)} ${THROTTLE_RETRIES + 1} times, which is the connect-rate limit's answer, not the policy's` };
    }
    if (outcome.kind === 'closed' && outcome.handshakeStatus !== undefined) {
      return { ok: false, detail: `inconclusive: B's URL itself was refused at the handshake (HTTP ${outcome.handshakeStatus}), before any CONNECT${Date.now() > Date.parse(b.vended.expiresAt) ? ': it expired during the run' : ''}` };
    }
    const how = outcome.kind === 'refused' ? `with ${connackName(outcome.returnCode)}` : `by closing the connection without CONNACK (${outcome.reason})`;
    if (!this.#a.open) return { ok: false, isolation: true, detail: `ISOLATION FAILURE: B's CONNECT with A's client ID was refused ${how}, but A was disconnected` };
    const marker = await this.#ownRoundTrip(this.#a, this.#topic.topic, `${this.#context.runId}:after-foreign-client-id`);
    if (marker !== undefined || !this.#a.open) return { ok: false, detail: `B's CONNECT with A's client ID was refused ${how}, but A's connection did not stay usable: ${marker ?? 'it closed'}` };
    return { ok: true, detail: `B's CONNECT with A's client ID was refused ${how}, after the 1 CONNECT/s window; A stayed connected` };
  }

  /** Closes every connection the checks opened. */
  async close(): Promise<void> {
    await Promise.all([...this.#connections].map((connection) => connection.end().catch(() => undefined)));
    this.#connections.clear();
  }
}
