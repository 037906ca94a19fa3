/**
 * What e2rx's HTTP server answers, as Atmo's router (httprouter) and Go's server did, to a request its routes do not
 * take as it came: a target the router cannot read as it is (decoded first), a redirect to the path a route takes,
 * 405 or OPTIONS with `Allow`, 404; and 400 or 505 for what Go's server could not read.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HTTPMethod, HTTPVersion, Instance } from 'find-my-way';
import type { ServedRoute } from './access-log.js';
import { cleanPath, readTarget, routablePath, type RequestTarget } from './request-target.js';
import { fixedPath, redirectLocation, sendRedirect, type RoutePattern } from './route-redirect.js';
import { sendJson } from './send-json.js';

/** What the router keeps for a route: its names for the access log and metrics, and the parameter it ends with. */
export interface RouteStore extends ServedRoute {
  readonly finalParam: string | undefined;
}

/** The name of the parameter a router path ends with (`id` for `/users/:id`), if it ends with one. */
export function finalParam(path: string): string | undefined {
  return /:([^/]*)$/.exec(path)?.[1];
}

/** The answers to the requests a server's routes do not take as they came (see the module comment). */
export interface Unrouted {
  /**
   * A request no route takes (its target read already, or not): a redirect when a route of its method takes its path
   * with the trailing slash toggled, or cleaned and read without regard to case; else, when the path has routes for
   * other methods, OPTIONS gets 200 and any other method 405, both with `Allow`; otherwise 404.
   */
  answer(request: IncomingMessage, response: ServerResponse, read?: RequestTarget): void;
  /** A request whose path is not decoded the way the router would (a `%`, a `#`, an absolute URL): read as Go read it, then routed. */
  routeTarget(request: IncomingMessage, response: ServerResponse): void;
  /** The methods of the routes that take the target's path, as httprouter listed them in `Allow` (sorted, OPTIONS too); none: `[]`. */
  allowedFor(method: string, target: RequestTarget): string[];
}

/**
 * The answers for `router`'s requests; `patterns` holds the routes of each method that has some, by router path.
 *
 * @example
 * ```ts
 * const unrouted = createUnrouted(router, patterns);
 * unrouted.answer(request, response); // 404, 405 with Allow, or a redirect
 * ```
 */
export function createUnrouted(router: Instance<HTTPVersion.V1>, patterns: ReadonlyMap<string, ReadonlyMap<string, RoutePattern>>): Unrouted {
  /** Whether a route of `method` takes `routable` (a path as {@link readTarget} gives it), as httprouter would. */
  const takes = (method: string, routable: string): boolean => {
    const found = router.find(method as HTTPMethod, routable);
    if (found === null) return false;
    const last = (found.store as RouteStore).finalParam;
    return last === undefined || found.params[last] !== '';
  };
  const allowedFor = (method: string, target: RequestTarget): string[] => {
    const allowed: string[] = [];
    for (const other of patterns.keys()) {
      // httprouter's server-wide list (`*`) names every method, the request's too.
      if (other !== 'OPTIONS' && (target.path === '*' || (other !== method && takes(other, target.routable)))) allowed.push(other);
    }
    return allowed.length === 0 ? allowed : [...allowed, 'OPTIONS'].sort();
  };
  const answer = (request: IncomingMessage, response: ServerResponse, read?: RequestTarget): void => {
    const target = read ?? readTarget(request.url ?? '/');
    if ('invalid' in target) {
      badTarget(response, target.invalid);
      return;
    }
    const { path } = target;
    const method = request.method ?? 'GET';
    const routes = patterns.get(method);
    if (routes !== undefined && method !== 'CONNECT' && path !== '/' && path !== '*') {
      const toggled = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : `${path}/`;
      const fixed = takes(method, routablePath(toggled)) ? toggled : fixedPath(routes.values(), cleanPath(path));
      if (fixed !== undefined) {
        sendRedirect(request, response, redirectLocation(fixed, target.query));
        return;
      }
    }
    const allowed = allowedFor(method, target);
    if (allowed.length === 0) {
      sendJson(response, 404, { status: 404, message: 'not found' });
      return;
    }
    if (path === '*' && method === 'OPTIONS') {
      // `OPTIONS *` is about the server: Go's server answered it itself, with no Allow.
      response.writeHead(200, { 'content-length': 0 });
      response.end();
      return;
    }
    response.setHeader('allow', allowed.join(', '));
    if (method === 'OPTIONS') {
      response.writeHead(200, { 'content-length': 0 });
      response.end();
    } else {
      sendJson(response, 405, { status: 405, message: 'method not allowed' });
    }
  };
  const routeTarget = (request: IncomingMessage, response: ServerResponse): void => {
    const target = readTarget(request.url ?? '/');
    if ('invalid' in target) {
      badTarget(response, target.invalid);
      return;
    }
    const found = router.find(request.method as HTTPMethod, target.routable);
    if (found === null) answer(request, response, target);
    else (found.handler as (request: IncomingMessage, response: ServerResponse, params: Record<string, string | undefined>) => void)(request, response, found.params);
  };
  return { answer, routeTarget, allowedFor };
}

/**
 * A request line whose version is not HTTP/1.x, which Go's server refused: none (Node reads `GET /x` as HTTP/0.9) is
 * 400, as Go answered a request line without one; 2.0 and later, 505.
 *
 * @example
 * ```ts
 * if (request.httpVersionMajor !== 1) unsupportedVersion(response, request.httpVersionMajor);
 * ```
 */
export function unsupportedVersion(response: ServerResponse, major: number): void {
  response.setHeader('connection', 'close');
  if (major < 1) sendJson(response, 400, { status: 400, message: 'bad request: the request line has no HTTP/1.x version' });
  else sendJson(response, 505, { status: 505, message: 'HTTP version not supported: e2rx serves HTTP/1.x' });
}

/**
 * 400 for a request Go's server could not read (an invalid escape in its target, no Host): Atmo answered 400 and
 * closed the connection.
 *
 * @example
 * ```ts
 * badTarget(response, 'missing required Host header');
 * ```
 */
export function badTarget(response: ServerResponse, reason: string): void {
  response.setHeader('connection', 'close');
  sendJson(response, 400, { status: 400, message: `bad request: ${reason}` });
}
