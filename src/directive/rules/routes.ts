/**
 * Route conflicts, found at validation time (docs/reference/directive.md#validation, added in Atmo by PR e2core#137). Routes use httprouter's
 * syntax (`/users/:id`, `/files/*path`); e2rx serves them with find-my-way, so a route is checked by registering
 * it into a find-my-way router exactly as the server will, with httprouter's messages for the classic mistakes.
 *
 * @module
 */
import { METHODS } from 'node:http';
import findMyWay, { type HTTPMethod } from 'find-my-way';

/** A route to check: the handler's position, its method (GET for websockets) and its path. */
export interface RouteEntry {
  readonly index: number;
  readonly method: string;
  readonly path: string;
}

/** A conflict: the position of the handler whose route cannot be registered, the key at fault, and why. */
export interface RouteConflict {
  readonly index: number;
  readonly key: 'method' | 'resource';
  readonly message: string;
}

/**
 * Translates an httprouter path to find-my-way's syntax: a named catch-all `*path` becomes `*` (its value is then
 * exposed under the name `path` by the server).
 *
 * @returns the find-my-way path and the catch-all's name, if any.
 */
export function toRouterPath(path: string): { readonly path: string; readonly catchAll: string | undefined } {
  const match = /\/\*([^/]*)$/.exec(path);
  if (!match) return { path, catchAll: undefined };
  return { path: `${path.slice(0, match.index)}/*`, catchAll: match[1] };
}

/** The httprouter syntax errors of one path, or `undefined`. */
export function routeSyntaxError(path: string): string | undefined {
  const segments = path.split('/');
  for (let index = 0; index < segments.length; index += 1) {
    const segment = segments[index] ?? '';
    const wildcards = segment.match(/[:*]/g)?.length ?? 0;
    // httprouter quotes the wildcard: from its ':' or '*' to the end of the segment.
    if (wildcards > 1) return `only one wildcard per path segment is allowed, has: '${segment.slice(segment.search(/[:*]/))}' in path '${path}'`;
    const wildcard = /[:*](.*)$/.exec(segment);
    if (!wildcard) continue;
    if (wildcard[1] === '') return `wildcards must be named with a non-empty name in path '${path}'`;
    if (segment.includes('*') && index !== segments.length - 1) return `catch-all routes are only allowed at the end of the path in path '${path}'`;
    if (segment.includes('*') && !segment.startsWith('*')) return `no / before catch-all in path '${path}'`;
  }
  return undefined;
}

/** Registers every route as the server will and reports each that cannot be. */
export function findRouteConflicts(routes: readonly RouteEntry[]): RouteConflict[] {
  const conflicts: RouteConflict[] = [];
  const router = findMyWay();
  for (const route of routes) {
    if (!METHODS.includes(route.method)) {
      conflicts.push({ index: route.index, key: 'method', message: `handler for resource ${route.path} has method ${route.method}, which is not an HTTP method` });
      continue;
    }
    const syntax = routeSyntaxError(route.path);
    if (syntax) {
      conflicts.push({ index: route.index, key: 'resource', message: syntax });
      continue;
    }
    try {
      router.on(route.method as HTTPMethod, toRouterPath(route.path).path, () => undefined);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      const message = /already declared/.test(text)
        ? `a handle is already registered for path '${route.path}' (method ${route.method})`
        : `route ${route.method} ${route.path} cannot be registered: ${text}`;
      conflicts.push({ index: route.index, key: 'resource', message });
    }
  }
  return conflicts;
}
