/**
 * Go's `net/url` as Atmo v0.4.7 (built with Go 1.18) used it: `url.Parse`, `URL.EscapedPath`, `URL.RequestURI`,
 * `URL.String` and `url.ParseQuery`. Atmo parsed connection addresses (`failed to parse serverAddress as URL: …`),
 * the request URL a module reads its query from (`request_get_field`), and the URL of `fetch_url` with it, so e2rx
 * reads them the same way.
 *
 * Go's parser is lenient (`localhost:6379` parses, as scheme `localhost` and an opaque rest; dot segments stay as
 * written); it fails on control characters, a leading colon, a first path segment holding a colon when no scheme can
 * be read, a bad host or port in the authority, bad userinfo, and bad percent-escapes (in the host, userinfo, path or
 * fragment, never in the query). The checks run in Go's order, so the first failure Go meets is the one reported.
 *
 * Go works on bytes. So does this module: its strings are byte strings (one character per byte, as Latin-1 decodes
 * them; `toByteString` and `fromByteString` in `go-bytes.ts` convert), so that an escape such as `%C3` keeps the lone byte
 * Go keeps.
 *
 * @module
 */

import { goQuote, toByteString } from './go-bytes.js';
import { goEscape, goUnescape, type GoUnescaped, isDigit, isLetter, validEncoded } from './go-escape.js';

export { fromByteString, toByteString } from './go-bytes.js';

/** A URL as Go's `url.Parse` splits it. Every field is a byte string (see the module comment). */
export interface GoUrl {
  /** Lower-cased, without the colon; empty when none. */
  readonly scheme: string;
  /** What follows `scheme:` when it does not start with a slash (`mailto:a@b`), before any query. */
  readonly opaque: string;
  /** The userinfo, unescaped, when the authority had one. */
  readonly user: { readonly username: string; readonly password: string | undefined } | undefined;
  /** The host and port, unescaped (`example.com:8080`, `[::1]:80`). */
  readonly host: string;
  /** The path as written (still escaped). */
  readonly rawPath: string;
  /** The query as written, without its `?`. */
  readonly rawQuery: string;
  /** Whether the URL ended with a lone `?`. */
  readonly forceQuery: boolean;
  /** The fragment as written (still escaped), without its `#`; undefined when there was none. */
  readonly rawFragment: string | undefined;
}

/** The outcome of {@link parseGoUrl}: the URL, or Go's error text (`parse "<url>": <reason>`). */
export type GoUrlParse = { readonly url: GoUrl; readonly error?: undefined } | { readonly url?: undefined; readonly error: string };

/**
 * Parses `raw` as Go's `url.Parse` does.
 *
 * @example
 * ```ts
 * parseGoUrl('http://x/echo/../echo/dots?q=a b').url?.rawPath; // '/echo/../echo/dots'
 * parseGoUrl(' http://x/').error; // 'parse " http://x/": first path segment in URL cannot contain colon'
 * ```
 */
export function parseGoUrl(raw: string): GoUrlParse {
  const bytes = toByteString(raw);
  const hash = bytes.indexOf('#');
  const beforeFragment = hash >= 0 ? bytes.slice(0, hash) : bytes;
  const parsed = parse(beforeFragment);
  if (typeof parsed === 'string') return { error: `parse ${goQuote(beforeFragment)}: ${parsed}` };
  if (hash < 0) return { url: parsed };
  const rawFragment = bytes.slice(hash + 1);
  const fragmentError = goUnescape(rawFragment, 'fragment').error;
  if (fragmentError !== undefined) return { error: `parse ${goQuote(bytes)}: ${fragmentError}` };
  return { url: rawFragment === '' ? parsed : { ...parsed, rawFragment } };
}

/** Go's error text for `value`, or `undefined` when Go would parse it. */
export function goUrlParseError(value: string): string | undefined {
  return parseGoUrl(value).error;
}

