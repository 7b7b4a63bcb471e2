/**
 * Tells a client-ID takeover ping-pong from the closes that look like it. Pure: it is fed what the
 * client saw, with times, and answers whether the pattern is there; `takeover-watch.ts` feeds it from
 * mqtt.js's events.
 *
 * When two connections use one client ID, AWS IoT disconnects the older one each time the other
 * connects ("When a client connects to the message broker using a client ID that another client is
 * using, the new client connection is accepted and the previously connected client is disconnected":
 * https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html#mqtt-differences; the lifecycle
 * event says DUPLICATE_CLIENTID), and on MQTT 3.1.1 the kicked client is told nothing. Both sides reconnect, each kicking the other:
 * an endless loop (aws-iot-device-sdk-js #323, MQTT.js #684). What each side can observe is:
 *
 * - a *kick*: a connection that got CONNACK 0 and was closed soon after (within
 *   {@link SHORT_LIVED_MS}), with nothing of its own that could explain the close;
 * - a refusal by AWS IoT's one-CONNECT-per-second-per-client-ID limit, when this client's own last
 *   CONNECT is older than that second: CONNACK 3 "server
 *   unavailable" (what the local stack answers; AWS documents only that such CONNECTs are throttled,
 *   metric `Connect.ClientIDThrottle`, and refuses or drops them): somebody else connected with this
 *   ID within the last second.
 *
 * What looks alike and must NOT count, because the network or the client's own traffic explains it:
 * - AWS IoT closes a connection after a PUBLISH it refuses (and after a SUBSCRIBE that breaks a
 *   broker limit): a close while a QoS 1 PUBLISH, a SUBSCRIBE or an UNSUBSCRIBE awaits its
 *   acknowledgement, or within {@link OWN_QOS0_PUBLISH_WINDOW_MS} of a QoS 0 PUBLISH, is the
 *   client's own doing;
 * - a lost network: a keepalive timeout, the browser being offline, or an attempt that gets no
 *   CONNACK at all (the endpoint cannot be reached, or refuses the handshake) all reset the count;
 * - a connection that lived longer than {@link SHORT_LIVED_MS} before it closed resets it too.
 *
 * What it cannot tell apart: a network that cuts every new connection within seconds while the next
 * attempt always gets through. Real losses make attempts fail while they last, which resets the
 * count; the docs name the limit.
 *
 * {@link KICKS_BEFORE_CONFLICT} kicks in a row make a conflict. The side that reaches it first stops
 * (the other one has just connected and is not kicked again), so one side stays up: with both sides
 * reconnecting at the same pace, the loop ends after three kicks of each at most, six to seven
 * CONNECTs in all.
 *
 * The invariant: a verdict needs {@link KICKS_BEFORE_CONFLICT} consecutive short-lived connections
 * (or connect-rate refusals), with no network sign and no own-traffic excuse among them.
 */

/**
 * A connection closed this soon after its CONNACK counts as kicked. A takeover kicks a connection
 * about one reconnect wait (1 s by default, plus up to 2 s of jitter, plus a vend) after it was
 * made; 10 s leaves room for a slow vend while staying far below any real connection's life.
 */
export const SHORT_LIVED_MS = 10_000;
/** Kicks in a row that make a conflict: two could be chance (a flaky proxy), three in a row are not. */
export const KICKS_BEFORE_CONFLICT = 3;
/**
 * A close this soon after a QoS 0 PUBLISH may be AWS IoT refusing it (no PUBACK says so on QoS 0):
 * about a round trip on a slow mobile link.
 */
export const OWN_QOS0_PUBLISH_WINDOW_MS = 1_000;
/**
 * An acknowledgement still awaited after this long is not what the close answers (AWS IoT refuses
 * at once); it does not excuse the close.
 */
export const OWN_PENDING_ACK_WINDOW_MS = 5_000;
/**
 * A connect-rate refusal this soon after this client's own last CONNACK may be its own doing (it
 * reconnected within the second AWS IoT allows per client ID); it then neither counts nor resets.
 * One second plus a round trip.
 */
export const OWN_CONNECT_RATE_WINDOW_MS = 1_500;
/** MQTT 3.1.1 CONNACK return code 3, "server unavailable": the local stack's connect-rate refusal. */
export const CONNACK_SERVER_UNAVAILABLE = 3;

