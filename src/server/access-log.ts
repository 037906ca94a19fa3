/**
 * The access log and the HTTP metrics: one line and one sample per HTTP request, written when its response ends
 * (or its client leaves).
 *
 * This runs for every request, so nothing is built per request but the line itself: the route's labels and its
 * metrics recorder are resolved once, when the route is added ({@link ServedRoute}); the response carries its route
 * and start time as plain fields ({@link ServedResponse}); one listener function, shared by every response, reads them.
 *
 * @module
 */
import { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { UNMATCHED_ROUTE, type EngineMetrics, type HttpRouteMetrics } from './metrics.js';
import type { ServedRequest } from './request-id.js';

/** The status logged and counted for a request whose client went away before its response ended (nginx's 499). */
export const CLIENT_CLOSED_STATUS = 499;

/** A route as the access log and the metrics name it, resolved once, when the route is added. */
export interface ServedRoute {
  /** The route's method. */
  readonly method: string;
  /** The route's pattern as the Directive writes it (`/users/:id`, `/files/*path`), never a raw path. */
  readonly route: string;
  /** Logged at debug rather than info: `/health` and `/metrics`, which probes and scrapers call all day. */
  readonly quiet: boolean;
  /** Its recorder, when the server has metrics. */
  readonly metrics: HttpRouteMetrics | undefined;
}

/**
 * The responses of e2rx's HTTP server (its `ServerResponse` class): the route that took the request (set by the
 * router; `undefined` for a 404) and when the request's headers had arrived.
 */
export class ServedResponse extends ServerResponse<ServedRequest> {
  /** The route that took the request, or `undefined` when none did. */
  served: ServedRoute | undefined = undefined;
  /** `performance.now()` when the response was created: the request's headers had just been read. */
  readonly startedAt = performance.now();
}

/** Options of {@link accessRecorder}. */
export interface AccessRecorderOptions {
  readonly logger: Logger;
  /** Whether to write the access log (default true); the metrics are recorded either way. */
  readonly accessLog?: boolean;
  readonly metrics?: EngineMetrics | undefined;
}

/** One access log line's fields. */
export interface AccessLogFields {
  readonly method: string;
  /** The route's pattern; for a request no route took (a 404), its path without the query. */
  readonly route: string;
  /** The response's status; {@link CLIENT_CLOSED_STATUS} when the client left first. */
  readonly status: number;
  /** From the request's headers to the end of the response, in milliseconds, to 0.1. */
  readonly duration_ms: number;
  readonly request_id: string;
  /** The client's address. */
  readonly remote: string | undefined;
  /** Present, and true, when the client went away before the response ended. */
  readonly aborted?: true;
}

/**
 * The listener to add to every response's `'close'` event (one function for all of them): it records the request in
 * the HTTP metrics and writes its access log line, at info (at debug for a quiet route), with the message
 * `<method> <route> <status> <duration> ms`.
 *
 * @example
 * ```ts
 * const finished = accessRecorder({ logger, metrics });
 * createServer({ IncomingMessage: ServedRequest, ServerResponse: ServedResponse }, (request, response) => {
 *   response.on('close', finished);
 * });
 * ```
 */
export function accessRecorder(options: AccessRecorderOptions): (this: ServedResponse) => void {
  const { logger, metrics } = options;
  const logging = options.accessLog ?? true;
  const unmatched = new Map<string, HttpRouteMetrics>();
  const unmatchedMetrics = (method: string): HttpRouteMetrics | undefined => {
    if (metrics === undefined) return undefined;
    let found = unmatched.get(method);
    // Node's parser accepts only the methods it knows: this map stays small.
    if (found === undefined) unmatched.set(method, (found = metrics.httpRoute(method, UNMATCHED_ROUTE)));
    return found;
  };
  return function finished(this: ServedResponse): void {
    const served = this.served;
    const request = this.req;
    const method = request.method ?? 'GET';
    const aborted = !this.writableFinished;
    const status = aborted ? CLIENT_CLOSED_STATUS : this.statusCode;
    const ms = performance.now() - this.startedAt;
    (served === undefined ? unmatchedMetrics(method) : served.metrics)?.request(status, ms / 1000);
    if (!logging) return;
    const level = served?.quiet === true ? 'debug' : 'info';
    if (!logger.isLevelEnabled(level)) return;
    const route = served === undefined ? requestPath(request.url) : served.route;
    const duration = Math.round(ms * 10) / 10;
    const fields: AccessLogFields = aborted
      ? { method, route, status, duration_ms: duration, request_id: request.requestId, remote: request.socket.remoteAddress, aborted: true }
      : { method, route, status, duration_ms: duration, request_id: request.requestId, remote: request.socket.remoteAddress };
    logger[level](fields, aborted ? `${method} ${route} ${status} ${duration} ms (the client went away)` : `${method} ${route} ${status} ${duration} ms`);
  };
}

/**
 * The path of a request target, without its query.
 *
 * @example
 * ```ts
 * requestPath('/users/7?full=1'); // '/users/7'
 * ```
 */
export function requestPath(url: string | undefined): string {
  if (url === undefined) return '/';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}
