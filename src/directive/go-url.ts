/**
 * The failures of Go's `url.Parse` that Atmo reported for connection addresses (`failed to parse serverAddress as
 * URL: …`). Go's parser is lenient (`localhost:6379` parses, as scheme `localhost`); it fails on control characters,
 * bad percent-escapes, a first path segment holding a colon when no scheme can be read, and bad IPv6 hosts.
 *
 * @module
 */

/** Go's error text for `value`, or `undefined` when Go would parse it. */
export function goUrlParseError(value: string): string | undefined {
  const quoted = JSON.stringify(value);
  if (/[\u0000-\u001f\u007f]/.test(value)) return `parse ${quoted}: net/url: invalid control character in URL`;
  const badEscape = /%(?![0-9A-Fa-f]{2})(.{0,2})/.exec(value);
  if (badEscape) return `parse ${quoted}: invalid URL escape ${JSON.stringify(`%${badEscape[1] ?? ''}`)}`;
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(value);
  if (!schemeMatch) {
    if (value.startsWith(':')) return `parse ${quoted}: missing protocol scheme`;
    const firstSegment = value.split('/')[0] ?? '';
    if (firstSegment.includes(':')) return `parse ${quoted}: first path segment in URL cannot contain colon`;
    return undefined;
  }
  const rest = value.slice(schemeMatch[0].length);
  if (rest.startsWith('//')) {
    const authority = rest.slice(2).split(/[/?#]/)[0] ?? '';
    const host = authority.slice(authority.lastIndexOf('@') + 1);
    if (host.startsWith('[') && !/^\[[0-9A-Fa-f:.%a-z]+\](:\d*)?$/.test(host)) return `parse ${quoted}: invalid IPv6 host`;
    const port = /:([^:\]]*)$/.exec(host)?.[1];
    if (port !== undefined && !host.startsWith('[') && !/^\d*$/.test(port)) return `parse ${quoted}: invalid port ${JSON.stringify(`:${port}`)} after host`;
  }
  return undefined;
}