/** How a close came about, as far as the client can tell. */
export interface CloseFacts {
  /** mqtt.js reported a keepalive timeout (no PINGRESP): the network, not the broker. */
  readonly keepaliveTimedOut?: boolean;
  /** The browser said it was offline (`navigator.onLine === false`). */
  readonly offline?: boolean;
}

/** What the detector concluded from the latest event. */
export type TakeoverVerdict = 'none' | 'conflict';

/** Consecutive-kick counter with the excuses above. Feed it events in time order. */
export class TakeoverDetector {
  #kicks = 0;
  #connackAt: number | undefined;
  #lastConnackAt = Number.NEGATIVE_INFINITY;
  /** The current attempt was refused by the connect-rate limit (already counted). */
  #rateRefused = false;
  #lastQos0PublishAt = Number.NEGATIVE_INFINITY;
  /** Message IDs of QoS 1 PUBLISH, SUBSCRIBE and UNSUBSCRIBE packets awaiting their ack, with send time. */
  readonly #pending = new Map<number, number>();

  /** Kicks counted in the current streak. */
  get kicks(): number {
    return this.#kicks;
  }

  /** The connection got CONNACK 0 at `at`. */
  connected(at: number): void {
    this.#connackAt = at;
    this.#lastConnackAt = at;
    this.#pending.clear();
    this.#lastQos0PublishAt = Number.NEGATIVE_INFINITY;
  }

  /**
   * The client sent a packet. `messageId` is set for packets that await an acknowledgement (QoS 1
   * PUBLISH, SUBSCRIBE, UNSUBSCRIBE).
   */
  sent(cmd: string, at: number, messageId?: number, qos?: number): void {
    if (cmd === 'publish' && (qos ?? 0) === 0) {
      this.#lastQos0PublishAt = at;
      return;
    }
    if ((cmd === 'publish' || cmd === 'subscribe' || cmd === 'unsubscribe') && messageId !== undefined) this.#pending.set(messageId, at);
  }

  /** An acknowledgement (PUBACK, SUBACK, UNSUBACK) arrived for `messageId`. */
  acknowledged(messageId: number): void {
    this.#pending.delete(messageId);
  }

  /**
   * The connection (or the attempt) closed at `at`.
   * @returns `conflict` when this close completes the pattern
   */
  closed(at: number, facts: CloseFacts = {}): TakeoverVerdict {
    const connackAt = this.#connackAt;
    this.#connackAt = undefined;
    const rateRefused = this.#rateRefused;
    this.#rateRefused = false;
    if (connackAt === undefined) {
      // An attempt without CONNACK 0. A connect-rate refusal was counted by refused(); anything else
      // (the endpoint unreachable, the handshake refused) is the network or the credentials.
      if (!rateRefused) this.#kicks = 0;
      return 'none';
    }
    if (facts.keepaliveTimedOut === true || facts.offline === true || at - connackAt >= SHORT_LIVED_MS || this.#ownTrafficExplains(at)) {
      this.#kicks = 0;
      return 'none';
    }
    return this.#count();
  }

  /**
   * A CONNACK refused the attempt with `returnCode` at `at`. Code 3 is the connect-rate refusal:
   * somebody connected with this ID less than a second ago. It counts as a kick, unless this client
   * itself connected that recently ({@link OWN_CONNECT_RATE_WINDOW_MS}), which explains it. Any
   * other code is a failed attempt.
   */
  refused(returnCode: number, at: number): TakeoverVerdict {
    this.#connackAt = undefined;
    if (returnCode !== CONNACK_SERVER_UNAVAILABLE) {
      this.#kicks = 0;
      return 'none';
    }
    this.#rateRefused = true;
    if (at - this.#lastConnackAt < OWN_CONNECT_RATE_WINDOW_MS) return 'none';
    return this.#count();
  }

  #count(): TakeoverVerdict {
    this.#kicks += 1;
    return this.#kicks >= KICKS_BEFORE_CONFLICT ? 'conflict' : 'none';
  }

  #ownTrafficExplains(at: number): boolean {
    if (at - this.#lastQos0PublishAt <= OWN_QOS0_PUBLISH_WINDOW_MS) return true;
    for (const sentAt of this.#pending.values()) if (at - sentAt <= OWN_PENDING_ACK_WINDOW_MS) return true;
    return false;
  }
}
