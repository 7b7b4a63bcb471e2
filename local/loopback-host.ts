/**
 * The dev server's Host check. A page on any site can make the browser send requests to
 * 127.0.0.1 through DNS rebinding (a name of that site that first resolves elsewhere, then to
 * 127.0.0.1), but the browser then sends that site's name as `Host`. Answering only requests whose
 * `Host` is one of the server's own loopback names closes that door; others get 421 Misdirected
 * Request (RFC 9110, section 15.5.20), HTTP and WebSocket upgrades alike.
 */

/** The `Host` values the server on `port` answers: `127.0.0.1:<port>`, `localhost:<port>`, `[::1]:<port>`. */
export function loopbackHosts(port: number): readonly string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
}

/** Whether a request's `Host` header names this server (case-insensitively, port included). */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  return host !== undefined && loopbackHosts(port).includes(host.toLowerCase());
}

/** The refusal's body: which hosts are answered (the rejected name is not echoed). */
export function misdirectedMessage(port: number): string {
  return `Misdirected request: this local stack answers only for Host ${loopbackHosts(port).join(', ')}.\n`;
}
