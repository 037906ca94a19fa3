/**
 * Websocket stream handlers (source `server`, docs/guides/streams.md): each connection is a buffer of its messages, handled
 * strictly in order; a reply is one text frame per message.
 *
 * Bounds: at most `maxConnections` connections per route (past it an upgrade is refused with 503); the messages a
 * connection has received and not yet finished hold at most `maxBufferedBytes` before its socket stops being read (TCP
 * pushes back on the client) until they drain; a message larger than `maxMessageBytes` closes the connection (1009).
 *
 * @module
 */
import { Observable } from 'rxjs';
import type { WebSocket } from 'ws';
import { lazyModule } from '../lazy-module.js';

const ws = lazyModule<typeof import('ws')>('ws');
import { concatBytes, createRequest, ownBytes } from '../runtime/request.js';
import type { HttpServer } from '../server/http-server.js';
import { sendJson } from '../server/send-json.js';
import { toRouterPath } from '../directive/index.js';
import { AUTH_STATE_KEY } from '../directive/auth.js';
import type { OrderedQueue } from '../flow/in-order.js';
import type { WebSocketJob } from '../messages/websocket-job.js';
import { refuseUpgrade, type Authenticator, type AuthVerdict, type Identity } from '../server/auth.js';


/** How a connection's messages end. */
export type WebSocketEnd =
  /** The client closed the connection, or it failed: what is waiting or running for it is of no use any more. */
  | 'closed'
  /** The route stopped (the engine stops accepting work): finish the messages taken, then close. */
  | 'stopping';

/** What a consumer of a connection hears. */
export interface WebSocketListener {
  /** A message arrived (take it with {@link WebSocketConnection.next}). */
  message(): void;
  /** No more messages will arrive. */
  end(reason: WebSocketEnd): void;
}

/** One websocket connection: a buffer of its messages, taken one at a time, in order (an {@link OrderedQueue}). */
export interface WebSocketConnection extends OrderedQueue<WebSocketJob> {
  readonly socket: WebSocket;
  /**
   * The messages as an Observable, for composing by hand: each message is taken as it arrives (so the buffer bound
   * does not hold back a fast client: bound it yourself, e.g. with `concatMap` and a count), and the Observable
   * completes when the client leaves or the route stops. The engine takes messages with {@link next} instead.
   */
  readonly messages: Observable<WebSocketJob>;
  /** Takes the oldest message not yet taken (`undefined` when none is waiting). */
  next(): WebSocketJob | undefined;
  /** A taken message is finished: its bytes leave the buffer (a paused socket is read again under the bound). */
  consumed(job: WebSocketJob): void;
  /** Listens for messages and the end; returns the function that stops listening. */
  watch(listener: WebSocketListener): () => void;
  /** Closes the connection (default 1001 `server shutting down`) unless it is already closing or closed. */
  close(code?: number, reason?: string): void;
}

/** Options of {@link fromWebSocketRoute}. */
export interface WebSocketRouteOptions {
  readonly path: string;
  /** The largest message accepted (larger ones close the connection with 1009). */
  readonly maxMessageBytes: number;
  /** Connections at most (default: no bound). */
  readonly maxConnections?: number;
  /** Bytes of received, unfinished messages per connection before its socket is paused (default 1 MiB). */
  readonly maxBufferedBytes?: number;
  /**
   * (e2rx `auth`) Checks the credentials of each upgrade request: a refused one gets its 401 (or 400, 403, 503) and no
   * websocket; an accepted one's identity is in state key `auth` of every message of the connection, which is closed
   * (1008) when its token expires.
   */
  readonly authenticator?: Authenticator;
}

/** The default {@link WebSocketRouteOptions.maxBufferedBytes}. */
export const DEFAULT_WEBSOCKET_BUFFER_BYTES = 1024 * 1024;

/**
 * The websocket connections of one route. Registers the upgrade route on subscribe; unsubscribing removes it and
 * ends every connection's messages (`stopping`).
 *
 * @example
 * ```ts
 * fromWebSocketRoute(http, { path: '/stream', maxMessageBytes: 1 << 20 }).subscribe((connection) => {
 *   connection.watch({
 *     message: () => {
 *       const job = connection.next();
 *       if (job) { job.socket.send('got it'); connection.consumed(job); }
 *     },
 *     end: () => connection.close(),
 *   });
 * });
 * ```
 */
