/**
 * Websocket stream handlers (source `server`, spec §2.6): each connection is an Observable of its messages, handled
 * strictly in order; a reply is one text frame per message.
 *
 * @module
 */
import { Observable } from 'rxjs';
import { WebSocketServer, type WebSocket } from 'ws';
import { concatBytes, createRequest, ownBytes, type FunctionRequest } from '../runtime/request.js';
import type { HttpServer } from '../server/http-server.js';
import { sendJson } from '../server/http-server.js';
import { toRouterPath } from '../directive/index.js';

/** One message of a websocket connection, waiting to be run. */
export interface WebSocketJob {
  readonly request: FunctionRequest;
  readonly socket: WebSocket;
}

/**
 * One websocket connection: its messages, in order. `messages` completes when the client closes the connection, or
 * when the route's source is unsubscribed (the engine stops accepting work): then the consumer finishes the runs it
 * holds, sends their replies and calls {@link WebSocketConnection.close} (for instance in a `finalize`).
 */
export interface WebSocketConnection {
  readonly socket: WebSocket;
  readonly messages: Observable<WebSocketJob>;
  /** Closes the connection (default 1001 `server shutting down`) unless it is already closing or closed. */
  close(code?: number, reason?: string): void;
}

/** Options of {@link fromWebSocketRoute}. */
export interface WebSocketRouteOptions {
  readonly path: string;
  /** The largest message accepted (larger ones close the connection with 1009). */
  readonly maxMessageBytes: number;
}

/**
 * The connections of one websocket route, registered on subscribe. As the original (which used the websocket
 * library's defaults), an upgrade whose `Origin` host differs from `Host` is refused with 403. A plain GET without
 * upgrade gets 426.
 *
 * Unsubscribing removes the route and ends every connection's `messages`: a connection whose messages nobody
 * subscribed to is closed at once (1001); the others are closed by their consumer once its last reply is sent, so
 * that a message in flight when the engine stops still gets its answer.
 *
 * @example
 * ```ts
 * fromWebSocketRoute(http, { path: '/stream', maxMessageBytes: 1 << 20 }).pipe(
 *   mergeMap((connection) =>
 *     connection.messages.pipe(concatMap((job) => run(job)), finalize(() => connection.close())),
 *   ),
 * );
 * ```
 */
export function fromWebSocketRoute(server: HttpServer, options: WebSocketRouteOptions): Observable<WebSocketConnection> {
  const { path } = toRouterPath(options.path);
  return new Observable<WebSocketConnection>((subscriber) => {
    const sockets = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes });
    const live = new Set<LiveConnection>();
    server.route('GET', path, (_request, response) => {
      response.setHeader('upgrade', 'websocket');
      sendJson(response, 426, { status: 426, message: 'this resource is a websocket: connect with Upgrade: websocket' });
    });
    server.upgradeRoute(path, (request, socket, head) => {
      const origin = request.headers.origin;
      if (origin !== undefined && !sameHost(origin, request.headers.host)) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      sockets.handleUpgrade(request, socket, head, (ws) => {
        if (subscriber.closed) {
          ws.close(1001, 'server shutting down');
          return;
        }
        const connection = liveConnection(ws, request.url ?? options.path, live);
        subscriber.next(connection.connection);
      });
    });
    return () => {
      server.unroute('GET', path);
      server.unrouteUpgrade(path);
      for (const connection of [...live]) connection.end();
      sockets.close();
    };
  });
}

interface LiveConnection {
  readonly connection: WebSocketConnection;
  /** Ends the messages (the consumer closes after its last reply), or closes at once when nobody listens. */
  end(): void;
}

function liveConnection(socket: WebSocket, url: string, live: Set<LiveConnection>): LiveConnection {
  const listeners = new Set<() => void>();
  const close = (code = 1001, reason = 'server shutting down'): void => {
    if (socket.readyState === socket.CONNECTING || socket.readyState === socket.OPEN) socket.close(code, reason);
  };
  const entry: LiveConnection = {
    connection: { socket, messages: messagesOf(socket, url, listeners), close },
    end: () => {
      live.delete(entry);
      if (listeners.size === 0) close();
      for (const end of [...listeners]) end();
    },
  };
  live.add(entry);
  socket.once('close', () => live.delete(entry));
  // For the socket's whole life: ws emits 'error' for a bad or oversized frame (and then closes the connection),
  // also while the server drains after the messages stream completed; an unhandled 'error' would crash the process.
  socket.on('error', () => close(1011, 'connection error'));
  return entry;
}

function messagesOf(socket: WebSocket, url: string, listeners: Set<() => void>): Observable<WebSocketJob> {
  return new Observable<WebSocketJob>((subscriber) => {
    const end = (): void => subscriber.complete();
    listeners.add(end);
    const onMessage = (data: Buffer | ArrayBuffer | Buffer[]): void => {
      const body = Array.isArray(data) ? concatBytes(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : ownBytes(data);
      subscriber.next({
        socket,
        request: createRequest({ method: 'GET', url, body }),
      });
    };
    const onClose = (): void => subscriber.complete();
    socket.on('message', onMessage);
    socket.on('close', onClose);
    socket.on('error', onClose);
    return () => {
      listeners.delete(end);
      socket.off('message', onMessage);
      socket.off('close', onClose);
      socket.off('error', onClose);
    };
  });
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
