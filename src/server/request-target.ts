/**
 * The request target as Atmo's server read it (Go's `net/http`, `url.ParseRequestURI`): the path is percent-decoded
 * before it is routed (`/users/a%2Fb` is the path `/users/a/b`), an invalid escape (`%zz`) is a bad request, `#` is
 * part of the path, and the query is everything after the first `?`.
 *
 * Most targets need none of this: {@link isPlainTarget} tells them apart with two scans, and the router takes them
 * as they are.
 *
 * @module
 */

/** A request target, read: the decoded path, the same path as the router takes it, and the raw query. */
export interface RequestTarget {
  /** The decoded path (`/users/a/b` for `/users/a%2Fb`); bytes that are not UTF-8 read as U+FFFD. */
  readonly path: string;
  /** {@link path} for the router: its `%`, `?` and `#` escaped again, so that find-my-way neither splits nor decodes them. */
  readonly routable: string;
  /** The query with its `?` (`?a=1`), or `''` when the target has none. */
  readonly query: string;
}

/** A request target that cannot be read: why, in Go's words (`invalid URL escape "%zz"`). */
export interface InvalidTarget {
  readonly invalid: string;
}

/**
 * Whether the router may take the target as it is: an origin-form path with no percent-escape and no `#`.
 *
 * @example
 * ```ts
 * isPlainTarget('/users/7?full=1'); // true
 * isPlainTarget('/users/a%2Fb');    // false
 * ```
 */
export function isPlainTarget(url: string): boolean {
  return url.charCodeAt(0) === 47 && url.indexOf('%') === -1 && url.indexOf('#') === -1;
}

/**
 * Reads a request target as Go's `url.ParseRequestURI` did: origin form (`/path?query`), absolute form
 * (`http://host/path`) or `*`.
 *
 * @example
 * ```ts
 * readTarget('/tinygo/req/a%2Fb?x=1'); // { path: '/tinygo/req/a/b', routable: '/tinygo/req/a/b', query: '?x=1' }
 * readTarget('/tinygo/req/%zz');       // { invalid: 'invalid URL escape "%zz"' }
 * ```
 */
export function readTarget(url: string): RequestTarget | InvalidTarget {
  if (url === '*') return { path: '*', routable: '*', query: '' };
  let start = 0;
  if (url.charCodeAt(0) !== 47) {
    const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?]*/.exec(url);
    if (authority === null) return { invalid: 'invalid URI for request' };
    start = authority[0].length;
  }
  const mark = url.indexOf('?', start);
  const raw = url.slice(start, mark === -1 ? url.length : mark);
  const query = mark === -1 ? '' : url.slice(mark);
  const path = raw === '' ? '/' : raw.indexOf('%') === -1 ? raw : decodePath(raw);
  if (typeof path !== 'string') return path;
  return { path, routable: routablePath(path), query };
}

/** The characters find-my-way reads in a path: `%` (an escape), `?` and `#` (the end of the path). */
const ROUTER_SPECIAL = /[%?#]/;
const ROUTER_SPECIALS = /[%?#]/g;

function escapeChar(char: string): string {
  return `%${char.charCodeAt(0).toString(16).toUpperCase()}`;
}

/**
 * A decoded path as find-my-way must be given it to route it as it is: its `%`, `?` and `#` escaped (the router
 * decodes them back in parameters).
 *
 * @example
 * ```ts
 * routablePath('/files/100%'); // '/files/100%25'
 * ```
 */
export function routablePath(path: string): string {
  return ROUTER_SPECIAL.test(path) ? path.replace(ROUTER_SPECIALS, escapeChar) : path;
}

/** Percent-decodes a path of ASCII characters (Node's parser lets no other through), or says which escape is invalid. */
function decodePath(raw: string): string | InvalidTarget {
  const bytes = Buffer.from(raw, 'latin1');
  let length = 0;
  for (let index = 0; index < bytes.length; index += 1) {
    const byte = bytes[index] as number;
    if (byte !== 37) {
      bytes[length++] = byte;
      continue;
    }
    const high = hexValue(bytes[index + 1]);
    const low = hexValue(bytes[index + 2]);
    if (high < 0 || low < 0) return { invalid: `invalid URL escape "${raw.slice(index, index + 3)}"` };
    bytes[length++] = (high << 4) | low;
    index += 2;
  }
  return bytes.toString('utf8', 0, length);
}

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 48 && byte <= 57) return byte - 48;
  if (byte >= 65 && byte <= 70) return byte - 55;
  if (byte >= 97 && byte <= 102) return byte - 87;
  return -1;
}

/** The characters Go's `url.PathEscape`-like path escaping (`escape(s, encodePath)`) leaves as they are. */
const PATH_SAFE = /^[A-Za-z0-9\-_.~$&+,/:;=@]*$/;

/**
 * Escapes a decoded path as Go's `URL.EscapedPath` does for a path it rebuilt: every byte but the unreserved
 * characters and `$&+,/:;=@` becomes `%XX` (upper-case hex).
 *
 * @example
 * ```ts
 * escapePath('/tinygo/req/café'); // '/tinygo/req/caf%C3%A9'
 * ```
 */
export function escapePath(path: string): string {
  if (PATH_SAFE.test(path)) return path;
  let out = '';
  for (const byte of Buffer.from(path, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += byte < 128 && PATH_SAFE.test(char) ? char : `%${byte < 16 ? '0' : ''}${byte.toString(16).toUpperCase()}`;
  }
  return out;
}

/**
 * Cleans a path as httprouter's `CleanPath` does: one `/` between segments, `.` and `..` resolved, rooted, a
 * trailing slash kept.
 *
 * @example
 * ```ts
 * cleanPath('//x/../tinygo/./req/'); // '/tinygo/req/'
 * ```
 */
export function cleanPath(path: string): string {
  if (path === '') return '/';
  const kept: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') kept.pop();
    else kept.push(segment);
  }
  const cleaned = `/${kept.join('/')}`;
  return path.length > 1 && path.endsWith('/') && cleaned !== '/' ? `${cleaned}/` : cleaned;
}
