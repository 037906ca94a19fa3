/**
 * The websocket upgrade routes of e2rx's HTTP server: an upgrade request is routed on its decoded path, as HTTP
 * requests are; an upgrade to anything but a websocket (`h2c`…) is served as the HTTP/1.1 request it also is.
 *
 * @module
 */
import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import findMyWay from 'find-my-way';
import { requestPath } from './access-log.js';
import { rawJsonAnswer } from './client-error.js';
import { isPlainTarget, readTarget } from './request-target.js';

/** Handles a websocket upgrade request for a route. */
export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer, params: Readonly<Record<string, string | undefined>>) => void;

/** A server's upgrade routes. */
export interface UpgradeRoutes {
  /** Adds a websocket upgrade route (GET with `Upgrade: websocket`). */
  readonly add: (path: string, handler: UpgradeHandler) => void;
  /** Removes a websocket upgrade route. */
  readonly remove: (path: string) => void;
  /** Serves one upgrade request (what the server's `upgrade` event hands over). */
  readonly handle: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

/**
 * Creates the upgrade routes of a server; `http` gives the server that serves, as HTTP/1.1, an upgrade that is not
 * a websocket (the listener's owner, on a hot-reloaded server).
 *
 * @example
 * ```ts
 * const upgrades = createUpgradeRoutes(() => server);
 * upgrades.add('/chat', (request, socket, head) => accept(request, socket, head));
 * server.on('upgrade', upgrades.handle);
 * ```
 */
export function createUpgradeRoutes(http: () => EventEmitter): UpgradeRoutes {
  const router = findMyWay();
  const handlers = new Map<string, UpgradeHandler>();
  const handle = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (!isWebSocketUpgrade(request)) {
      // Node.js hands every upgrade request here once there is an upgrade listener, `Upgrade: h2c` included (curl
      // --http2, Java's HttpClient on http:// URLs). A server may ignore an upgrade it does not speak (RFC 9110 §7.8):
      // the request goes back to the HTTP server on the same connection, without its upgrade headers, and is served
      // as HTTP/1.1 (its body is still in the socket).
      if (head.length > 0) socket.unshift(head);
      socket.unshift(withoutUpgrade(request));
      http().emit('connection', socket);
      return;
    }
    // Routed on the decoded path, as HTTP requests are.
    const url = request.url ?? '/';
    const target = isPlainTarget(url) ? requestPath(url) : readTarget(url);
    if (typeof target !== 'string' && 'invalid' in target) {
      socket.end(rawJsonAnswer(400, `bad request: ${target.invalid}`));
      return;
    }
    const found = router.find('GET', typeof target === 'string' ? target : target.routable);
    const handler = found ? handlers.get(found.store as string) : undefined;
    if (!found || !handler) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    handler(request, socket, head, found.params);
  };
  return {
    handle,
    add: (path, handler) => {
      handlers.set(path, handler);
      router.on('GET', path, () => undefined, path);
    },
    remove: (path) => {
      handlers.delete(path);
      router.off('GET', path);
    },
  };
}

/** Whether an upgrade request asks for a websocket. */
function isWebSocketUpgrade(request: IncomingMessage): boolean {
  return (request.headers.upgrade ?? '').split(',').some((token) => token.trim().toLowerCase() === 'websocket');
}

/** The head of an upgrade request as it came, less its upgrade: no `Upgrade` nor `HTTP2-Settings`, no `upgrade` token in `Connection`. */
function withoutUpgrade(request: IncomingMessage): Buffer {
  const lines = [`${request.method ?? 'GET'} ${request.url ?? '/'} HTTP/${request.httpVersion}`];
  const raw = request.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    if (lower === 'upgrade' || lower === 'http2-settings') continue;
    if (lower === 'connection') {
      const kept = value
        .split(',')
        .map((token) => token.trim())
        .filter((token) => token !== '' && !['upgrade', 'http2-settings'].includes(token.toLowerCase()));
      if (kept.length > 0) lines.push(`${name}: ${kept.join(', ')}`);
      continue;
    }
    lines.push(`${name}: ${value}`);
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}