export function fromWebSocketRoute(server: HttpServer, options: WebSocketRouteOptions): Observable<WebSocketConnection> {
  const { path } = toRouterPath(options.path);
  const maxConnections = options.maxConnections ?? Number.POSITIVE_INFINITY;
  const maxBuffered = options.maxBufferedBytes ?? DEFAULT_WEBSOCKET_BUFFER_BYTES;
  return new Observable<WebSocketConnection>((subscriber) => {
    const sockets = new (ws().WebSocketServer)({ noServer: true, maxPayload: options.maxMessageBytes });
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
      if (live.size >= maxConnections) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const upgrade = (identity: Identity | undefined): void => {
        sockets.handleUpgrade(request, socket, head, (ws) => {
          if (subscriber.closed) {
            ws.close(1001, 'server shutting down');
            return;
          }
          const connection = new LiveConnection(ws, request.url ?? options.path, maxBuffered, live, identity);
          subscriber.next(connection);
        });
      };
      const authenticator = options.authenticator;
      if (authenticator === undefined) {
        upgrade(undefined);
        return;
      }
      const decide = (verdict: AuthVerdict): void => {
        if (verdict.ok) upgrade(verdict.identity);
        else refuseUpgrade(socket, verdict.refusal);
      };
      const verdict = authenticator.authenticate(request);
      if (verdict instanceof Promise) void verdict.then(decide);
      else decide(verdict);
    });
    return () => {
      server.unroute('GET', path);
      server.unrouteUpgrade(path);
      for (const connection of [...live]) connection.stop();
      sockets.close();
    };
  });
}

/** The longest delay `setTimeout` takes. */
const MAX_TIMER_MS = 2 ** 31 - 1;

class LiveConnection implements WebSocketConnection {
  readonly #buffer: WebSocketJob[] = [];
  #bytes = 0;
  #listener: WebSocketListener | undefined;
  #ended: WebSocketEnd | undefined;

  constructor(
    readonly socket: WebSocket,
    readonly url: string,
    readonly maxBuffered: number,
    readonly live: Set<LiveConnection>,
    /** The verified identity (e2rx `auth`): its JSON is given to every message as state key `auth`. */
    identity?: Identity,
  ) {
    live.add(this);
    const claims = identity?.state;
    if (identity?.expiresAt !== undefined) this.#closeAt(identity.expiresAt);
    socket.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      if (this.#ended !== undefined) return;
      const body = Array.isArray(data) ? concatBytes(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : ownBytes(data);
      const request = createRequest({ method: 'GET', url, body });
      if (claims !== undefined) request.state[AUTH_STATE_KEY] = claims;
      this.#buffer.push({ socket, request });
      this.#bytes += body.length;
      if (this.#bytes > maxBuffered && !socket.isPaused) socket.pause();
      this.#listener?.message();
    });
    socket.once('close', () => this.#end('closed'));
    // For the socket's whole life: ws emits 'error' for a bad or oversized frame (and then closes the connection),
    // also while the server drains after the messages stream completed; an unhandled 'error' would crash the process.
    socket.on('error', () => {
      this.close(1011, 'connection error');
      this.#end('closed');
    });
  }

  /** Closes the connection with 1008 when its credentials expire (a timer beyond Node's 24.8-day maximum is not set). */
  #closeAt(expiresAt: number): void {
    const delay = Math.max(0, expiresAt - Date.now());
    if (delay > MAX_TIMER_MS) return;
    const timer = setTimeout(() => this.close(1008, 'the token expired'), delay);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  readonly messages = new Observable<WebSocketJob>((subscriber) => {
    const drain = (): void => {
      for (let job = this.next(); job !== undefined; job = this.next()) {
        this.consumed(job);
        subscriber.next(job);
      }
    };
    const unwatch = this.watch({
      message: drain,
      end: () => {
        drain();
        subscriber.complete();
      },
    });
    drain();
    return unwatch;
  });

  next(): WebSocketJob | undefined {
    return this.#ended === 'closed' ? undefined : this.#buffer.shift();
  }

  consumed(job: WebSocketJob): void {
    this.#bytes -= job.request.body.length;
    if (this.socket.isPaused && this.#bytes <= this.maxBuffered / 2) this.socket.resume();
  }

  watch(listener: WebSocketListener): () => void {
    this.#listener = listener;
    if (this.#ended !== undefined) listener.end(this.#ended);
    return () => {
      if (this.#listener === listener) this.#listener = undefined;
    };
  }

  close(code = 1001, reason = 'server shutting down'): void {
    const socket = this.socket;
    if (socket.readyState === socket.CONNECTING || socket.readyState === socket.OPEN) socket.close(code, reason);
  }

  /** The route stopped: the consumer finishes what it took, then closes (at once when nobody listens). */
  stop(): void {
    if (this.#listener === undefined) this.close();
    this.#end('stopping');
  }

  #end(reason: WebSocketEnd): void {
    if (this.#ended === 'closed') return;
    this.#ended = reason;
    if (reason === 'closed') {
      this.live.delete(this);
      this.#buffer.length = 0;
      this.#bytes = 0;
    }
    this.#listener?.end(reason);
  }
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
