/**
 * The few HTTP helpers the local stack's handlers share: bounded body reading and JSON/text replies.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** The request body exceeded the limit given to {@link readBody}. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/**
 * Reads a whole request body, refusing more than `limitBytes` so a local endpoint cannot be made to
 * buffer without bound. The raw bytes, because a SigV4 verifier hashes exactly what was sent;
 * decode text with `.toString('utf8')`.
 * @throws BodyTooLargeError when the body is larger than `limitBytes`
 */
export async function readBody(request: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limitBytes) throw new BodyTooLargeError(`request body larger than ${limitBytes} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Sends a JSON reply with an explicit content length. */
export function sendJson(response: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', ...headers, 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** Sends a plain-text (or other typed) reply with an explicit content length. */
export function sendText(response: ServerResponse, status: number, text: string, headers: OutgoingHttpHeaders = {}): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers, 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** The request path without its query string: the only part of a URL the local stack ever logs. */
export function pathOf(request: IncomingMessage): string {
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