/** `parse(rawURL, viaRequest=false)`: the URL, or the reason it is refused. */
function parse(raw: string): GoUrl | string {
  if (hasControlByte(raw)) return 'net/url: invalid control character in URL';
  const empty: GoUrl = { scheme: '', opaque: '', user: undefined, host: '', rawPath: '', rawQuery: '', forceQuery: false, rawFragment: undefined };
  if (raw === '*') return { ...empty, rawPath: '*' };
  const scheme = getScheme(raw);
  if (scheme === undefined) return 'missing protocol scheme';
  let rest = scheme === '' ? raw : raw.slice(scheme.length + 1);
  let rawQuery = '';
  let forceQuery = false;
  const question = rest.indexOf('?');
  if (question >= 0 && question === rest.length - 1) {
    forceQuery = true;
    rest = rest.slice(0, -1);
  } else if (question >= 0) {
    rawQuery = rest.slice(question + 1);
    rest = rest.slice(0, question);
  }
  const url = { ...empty, scheme: scheme.toLowerCase(), rawQuery, forceQuery };
  if (!rest.startsWith('/')) {
    if (scheme !== '') return { ...url, opaque: rest };
    if ((rest.split('/')[0] ?? '').includes(':')) return 'first path segment in URL cannot contain colon';
  }
  let user: GoUrl['user'];
  let host = '';
  if ((scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const authority = slash >= 0 ? rest.slice(2, slash) : rest.slice(2);
    rest = slash >= 0 ? rest.slice(slash) : '';
    const parsed = parseAuthority(authority);
    if (typeof parsed === 'string') return parsed;
    ({ user, host } = parsed);
  }
  const pathError = goUnescape(rest, 'path').error;
  if (pathError !== undefined) return pathError;
  return { ...url, user, host, rawPath: rest };
}

/** The scheme (empty when none can be read), or undefined for a leading colon. */
function getScheme(raw: string): string | undefined {
  for (let i = 0; i < raw.length; i += 1) {
    const c = raw.charCodeAt(i);
    if (isLetter(c)) continue;
    if (isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e) {
      if (i === 0) return '';
      continue;
    }
    if (c === 0x3a) return i === 0 ? undefined : raw.slice(0, i);
    return '';
  }
  return '';
}

function parseAuthority(authority: string): { user: GoUrl['user']; host: string } | string {
  const at = authority.lastIndexOf('@');
  const host = parseHost(at < 0 ? authority : authority.slice(at + 1));
  if (host.error !== undefined) return host.error;
  if (at < 0) return { user: undefined, host: host.value };
  const userinfo = authority.slice(0, at);
  if (!USERINFO.test(userinfo)) return 'net/url: invalid userinfo';
  const colon = userinfo.indexOf(':');
  const username = goUnescape(colon < 0 ? userinfo : userinfo.slice(0, colon), 'userinfo');
  if (username.error !== undefined) return username.error;
  if (colon < 0) return { user: { username: username.value, password: undefined }, host: host.value };
  const password = goUnescape(userinfo.slice(colon + 1), 'userinfo');
  if (password.error !== undefined) return password.error;
  return { user: { username: username.value, password: password.value }, host: host.value };
}

/** The characters Go lets a userinfo hold (`validUserinfo`; bytes from 0x80 are refused too). */
const USERINFO = /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/;

function parseHost(host: string): GoUnescaped {
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close < 0) return { error: "missing ']' in host" };
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort)) return { error: `invalid port ${goQuote(colonPort)} after host` };
    const zone = host.slice(0, close).indexOf('%25');
    if (zone >= 0) {
      const before = goUnescape(host.slice(0, zone), 'host');
      if (before.error !== undefined) return before;
      const inside = goUnescape(host.slice(zone, close), 'zone');
      if (inside.error !== undefined) return inside;
      const after = goUnescape(host.slice(close), 'host');
      if (after.error !== undefined) return after;
      return { value: before.value + inside.value + after.value };
    }
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0 && !validOptionalPort(host.slice(colon))) return { error: `invalid port ${goQuote(host.slice(colon))} after host` };
  }
  return goUnescape(host, 'host');
}

