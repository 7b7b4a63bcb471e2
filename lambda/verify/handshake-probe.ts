/**
 * A bare WebSocket handshake (`GET /mqtt` with `Upgrade: websocket`), to learn what AWS IoT answers a
 * URL before any MQTT is spoken: 101 when it accepts the signature, 403 when it refuses it. No
 * CONNECT is ever sent, so an accepted handshake takes over nobody's client ID.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** The handshake's HTTP status (101 accepted), or `undefined` when no answer came in time. */
export async function handshakeStatus(url: string, ms: number): Promise<number | undefined> {
  const target = new URL(url);
  const secure = target.protocol === 'wss:';
  const request = (secure ? httpsRequest : httpRequest)(
    {
      protocol: secure ? 'https:' : 'http:',
      hostname: target.hostname.replace(/^\[|\]$/g, ''),
      port: target.port === '' ? (secure ? 443 : 80) : Number(target.port),
      path: `${target.pathname}${target.search}`,
      method: 'GET',
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        'sec-websocket-protocol': 'mqtt',
      },
      timeout: ms,
    },
  );
  return new Promise<number | undefined>((resolve) => {
    let settled = false;
    const settle = (status: number | undefined): void => {
      if (settled) return;
      settled = true;
      resolve(status);
    };
    request.once('upgrade', (_response, socket) => {
      socket.destroy();
      settle(101);
    });
    request.once('response', (response) => {
      response.resume();
      settle(response.statusCode);
      request.destroy();
    });
    request.once('timeout', () => {
      request.destroy();
      settle(undefined);
    });
    request.once('error', () => settle(undefined));
    request.end();
  });
}
