/**
 * The redirects of Atmo's router (httprouter v1.3.0, `RedirectTrailingSlash` and `RedirectFixedPath`): a path no
 * route takes, but that a route takes with its trailing slash added or removed, or once cleaned (`//`, `.`, `..`)
 * and read without regard to case, is answered with a redirect to that route's path: 301 for GET, 307 for any other
 * method, `Location` the path (escaped as Go escapes it) and the request's query.
 *
 * These run only for requests no route took.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { REQUEST_ID_HEADER, ServedRequest } from './request-id.js';
import { cleanPath, escapePath } from './request-target.js';

/** A route's path cut into segments: `/users/:id` is `['users', ':id']`, a catch-all `/files/*` is `['files', '*']`. */
export type RoutePattern = readonly string[];

/** Cuts a router path (find-my-way syntax: `:name`, a final `*`) into its {@link RoutePattern}. */
export function routePattern(path: string): RoutePattern {
  return path.split('/').slice(1);
}

/**
 * The path a route takes for `path` read without regard to case (httprouter's `findCaseInsensitivePath` with
 * `fixTrailingSlash`): the route's own letters for its static segments, the request's for its parameters. A path
 * with its trailing slash added or removed is tried next. `undefined` when no route takes it.
 *
 * @example
 * ```ts
 * fixedPath([routePattern('/tinygo/req/:id')], '/TINYGO/req/AbC/'); // '/tinygo/req/AbC'
 * ```
 */
export function fixedPath(patterns: Iterable<RoutePattern>, path: string): string | undefined {
  const routes = [...patterns];
  const toggled = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : `${path}/`;
  for (const candidate of [path, toggled]) {
    const segments = candidate.split('/').slice(1);
    for (const pattern of routes) {
      const matched = matchIgnoringCase(pattern, segments);
      if (matched !== undefined) return matched;
    }
  }
  return undefined;
}

function matchIgnoringCase(pattern: RoutePattern, segments: readonly string[]): string | undefined {
  const out: string[] = [];
  for (let index = 0; index < pattern.length; index += 1) {
    const part = pattern[index] as string;
    if (part === '*') {
      // A catch-all takes the rest of the path, empty included (`/files/` is `/files/*` with `/`).
      if (segments.length < index + 1) return undefined;
      out.push(...segments.slice(index));
      return `/${out.join('/')}`;
    }
    const segment = segments[index];
    if (segment === undefined) return undefined;
    const colon = part.indexOf(':');
    const prefix = colon === -1 ? part : part.slice(0, colon);
    if (segment.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) return undefined;
    if (colon === -1) {
      if (segment.length !== prefix.length) return undefined;
      out.push(prefix);
    } else {
      // A final parameter is never empty (httprouter took an empty one only before a `/`); it keeps the request's letters.
      if (segment.length === prefix.length && index === pattern.length - 1) return undefined;
      out.push(prefix + segment.slice(prefix.length));
    }
  }
  return segments.length === pattern.length ? `/${out.join('/')}` : undefined;
}

/**
 * The redirect's `Location`, as Go's `http.Redirect` wrote it: the path escaped and cleaned (so never `//…`, which
 * a client would read as another host), then the request's query as it came.
 */
export function redirectLocation(path: string, query: string): string {
  return cleanPath(escapePath(path)) + query;
}

/**
 * Answers a redirect as httprouter did: 301 for GET, 307 otherwise; for GET and HEAD `Content-Type: text/html`,
 * and for GET Go's short body (`<a href="…">Moved Permanently</a>.`).
 */
export function sendRedirect(request: IncomingMessage, response: ServerResponse, location: string): void {
  const get = request.method === 'GET';
  const headers: Record<string, string | number> = { location };
  if (request instanceof ServedRequest) headers[REQUEST_ID_HEADER] = request.requestId;
  if (get || request.method === 'HEAD') headers['content-type'] = 'text/html; charset=utf-8';
  const body = get ? `<a href="${htmlEscape(location)}">Moved Permanently</a>.\n\n` : '';
  headers['content-length'] = Buffer.byteLength(body);
  response.writeHead(get ? 301 : 307, headers);
  response.end(body);
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' };

function htmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] as string);
}
