/**
 * A plain MQTT-over-WebSocket broker on 127.0.0.1 (aedes behind `ws`) for the client's Node tests.
 * It records the request URL of every handshake so tests can tell which vended URL a (re)connect
 * used, and can refuse chosen URLs at the handshake as AWS IoT refuses an expired one (HTTP 403).
 * It checks no signature: the real gateway is the local stack's job.
 */
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';

/** One WebSocket handshake the broker saw. */
export interface Handshake {
  /** The request target, `/mqtt?…`. */
  readonly url: string;
  /** Whether it was refused with 403. */
  readonly refused: boolean;
}

/** The broker; `start()` it in beforeAll and `stop()` it in afterAll. */
export class TestWsBroker {
  /** Every handshake seen since the last {@link TestWsBroker.reset}. */
  readonly handshakes: Handshake[] = [];
  /** Every accepted CONNECT since the last reset: its client ID and clean-session flag. */
  readonly connects: Array<{ readonly clientId: string; readonly clean: boolean }> = [];
  readonly #refusedSignatures = new Set<string>();
  #aedes: Aedes | undefined;
  #wss: WebSocketServer | undefined;
  #port = 0;

  /** The `ws://127.0.0.1:<port>` host part for vended URLs. */
  get host(): string {
    return `127.0.0.1:${this.#port}`;
  }

  /** Refuse handshakes whose `X-Amz-Signature` is `signature`. */
  refuse(signature: string): void {
    this.#refusedSignatures.add(signature);
  }

  /** Forgets the handshakes seen and the signatures to refuse. */
  reset(): void {
    this.handshakes.length = 0;
    this.connects.length = 0;
    this.#refusedSignatures.clear();
  }

  /** Signatures of the handshakes seen, in order. */
  signatures(): Array<string | null> {
    return this.handshakes.map((h) => new URL(h.url, 'ws://x').searchParams.get('X-Amz-Signature'));
  }

  /** Starts aedes and the WebSocket server on 127.0.0.1, on a free port. */
  async start(): Promise<void> {
    const aedes = await Aedes.createBroker();
    this.#aedes = aedes;
    aedes.on('client', (client) => this.connects.push({ clientId: client.id, clean: client.clean }));
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      path: '/mqtt',
      verifyClient: (info, done) => {
        const url = info.req.url ?? '';
        const signature = new URL(url, 'ws://x').searchParams.get('X-Amz-Signature') ?? '';
        const refused = this.#refusedSignatures.has(signature);
        this.handshakes.push({ url, refused });
        done(!refused, 403, 'Forbidden');
      },
    });
    this.#wss = wss;
    wss.on('connection', (socket, request) => {
      aedes.handle(createWebSocketStream(socket), request);
    });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    this.#port = (wss.address() as AddressInfo).port;
  }

  /** Drops every open connection, as a network failure would. */
  dropAll(): void {
    for (const client of this.#wss?.clients ?? []) client.terminate();
  }

  /** Closes every connection, the WebSocket server and aedes. */
  async stop(): Promise<void> {
    for (const client of this.#wss?.clients ?? []) client.terminate();
    await new Promise<void>((resolve) => (this.#wss ? this.#wss.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (this.#aedes ? this.#aedes.close(() => resolve()) : resolve()));
  }
}
