/**
 * The `Authorization` header the Directive's `authentication` configures for an outbound URL's host.
 *
 * @module
 */
import type { AuthHeader } from '../directive/capability-config.js';

/**
 * The `Authorization` value configured for a URL's host (docs/reference/directive.md#authentication): the key is the host as written, with its port,
 * compared case-insensitively. Returns `headerType value`, or `undefined` when auth is off or nothing matches.
 *
 * @example
 * ```ts
 * authHeaderFor({ enabled: true, headers: { 'api.example.com': { headerType: 'bearer', value: 't' } } }, new URL('https://api.example.com/x'));
 * // 'bearer t'
 * ```
 */
export function authHeaderFor(
  auth: { readonly enabled: boolean; readonly headers: Readonly<Record<string, AuthHeader>> },
  url: URL,
  rawUrl?: string,
): string | undefined {
  if (!auth.enabled) return undefined;
  const candidates = new Set<string>([url.host.toLowerCase()]);
  // The URL parser drops a default port that was written explicitly (`https://x:443`); the original kept it.
  const authority = rawUrl === undefined ? undefined : /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(rawUrl)?.[1];
  if (authority !== undefined) candidates.add(authority.slice(authority.lastIndexOf('@') + 1).toLowerCase());
  for (const [host, header] of Object.entries(auth.headers)) {
    if (!candidates.has(host.toLowerCase()) || header.value === '') continue;
    return header.headerType === '' ? header.value : `${header.headerType} ${header.value}`;
  }
  return undefined;
}
