/**
 * Helpers shared by the local-stack tests: MQTT clients that record what they receive, raw
 * WebSocket handshakes that report the HTTP refusal, and event waits (no sleeps).
 */
import mqtt, { ErrorWithSubackPacket, type IClientOptions, type MqttClient } from 'mqtt';
import WebSocket from 'ws';

/** An mqtt.js client plus everything it received and every error it saw. */
export interface RecordingClient {
  readonly client: MqttClient;
  readonly messages: { topic: string; payload: string }[];
  readonly errors: Error[];
  /** The CONNACK's session present flag: whether the broker resumed a persistent session. */
  readonly sessionPresent: boolean;
}

/**
 * Connects with mqtt.js (MQTT 3.1.1, no reconnects unless asked) and records messages and errors.
 * Rejects on a CONNACK refusal (the error carries `code`) and also when the connection closes
 * before CONNACK, which is how mqtt.js reports a refused WebSocket handshake (connectAsync would
 * wait forever there).
 */
export async function connectRecording(url: string, clientId: string, options: IClientOptions = {}): Promise<RecordingClient> {
  const messages: { topic: string; payload: string }[] = [];
  const errors: Error[] = [];
  const client = mqtt.connect(url, { clientId, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...options });
  client.on('message', (topic, payload) => messages.push({ topic, payload: payload.toString('utf8') }));
  let sessionPresent = false;
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', (connack) => {
        sessionPresent = connack.sessionPresent;
        resolve();
      });
      client.once('error', reject);
      if (options.reconnectPeriod === undefined || options.reconnectPeriod === 0) {
        client.once('close', () => reject(new Error('the connection closed before CONNACK (handshake refused?)')));
      }
    });
  } catch (error) {
    client.end(true);
    throw error;
  }
  client.on('error', (error) => errors.push(error));
  return { client, messages, errors, sessionPresent };
}

/** Resolves with the first message on `topic` (already received, or arriving later). */
export async function nextMessage(recording: RecordingClient, topic: string): Promise<string> {
  const seen = recording.messages.find((message) => message.topic === topic);
  if (seen !== undefined) return seen.payload;
  return new Promise((resolve) => {
    const onMessage = (arrived: string, payload: Buffer): void => {
      if (arrived !== topic) return;
      recording.client.off('message', onMessage);
      resolve(payload.toString('utf8'));
    };
    recording.client.on('message', onMessage);
  });
}

/**
 * Resolves with the payloads of the first `count` messages on `topic` (counting those already
 * received), for feeds that keep publishing, such as the simulated device's.
 */
export async function messagesOn(recording: RecordingClient, topic: string, count: number): Promise<string[]> {
  const payloads = (): string[] => recording.messages.filter((message) => message.topic === topic).map((message) => message.payload);
  if (payloads().length >= count) return payloads().slice(0, count);
  return new Promise((resolve) => {
    const onMessage = (): void => {
      // The recording listener was attached first, so `messages` already holds this one.
      if (payloads().length < count) return;
      recording.client.off('message', onMessage);
      resolve(payloads().slice(0, count));
    };
    recording.client.on('message', onMessage);
  });
}

/**
 * Subscribes and returns the SUBACK's return code per filter (0..2 granted QoS, 128 refused).
 * mqtt.js rejects when any code is 128, with the SUBACK packet attached.
 */
export async function subscribeGranted(client: MqttClient, filters: string[]): Promise<number[]> {
  try {
    const granted = await client.subscribeAsync(filters, { qos: 0 });
    return granted.map((grant) => grant.qos);
  } catch (error) {
    if (error instanceof ErrorWithSubackPacket && Array.isArray(error.packet.granted)) return error.packet.granted.map(Number);
    throw error;
  }
}

/** Waits for the client's connection to close (resolves at once if it already has). */
export async function closed(client: MqttClient): Promise<void> {
  if (!client.connected) return;
  await new Promise<void>((resolve) => client.once('close', () => resolve()));
}

/** Ends a client without waiting on a peer that may be gone. */
export async function end(client: MqttClient): Promise<void> {
  await client.endAsync(true);
}

/** Attempts a WebSocket handshake and returns the HTTP status (101 on success) and the refusal body. */
export async function handshake(url: string): Promise<{ status: number; body: string }> {
  const socket = new WebSocket(url, 'mqtt');
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.terminate();
      resolve({ status: 101, body: '' });
    });
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        socket.terminate();
        resolve({ status: response.statusCode ?? 0, body });
      });
    });
    socket.once('error', reject);
  });
}