function validOptionalPort(port: string): boolean {
  return port === '' || /^:[0-9]*$/.test(port);
}

/**
 * Go's `URL.EscapedPath`: the path as written when it is a valid escaping, else the path re-escaped (a space as
 * `%20`, bytes from 0x80 as `%XX`).
 */
export function goEscapedPath(url: GoUrl): string {
  if (url.rawPath === '*' || validEncoded(url.rawPath, 'path')) return url.rawPath;
  return goEscape(goUnescape(url.rawPath, 'path').value ?? '', 'path');
}

/**
 * Go's `URL.RequestURI`: the escaped path (or `/`), or the opaque part, then `?` and the query as written.
 *
 * @example
 * ```ts
 * goRequestUri(parseGoUrl('http://x/a b?q=é').url!); // '/a%20b?q=Ã©' (a byte string: the query's raw UTF-8)
 * ```
 */
export function goRequestUri(url: GoUrl): string {
  let result = url.opaque;
  if (result === '') result = goEscapedPath(url) || '/';
  else if (result.startsWith('//')) result = `${url.scheme}:${result}`;
  return url.forceQuery || url.rawQuery !== '' ? `${result}?${url.rawQuery}` : result;
}

/**
 * Go's `URL.String` (Go 1.18); with `redact`, `user:***@` for a userinfo with a password, as Go's HTTP client quotes
 * a URL in its errors.
 */
export function goUrlString(url: GoUrl, redact = false): string {
  let out = url.scheme === '' ? '' : `${url.scheme}:`;
  if (url.opaque !== '') out += url.opaque;
  else {
    const path = goEscapedPath(url);
    if (url.scheme !== '' || url.host !== '' || url.user !== undefined) {
      if (url.host !== '' || path !== '' || url.user !== undefined) out += '//';
      if (url.user !== undefined) {
        // Go's client (stripPassword) writes the username unescaped beside the hidden password.
        if (redact && url.user.password !== undefined) out += `${url.user.username}:***`;
        else {
          out += goEscape(url.user.username, 'userinfo');
          if (url.user.password !== undefined) out += `:${goEscape(url.user.password, 'userinfo')}`;
        }
        out += '@';
      }
      out += goEscape(url.host, 'host');
    }
    if (path !== '' && !path.startsWith('/') && url.host !== '') out += '/';
    if (out === '' && (path.split('/')[0] ?? '').includes(':')) out += './';
    out += path;
  }
  if (url.forceQuery || url.rawQuery !== '') out += `?${url.rawQuery}`;
  if (url.rawFragment !== undefined) {
    const fragment = goUnescape(url.rawFragment, 'fragment').value ?? '';
    if (fragment !== '') out += `#${validEncoded(url.rawFragment, 'fragment') ? url.rawFragment : goEscape(fragment, 'fragment')}`;
  }
  return out;
}

/**
 * The first value of `key` in a raw query, as Go's `url.ParseQuery(rawQuery).Get(key)` gives it (Go 1.17 and later):
 * pairs split on `&`; a pair holding `;` is dropped; a pair whose name or value has a bad escape is dropped (the
 * next ones still count); `+` is a space; `%XX` gives the byte, whatever it is. `undefined` when no pair has the name.
 *
 * @example
 * ```ts
 * goQueryValue('a;b=1&b=%zz&b=2&b=3', 'b'); // '2'
 * ```
 */
export function goQueryValue(rawQuery: string, key: string): string | undefined {
  for (const pair of rawQuery.split('&')) {
    if (pair === '' || pair.includes(';')) continue;
    const equals = pair.indexOf('=');
    const name = goUnescape(equals < 0 ? pair : pair.slice(0, equals), 'query');
    if (name.value !== key) continue;
    const value = goUnescape(equals < 0 ? '' : pair.slice(equals + 1), 'query');
    if (value.value !== undefined) return value.value;
  }
  return undefined;
}

function hasControlByte(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
