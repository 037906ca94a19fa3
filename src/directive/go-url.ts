/**
 * The failures of Go's `url.Parse` that Atmo reported for connection addresses (`failed to parse serverAddress as
 * URL: …`). Go's parser is lenient (`localhost:6379` parses, as scheme `localhost` and an opaque rest); it fails on
 * control characters, a leading colon, a first path segment holding a colon when no scheme can be read, a bad host
 * or port in the authority, bad userinfo, and bad percent-escapes (in the host, userinfo, path or fragment, never in
 * the query). The checks run in Go's order, so the first failure Go meets is the one reported.
 *
 * @module
 */

/** Go's error text for `value`, or `undefined` when Go would parse it. */
export function goUrlParseError(value: string): string | undefined {
  const hash = value.indexOf('#');
  const beforeFragment = hash >= 0 ? value.slice(0, hash) : value;
  const error = parseError(beforeFragment);
  if (error) return `parse ${goQuote(beforeFragment)}: ${error}`;
  if (hash >= 0) {
    const fragmentError = unescapeError(value.slice(hash + 1), 'fragment');
    if (fragmentError) return `parse ${goQuote(value)}: ${fragmentError}`;
  }
  return undefined;
}

type Mode = 'host' | 'zone' | 'path' | 'userinfo' | 'fragment';

function parseError(raw: string): string | undefined {
  if ([...raw].some(isControlCharacter)) return 'net/url: invalid control character in URL';
  if (raw === '*') return undefined;
  if (raw.startsWith(':')) return 'missing protocol scheme';
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(raw)?.[0];
  let rest = scheme ? raw.slice(scheme.length) : raw;
  if (rest.endsWith('?') && rest.indexOf('?') === rest.length - 1) rest = rest.slice(0, -1);
  else if (rest.includes('?')) rest = rest.slice(0, rest.indexOf('?'));
  if (!rest.startsWith('/')) {
    if (scheme) return undefined; // opaque: nothing more is checked
    if ((rest.split('/')[0] ?? '').includes(':')) return 'first path segment in URL cannot contain colon';
  }
  if ((scheme || !rest.startsWith('///')) && rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const authority = slash >= 0 ? rest.slice(2, slash) : rest.slice(2);
    rest = slash >= 0 ? rest.slice(slash) : '';
    const authorityError = parseAuthorityError(authority);
    if (authorityError) return authorityError;
  }
  return unescapeError(rest, 'path');
}

function parseAuthorityError(authority: string): string | undefined {
  const at = authority.lastIndexOf('@');
  const hostError = parseHostError(at < 0 ? authority : authority.slice(at + 1));
  if (hostError || at < 0) return hostError;
  const userinfo = authority.slice(0, at);
  if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(userinfo)) return 'net/url: invalid userinfo';
  const colon = userinfo.indexOf(':');
  if (colon < 0) return unescapeError(userinfo, 'userinfo');
  return unescapeError(userinfo.slice(0, colon), 'userinfo') ?? unescapeError(userinfo.slice(colon + 1), 'userinfo');
}

function parseHostError(host: string): string | undefined {
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close < 0) return "missing ']' in host";
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort)) return `invalid port ${goQuote(colonPort)} after host`;
    const zone = host.slice(0, close).indexOf('%25');
    if (zone >= 0) {
      return unescapeError(host.slice(0, zone), 'host') ?? unescapeError(host.slice(zone, close), 'zone') ?? unescapeError(host.slice(close), 'host');
    }
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0 && !validOptionalPort(host.slice(colon))) return `invalid port ${goQuote(host.slice(colon))} after host`;
  }
  return unescapeError(host, 'host');
}

function validOptionalPort(port: string): boolean {
  return port === '' || /^:[0-9]*$/.test(port);
}

/** Go's `unescape` checks: well-formed `%XX` escapes, and in a host only allowed characters. */
function unescapeError(text: string, mode: Mode): string | undefined {
  const isHost = mode === 'host' || mode === 'zone';
  for (let index = 0; index < text.length; ) {
    const char = text[index] as string;
    if (char === '%') {
      const escape = text.slice(index, index + 3);
      if (!/^%[0-9A-Fa-f]{2}$/.test(escape)) return `invalid URL escape ${goQuote(escape)}`;
      const byte = Number.parseInt(escape.slice(1), 16);
      if (mode === 'host' && byte < 0x80 && escape !== '%25') return `invalid URL escape ${goQuote(escape)}`;
      if (mode === 'zone' && escape !== '%25' && byte !== 0x20 && byte < 0x80 && !HOST_CHAR.test(String.fromCharCode(byte))) {
        return `invalid URL escape ${goQuote(escape)}`;
      }
      index += 3;
    } else {
      if (isHost && char.charCodeAt(0) < 0x80 && !HOST_CHAR.test(char)) return `invalid character ${goQuote(char)} in host name`;
      index += 1;
    }
  }
  return undefined;
}

/** The ASCII characters Go leaves unescaped in a host (unreserved, sub-delims, `:[]<>"`). */
const HOST_CHAR = /^[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"]$/;

/** Go's `%q` (strconv.Quote) for the characters a URL may hold. */
function goQuote(text: string): string {
  const short: Record<string, string> = { '\u0007': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\' };
  let quoted = '"';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (short[char]) quoted += short[char];
    else if (code < 0x20 || code === 0x7f) quoted += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0x80 && code < 0xa0) quoted += `\\u${code.toString(16).padStart(4, '0')}`;
    else quoted += char;
  }
  return `${quoted}"`;
}

function isControlCharacter(character: string): boolean {
  const code = character.charCodeAt(0);
  return code < 0x20 || code === 0x7f;
}
