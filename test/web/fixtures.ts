/**
 * Test doubles for the browser client: vending answers shaped like the real API's and a recording
 * fake `fetch`. Only the transport is faked; every module under test runs unchanged.
 */
import type { FetchLike, VendedMqttUrl } from '../../web/types.js';

/** `Date` → SigV4 `X-Amz-Date` (`YYYYMMDDTHHMMSSZ`). */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * A vending answer signed at `signedAt` (server clock) and valid for `ttlSeconds`. `serial` ends up
 * in the URL so tests can tell URLs apart.
 */
export function vendedBody(options: {
  readonly signedAt: Date;
  readonly ttlSeconds?: number;
  readonly serial?: number;
  readonly host?: string;
  readonly clientId?: string;
}): VendedMqttUrl {
  const ttl = options.ttlSeconds ?? 300;
  const host = options.host ?? 'abc-ats.iot.eu-west-1.amazonaws.com';
  const scheme = host.startsWith('127.0.0.1') ? 'ws' : 'wss';
  const query = new URLSearchParams({
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': 'ASIAEXAMPLE/20240101/eu-west-1/iotdevicegateway/aws4_request',
    'X-Amz-Date': amzDate(options.signedAt),
    'X-Amz-Expires': String(ttl),
    'X-Amz-SignedHeaders': 'host',
    'X-Amz-Signature': `sig${options.serial ?? 1}`,
  });
  return {
    url: `${scheme}://${host}/mqtt?${query.toString()}`,
    clientId: options.clientId ?? 'user-1',
    principalId: 'user-1',
    expiresAt: new Date(options.signedAt.getTime() + ttl * 1000).toISOString(),
    endpoint: host,
    region: 'eu-west-1',
    topics: { publish: ['users/user-1/*'], subscribe: ['users/user-1/*'] },
  };
}

/** A JSON `Response` like API Gateway's. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers },
  });
}

/** One recorded call to {@link FakeFetch}. */
export interface RecordedRequest {
  readonly url: string;
  readonly authorization: string | null;
  readonly init: RequestInit;
}

/** A scripted `fetch`: answers with the queued responders in order and records every call. */
export class FakeFetch {
  /** Every call, in order. */
  readonly requests: RecordedRequest[] = [];
  readonly #responders: Array<(request: RecordedRequest) => Response | Promise<Response>> = [];
  #fallback: ((request: RecordedRequest) => Response | Promise<Response>) | undefined;

  /** Queues the answer to the next call. */
  next(responder: (request: RecordedRequest) => Response | Promise<Response>): this {
    this.#responders.push(responder);
    return this;
  }

  /** Answers every call beyond the queue. */
  otherwise(responder: (request: RecordedRequest) => Response | Promise<Response>): this {
    this.#fallback = responder;
    return this;
  }

  /** The function to pass as `fetch`. An already aborted signal rejects like the real one. */
  readonly fetch: FetchLike = async (input, init) => {
    const request: RecordedRequest = { url: input, authorization: new Headers(init.headers).get('Authorization'), init };
    this.requests.push(request);
    const responder = this.#responders.shift() ?? this.#fallback;
    if (!responder) throw new Error(`FakeFetch: unexpected request #${this.requests.length}`);
    if (init.signal?.aborted) throw new DOMException('aborted', 'AbortError');
    return responder(request);
  };
}
