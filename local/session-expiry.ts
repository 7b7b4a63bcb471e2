/**
 * AWS IoT's persistent session expiry (`PERSISTENT_SESSION_EXPIRY_SECONDS` in `broker-limits.ts` has
 * the sources) for a broker that never expires one: aedes keeps a `clean: false` client's
 * subscriptions and queued QoS 1 messages until the process ends.
 *
 * {@link SessionExpiry} counts, per client ID, the open connections whose CONNECT the gateway
 * accepted. When the last one closes and it had connected with `clean: false`, a timer starts; an
 * accepted CONNECT for that client ID stops it; if it fires, the session is discarded from the
 * broker's persistence ({@link discardSession}) so the next `clean: false` CONNECT gets CONNACK session
 * present 0 and nothing queued, as on AWS. The timers run on the real clock (unref'd, so they never
 * keep a process alive), like the maximum connection duration.
 */
import type { Readable } from 'node:stream';

/** A queued or unacknowledged outgoing message, as the broker's persistence stores it. */
export interface StoredMessage {
  /** Set once the message was sent (and awaits its PUBACK); absent while it only waits in the queue. */
  readonly messageId?: number | undefined;
}

/**
 * The part of an aedes persistence (`aedes-persistence`'s interface) that holds a client's session:
 * its subscriptions, its outgoing queue and its unfinished inbound QoS 2 exchanges.
 */
export interface SessionStore {
  /** Forgets the client's subscriptions (so no publish is queued for it any more). */
  cleanSubscriptions(client: { readonly id: string }): Promise<unknown>;
  /** The client's queued and unacknowledged outgoing messages, oldest first. */
  outgoingStream(client: { readonly id: string }): Readable;
  /** Removes the first message of the client's queue with the packet's message id (or with none). */
  outgoingClearMessageId(client: { readonly id: string }, packet: StoredMessage): Promise<unknown>;
  /**
   * Forgets the client's unfinished inbound QoS 2 exchanges. Absent from persistences older than
   * aedes' own use of it, hence optional (aedes checks too).
   */
  cleanIncoming?: ((client: { readonly id: string }) => Promise<unknown>) | undefined;
}

/**
 * Discards a client's session from the broker's persistence, as aedes does on a `clean: true`
 * CONNECT (`lib/handlers/connect.js`: `cleanSubscriptions`, `cleanIncoming`, then each message of the
 * outgoing queue cleared). Call it only while no connection uses the client ID.
 * @returns how many queued or unacknowledged messages were dropped
 */
export async function discardSession(store: SessionStore, clientId: string): Promise<number> {
  const client = { id: clientId };
  // Subscriptions first: once they are gone, no new publish is queued for this client.
  await store.cleanSubscriptions(client);
  await store.cleanIncoming?.(client);
  const queued: StoredMessage[] = [];
  for await (const message of store.outgoingStream(client) as AsyncIterable<StoredMessage>) queued.push(message);
  // The persistence can only clear by message id; a message never sent has none, and clearing
  // `undefined` removes the first such message, so one call per queued message empties the queue.
  for (const message of queued) await store.outgoingClearMessageId(client, message);
  return queued.length;
}

/** Options of {@link SessionExpiry}. */
export interface SessionExpiryOptions {
  /** How long a disconnected persistent session lives, in milliseconds. */
  readonly expiryMs: number;
  /** The broker's persistence (read when a session expires, so it may be set up after this). */
  readonly store: () => SessionStore;
  /** Told once a session has been discarded, with how many messages it held. */
  readonly onExpired: (clientId: string, droppedMessages: number) => void;
  /** Told when a session could not be discarded (the persistence failed). */
  readonly onError: (clientId: string, error: unknown) => void;
}

/** Expires persistent sessions that nobody resumed in time. */
export class SessionExpiry {
  readonly #options: SessionExpiryOptions;
  /** Per client ID, the open connections whose CONNECT was accepted (a takeover briefly makes two). */
  readonly #holders = new Map<string, number>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #discarding = new Map<string, Promise<void>>();
  #closed = false;

  /** @param options the expiry period, the broker's persistence and where to report expiries */
  constructor(options: SessionExpiryOptions) {
    this.#options = options;
  }

  /** How many disconnected persistent sessions are waiting to expire. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Whether `clientId`'s session is disconnected and waiting to expire. */
  isPending(clientId: string): boolean {
    return this.#timers.has(clientId);
  }

  /**
   * A CONNECT for `clientId` was accepted: its session, if any, is in use again and does not expire.
   * @returns a promise to wait for before letting the CONNECT proceed when the session is being
   *   discarded right now (the client must find it gone, not half gone), else `undefined`
   */
  connected(clientId: string): Promise<void> | undefined {
    this.#holders.set(clientId, (this.#holders.get(clientId) ?? 0) + 1);
    this.#cancel(clientId);
    return this.#discarding.get(clientId);
  }

  /**
   * A connection whose CONNECT was accepted has closed.
   * @param clean whether it had connected with a clean session (then aedes keeps nothing to expire)
   */
  disconnected(clientId: string, clean: boolean): void {
    const holders = (this.#holders.get(clientId) ?? 1) - 1;
    if (holders > 0) {
      this.#holders.set(clientId, holders);
      return;
    }
    this.#holders.delete(clientId);
    // After a takeover the last connection to close decides: a clean one has already wiped the session.
    if (clean || this.#closed) return;
    this.#cancel(clientId);
    const timer = setTimeout(() => this.#expire(clientId), this.#options.expiryMs);
    timer.unref();
    this.#timers.set(clientId, timer);
  }

  /** Stops every timer; sessions are kept as they are (the broker is closing). Safe to call twice. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #cancel(clientId: string): void {
    const timer = this.#timers.get(clientId);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#timers.delete(clientId);
  }

  #expire(clientId: string): void {
    this.#timers.delete(clientId);
    if (this.#closed || this.#holders.has(clientId)) return;
    const discarding = this.#discard(clientId);
    this.#discarding.set(clientId, discarding);
    void discarding.finally(() => {
      if (this.#discarding.get(clientId) === discarding) this.#discarding.delete(clientId);
    });
  }

  /** Never rejects: a CONNECT waiting on it must go ahead either way. */
  async #discard(clientId: string): Promise<void> {
    let dropped: number;
    try {
      dropped = await discardSession(this.#options.store(), clientId);
    } catch (error) {
      this.#options.onError(clientId, error);
      return;
    }
    this.#options.onExpired(clientId, dropped);
  }
}
