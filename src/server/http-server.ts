/**
 * HTTP ingress: a node:http server with a find-my-way router, `/health`, an access log line, HTTP metrics and an
 * `X-Request-ID` header for every request, and a clean shutdown.
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import findMyWay, { type HTTPMethod, type Instance } from 'find-my-way';
import type { Logger } from 'pino';
import { accessRecorder, requestPath, ServedResponse, type ServedRoute } from './access-log.js';
import { answerClientError, rawJsonAnswer } from './client-error.js';
import type { EngineMetrics } from './metrics.js';
import { requestIdOf, ServedRequest } from './request-id.js';
import { isPlainTarget, readTarget } from './request-target.js';
import { routePattern, type RoutePattern } from './route-redirect.js';
import { sendJson } from './send-json.js';
import { badTarget, createUnrouted, finalParam, unsupportedVersion, type RouteStore, type Unrouted } from './unrouted.js';
import { createUpgradeRoutes, type UpgradeHandler } from './upgrade-routes.js';

/** How long {@link HttpServer.close} waits for open connections before destroying them. */
export const DEFAULT_CLOSE_GRACE_MS = 2_000;

/** How long a client may take to send its request headers. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 20_000;
/** How long a client may take to send its whole request (headers and body), unless set otherwise. */
export const DEFAULT_RECEIVE_TIMEOUT_MS = 60_000;
/**
 * The bound on a request's headers (its request line included), in bytes: 1 MiB, Go's `DefaultMaxHeaderBytes`, which
 * Atmo served with (Node's own default is 16 KiB). Past it, 431.
 */
export const DEFAULT_MAX_HEADER_BYTES = 1 << 20;

/** A route handler: path parameters come decoded in `params`. */
export type RouteHandler = (request: IncomingMessage, response: ServerResponse, params: Readonly<Record<string, string | undefined>>) => void | Promise<void>;

/** Health of the server and of each connection. */
export interface HealthReport {
  readonly healthy: boolean;
  /** Per connection (nats, kafka, redis, database): whether it answers. */
  readonly connections?: Readonly<Record<string, boolean>>;
}

/** Options of {@link createHttpServer}. */
export interface HttpServerOptions {
  readonly logger: Logger;
  /** The health report served at `GET /health`: 200 when healthy, 503 otherwise. */
  readonly health: () => HealthReport;
  /** Where to count requests by method, route and status (`e2rx_http_requests_total`…). */
  readonly metrics?: EngineMetrics;
  /** Whether to log one line per request (default true): at info, at debug for `/health` and `/metrics`. */
  readonly accessLog?: boolean;
  /**
   * Serve on another server's listener (hot reload): `listen()` binds nothing and resolves with that listener's
   * port, `close()` leaves it open; requests reach this server's routes once `listener.dispatchTo(this)`.
   */
  readonly listener?: HttpServer;
}

/** Options of {@link HttpServer.route}. */
export interface RouteOptions {
  /** The route as the access log and the metrics name it (default: the router path): the Directive's pattern. */
  readonly label?: string;
  /** Log its requests at debug rather than info (probes, scrapes). */
  readonly quiet?: boolean;
}

