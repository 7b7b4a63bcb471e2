/**
 * `local/session-expiry.ts` on its own: `discardSession` against aedes' own in-memory persistence
 * (what the gateway's broker uses), and the `SessionExpiry` bookkeeping on a fake clock.
 */
import { Readable } from 'node:stream';
import { Aedes } from 'aedes';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { discardSession, SessionExpiry, type SessionStore, type StoredMessage } from '../../local/session-expiry.js';

/** The calls of aedes' persistence these tests use to fill a session (typed here, as aedes leaves it untyped). */
interface FillableStore extends SessionStore {
  addSubscriptions(client: { id: string }, subs: { topic: string; qos: number }[]): Promise<unknown>;
  subscriptionsByClient(client: { id: string }): Promise<unknown[]>;
  outgoingEnqueue(sub: { clientId: string }, packet: object): Promise<unknown>;
  outgoingUpdate(client: { id: string }, packet: object): Promise<unknown>;
  incomingStorePacket(client: { id: string }, packet: object): Promise<unknown>;
  incomingGetPacket(client: { id: string }, packet: object): Promise<unknown>;
}

async function queued(store: SessionStore, id: string): Promise<StoredMessage[]> {
  const messages: StoredMessage[] = [];
  for await (const message of store.outgoingStream({ id }) as AsyncIterable<StoredMessage>) messages.push(message);
  return messages;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('discardSession', () => {
  it("empties one client's subscriptions, queue (sent and unsent messages) and inbound QoS 2 state in aedes' persistence, and nobody else's", async () => {
    const broker = new Aedes();
    await broker.listen();
    try {
      const store = (broker as unknown as { persistence: FillableStore }).persistence;
      const packet = (topic: string, payload: string, brokerCounter: number): object => ({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false, brokerId: broker.id, brokerCounter });
      for (const id of ['gone', 'kept']) {
        await store.addSubscriptions({ id }, [{ topic: `lab/${id}/#`, qos: 1 }, { topic: `lab/${id}/zero`, qos: 0 }]);
        for (let counter = 1; counter <= 3; counter++) await store.outgoingEnqueue({ clientId: id }, packet(`lab/${id}/x`, `${id} ${counter}`, counter));
        await store.incomingStorePacket({ id }, { ...packet(`lab/${id}/in`, 'qos 2', 9), qos: 2, messageId: 7 });
      }
      // One message of each queue was sent and awaits its PUBACK: it carries a message id.
      await store.outgoingUpdate({ id: 'gone' }, { ...packet('lab/gone/x', 'gone 2', 2), messageId: 42 });

      expect(await discardSession(store, 'gone')).toBe(3);

      expect(await store.subscriptionsByClient({ id: 'gone' })).toEqual([]);
      expect(await queued(store, 'gone')).toEqual([]);
      await expect(store.incomingGetPacket({ id: 'gone' }, { messageId: 7 })).rejects.toThrow('no such packet');
      expect(await store.subscriptionsByClient({ id: 'kept' })).toHaveLength(2);
      expect(await queued(store, 'kept')).toHaveLength(3);
      await expect(store.incomingGetPacket({ id: 'kept' }, { messageId: 7 })).resolves.toMatchObject({ messageId: 7 });
    } finally {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    }
  });
});

/** A store whose discard takes as long as the test wants. */
function slowStore(): { store: SessionStore; finish: () => void; discarded: string[] } {
  let finish: () => void = () => undefined;
  const discarded: string[] = [];
  const store: SessionStore = {
    cleanSubscriptions: async ({ id }) => {
      await new Promise<void>((resolve) => (finish = resolve));
      discarded.push(id);
    },
    outgoingStream: () => Readable.from([]),
    outgoingClearMessageId: async () => undefined,
  };
  return { store, finish: () => finish(), discarded };
}

function expiryWith(store: SessionStore, expiryMs = 1_000): { expiry: SessionExpiry; expired: string[]; errors: unknown[] } {
  const expired: string[] = [];
  const errors: unknown[] = [];
  const expiry = new SessionExpiry({ expiryMs, store: () => store, onExpired: (clientId) => expired.push(clientId), onError: (_clientId, error) => errors.push(error) });
  return { expiry, expired, errors };
}

const emptyStore: SessionStore = {
  cleanSubscriptions: async () => undefined,
  outgoingStream: () => {
    throw new Error('outgoingStream failed');
  },
  outgoingClearMessageId: async () => undefined,
};

describe('SessionExpiry', () => {
  it('starts a timer when the last persistent connection closes; none for a clean one or while another holds the client ID', () => {
    vi.useFakeTimers();
    const { expiry } = expiryWith(emptyStore);
    expiry.connected('a');
    expiry.disconnected('a', true);
    expect(expiry.isPending('a')).toBe(false);

    expiry.connected('b');
    expiry.connected('b'); // a takeover: the new connection is accepted before the old one closes
    expiry.disconnected('b', false);
    expect(expiry.isPending('b')).toBe(false);
    expiry.disconnected('b', false);
    expect(expiry.isPending('b')).toBe(true);
    expect(expiry.pending).toBe(1);

    expect(expiry.connected('b')).toBeUndefined();
    expect(expiry.isPending('b')).toBe(false);
  });

  it('makes a CONNECT that arrives while the session is being discarded wait until it is gone', async () => {
    vi.useFakeTimers();
    const { store, finish, discarded } = slowStore();
    const { expiry, expired } = expiryWith(store);
    expiry.connected('c');
    expiry.disconnected('c', false);
    vi.advanceTimersByTime(1_000);
    expect(expiry.isPending('c')).toBe(false);

    const waiting = expiry.connected('c');
    expect(waiting).toBeInstanceOf(Promise);
    let proceeded = false;
    void waiting?.then(() => (proceeded = true));
    await Promise.resolve();
    expect(proceeded).toBe(false);
    finish();
    await waiting;
    expect(proceeded).toBe(true);
    expect(discarded).toEqual(['c']);
    expect(expired).toEqual(['c']);
  });

  it('reports a discard that fails, and lets the CONNECT waiting on it go ahead', async () => {
    vi.useFakeTimers();
    const { expiry, expired, errors } = expiryWith(emptyStore);
    expiry.connected('d');
    expiry.disconnected('d', false);
    vi.advanceTimersByTime(1_000);
    await expiry.connected('d');
    expect(expired).toEqual([]);
    expect(errors).toEqual([new Error('outgoingStream failed')]);
  });

  it('clears every timer on close and starts none after', () => {
    vi.useFakeTimers();
    const { expiry, expired } = expiryWith(emptyStore);
    expiry.connected('e');
    expiry.connected('f');
    expiry.disconnected('e', false);
    expect(expiry.pending).toBe(1);
    expiry.close();
    expect(expiry.pending).toBe(0);
    expiry.disconnected('f', false);
    expect(expiry.pending).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(expired).toEqual([]);
  });
});