/** The HTTP server. */
export interface HttpServer {
  /** The router: add routes before or after listening. */
  readonly router: Instance<findMyWay.HTTPVersion.V1>;
  /** Adds a route. */
  route(method: string, path: string, handler: RouteHandler, options?: RouteOptions): void;
  /** Removes a route. */
  unroute(method: string, path: string): void;
  /** Adds a websocket upgrade route (GET with `Upgrade: websocket`). */
  upgradeRoute(path: string, handler: UpgradeHandler): void;
  /** Removes a websocket upgrade route. */
  unrouteUpgrade(path: string): void;
  /** Starts listening; resolves with the bound port. */
  listen(port: number, host?: string): Promise<number>;
  /**
   * Stops accepting connections and closes idle ones; resolves when every open request has ended, or after
   * `graceMs` (default {@link DEFAULT_CLOSE_GRACE_MS}), when the connections still open are destroyed.
   */
  close(graceMs?: number): Promise<void>;
  /** While draining, every request but /health gets 503 with `Connection: close`. */
  setDraining(draining: boolean): void;
  /** How long a client may take to send its whole request (default {@link DEFAULT_RECEIVE_TIMEOUT_MS}); 408 past it. */
  setReceiveTimeout(ms: number): void;
  /** The bound on a request's headers, for connections opened from now on (default {@link DEFAULT_MAX_HEADER_BYTES}); 431 past it. */
  setMaxHeaderBytes(bytes: number): void;
  /** The underlying node:http server (for websocket upgrades); its requests and responses carry the request id and route. */
  readonly server: Server<typeof ServedRequest, typeof ServedResponse>;
  /** Requests this server's routes took whose responses have not closed yet. */
  readonly open: number;
  /** Resolves once no request this server's routes took is open ({@link open} is 0). */
  idle(): Promise<void>;
  /**
   * From now on, the requests and upgrades arriving on this server's listener are served by `target`'s routes (a
   * hot reload swaps an app this way, without closing the port): the requests already taken finish where they are,
   * and a keep-alive connection's next request goes to `target`. `target`'s receive timeouts and header bound apply to
   * the listener.
   * One variable is read per request: the indirection costs nothing measurable.
   */
  dispatchTo(target: HttpServer): void;
  /** Serves one request with this server's routes (what {@link dispatchTo} hands requests to). */
  readonly handle: (request: ServedRequest, response: ServedResponse) => void;
  /** Serves one upgrade request with this server's upgrade routes (what {@link dispatchTo} hands upgrades to). */
  readonly handleUpgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

/** The longest path parameter routed (find-my-way's default is 100; Atmo has none). */
const MAX_PARAM_LENGTH = 16_384;

/** The listen backlog asked for; the kernel caps it at its own maximum (`net.core.somaxconn`). */
const LISTEN_BACKLOG = 65_535;

/**
 * Creates the HTTP server with `GET /health`. Unknown routes answer 404 with Atmo's error JSON,
 * `{"status": 404, "message": …}` (docs/reference/directive.md#http-responses-of-type-request).
 *
 * @example
 * ```ts
 * const http = createHttpServer({ logger, health: () => ({ healthy: true }) });
 * http.route('GET', '/hello', (_request, response) => response.end('hi'));
 * await http.listen(8080);
 * ```
 */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  /** The routes of each method that has some, by router path: for the Allow header of 405 and OPTIONS answers, and redirects. */
  const patterns = new Map<string, Map<string, RoutePattern>>();
  const router = findMyWay({
    ignoreTrailingSlash: false,
    // Atmo's router puts no bound on a parameter's length (the request line is bounded by the header size).
    maxParamLength: MAX_PARAM_LENGTH,
    defaultRoute: (request, response) => unrouted.answer(request, response),
  });
  const unrouted: Unrouted = createUnrouted(router, patterns);
  const route = (method: string, path: string, handler: RouteHandler, routeOptions: RouteOptions = {}): void => {
    const label = routeOptions.label ?? path;
    // find-my-way matches a route's final parameter with an empty value (`/users/` for `/users/:id`); httprouter
    // did not (it took an empty parameter only before a `/`: `/a//b` for `/a/:x/b`).
    const last = finalParam(path);
    const served: RouteStore = { method, route: label, quiet: routeOptions.quiet ?? false, metrics: options.metrics?.httpRoute(method, label), finalParam: last };
    router.on(
      method as HTTPMethod,
      path,
      (request, response, params) => {
        if (last !== undefined && params[last] === '') {
          unrouted.answer(request, response);
          return;
        }
        (response as ServedResponse).served = served;
        try {
          const returned = handler(request, response, params);
          if (returned instanceof Promise) returned.catch((error: unknown) => handlerFailed(request, response, error));
        } catch (error) {
          handlerFailed(request, response, error);
        }
      },
      served,
    );
    let routes = patterns.get(method);
    if (routes === undefined) patterns.set(method, (routes = new Map<string, RoutePattern>()));
    routes.set(path, routePattern(path));
  };
  /** A route handler threw or rejected: logged, and 500 unless its response had begun (then the connection is cut). */
  const handlerFailed = (request: IncomingMessage, response: ServerResponse, error: unknown): void => {
    options.logger.error({ err: error, url: request.url, request_id: requestIdOf(request) }, 'request handler failed');
    if (!response.headersSent) sendJson(response, 500, { status: 500, message: 'internal server error' });
    else response.destroy();
  };
  route(
    'GET',
    '/health',
    (_request, response) => {
      const report = options.health();
      sendJson(response, report.healthy ? 200 : 503, report);
    },
    { quiet: true },
  );
  let draining = false;
  let open = 0;
  let idle: (() => void) | undefined;
  // One listener for every response: it writes the access log line and records the metrics when the response ends.
  const finished = accessRecorder({ logger: options.logger, metrics: options.metrics, ...(options.accessLog === undefined ? {} : { accessLog: options.accessLog }) });
  const closed = function (this: ServedResponse): void {
    if (--open === 0 && idle !== undefined) {
      idle();
      idle = undefined;
    }
    finished.call(this);
  };
  const handle = (request: ServedRequest, response: ServedResponse): void => {
    open++;
    response.on('close', closed);
    if (request.httpVersionMajor !== 1) {
      unsupportedVersion(response, request.httpVersionMajor);
      return;
    }
    // Node's own check (requireHostHeader) answers an empty 400; this one says why, as Go did. Node reads
    // `headers.host` for its check all the same: no cost added.
    if (request.httpVersionMinor === 1 && request.headers.host === undefined) {
      badTarget(response, 'missing required Host header');
      return;
    }
    if (draining && request.url !== '/health') {
      // Named after its route all the same (a lookup only while the server drains).
      response.served = router.find(request.method as HTTPMethod, requestPath(request.url))?.store as ServedRoute | undefined;
      response.setHeader('connection', 'close');
      sendJson(response, 503, { status: 503, message: 'the server is shutting down' });
      return;
    }
    if (isPlainTarget(request.url as string)) router.lookup(request, response);
    else unrouted.routeTarget(request, response);
  };
  let dispatch = handle;
  const server = createServer({ IncomingMessage: ServedRequest, ServerResponse: ServedResponse, maxHeaderSize: DEFAULT_MAX_HEADER_BYTES, requireHostHeader: false }, (request, response) => dispatch(request, response));
  // CONNECT, which Node hands to this event (and drops without a listener): no route takes it, so as Atmo's router,
  // 405 with Allow when the path has routes, else 404 (the routes of the server that owns the listener).
  server.on('connect', (request: IncomingMessage, socket: Duplex) => {
    const target = readTarget(request.url ?? '/');
    const allowed = 'invalid' in target ? [] : unrouted.allowedFor('CONNECT', target);
    socket.end(allowed.length > 0 ? rawJsonAnswer(405, 'method not allowed', `Allow: ${allowed.join(', ')}\r\n`) : rawJsonAnswer(404, 'not found'));
  });
  let maxHeaderBytes = DEFAULT_MAX_HEADER_BYTES;
  // Node's answers to what its parser refuses carry no body: these say what was wrong (431, 408, 400).
  server.on('clientError', (error: Error, socket: Duplex) => answerClientError(error, socket, { maxHeaderBytes, receiveTimeoutMs: server.requestTimeout }));
  // The client's address, read once per connection while it is open: the access log line, written when the response
  // ends, may come after the socket closed.
  if (options.accessLog !== false) server.on('connection', rememberPeer);
  server.keepAliveTimeout = 5_000;
  // A client gets this long to send its headers, and its whole request (see setRequestTimeout); a slow or idle
  // client costs a socket until then, never an in-flight slot (bodies are read before a slot is asked for).
  server.headersTimeout = DEFAULT_HEADERS_TIMEOUT_MS;
  server.requestTimeout = DEFAULT_RECEIVE_TIMEOUT_MS;
  const upgrades = createUpgradeRoutes(() => options.listener?.server ?? server);
  const handleUpgrade = upgrades.handle;
  let dispatchUpgrade = handleUpgrade;
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => dispatchUpgrade(request, socket, head));
  return {
    router,
    route,
    get open() {
      return open;
    },
    idle: () => (open === 0 ? Promise.resolve() : new Promise<void>((resolve) => {
      const before = idle;
      idle = () => {
        before?.();
        resolve();
      };
    })),
    handle,
    handleUpgrade,
    dispatchTo: (target) => {
      dispatch = target.handle;
      dispatchUpgrade = target.handleUpgrade;
      server.requestTimeout = target.server.requestTimeout;
      server.headersTimeout = target.server.headersTimeout;
      // The target's bound on request heads (limits.maxHeaderBytes), for the connections opened from now on.
      maxHeaderBytes = (target.server as { maxHeaderSize?: number }).maxHeaderSize ?? DEFAULT_MAX_HEADER_BYTES;
      (server as { maxHeaderSize?: number }).maxHeaderSize = maxHeaderBytes;
    },
    setDraining: (value) => {
      draining = value;
    },
    setReceiveTimeout: (ms) => {
      server.requestTimeout = ms;
      server.headersTimeout = Math.min(server.headersTimeout, ms);
    },
    setMaxHeaderBytes: (bytes) => {
      maxHeaderBytes = bytes;
      // Node stores the `maxHeaderSize` option on the server and reads it there for each new connection.
      (server as { maxHeaderSize?: number }).maxHeaderSize = bytes;
    },
    unroute: (method, path) => {
      router.off(method as HTTPMethod, path);
      const routes = patterns.get(method);
      routes?.delete(path);
      if (routes?.size === 0) patterns.delete(method);
    },
    upgradeRoute: upgrades.add,
    unrouteUpgrade: upgrades.remove,
    server,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        if (options.listener !== undefined) {
          const address = options.listener.server.address();
          if (address === null || typeof address === 'string') reject(new Error('the listener this server serves on is not listening'));
          else resolve(address.port);
          return;
        }
        server.once('error', reject);
        // The accept queue as long as the system allows (the kernel caps `backlog` at net.core.somaxconn, 4096 on
        // current Linux, which is what Go servers get; Node's default is 511): a burst of new connections while the
        // thread is busy waits there instead of having its SYNs dropped, which clients retry after 1, 3, 7, … s.
        server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      }),
    close: (graceMs = DEFAULT_CLOSE_GRACE_MS) =>
      new Promise((resolve) => {
        if (!server.listening) {
          resolve();
          return;
        }
        // A client that never finishes its request (or keeps reading slowly) must not hold the stop forever.
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

/** Reads the socket's remote address once: Node keeps it for later reads, even after the socket closes. */
function rememberPeer(socket: Socket): void {
  if (socket.remoteAddress === undefined) return;
}
