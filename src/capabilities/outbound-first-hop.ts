/**
 * The first hop of an outbound request: the guest's URL read with Go's `url.Parse`, as Atmo read it, and Go's
 * `url.Error` style of quoting a URL in an error.
 *
 * @module
 */
import { goEscapedPath, goRequestUri, goUrlString, parseGoUrl } from '../directive/go-url.js';
import { outboundHttpError } from './outbound-http-error.js';

/** Go's `url.Error` style: `Get "http://x/": reason`. */
export function goStyle(method: string, url: string, reason: string): string {
  const op = method.length === 0 ? method : method[0] + method.slice(1).toLowerCase();
  return `${op} "${url}": ${reason}`;
}

/** The first hop of a request, read from the guest's URL as Atmo read it. */
export interface FirstHop {
  /** The scheme and host as Go read them, with Go's escaped path and query: what the rules check and the socket dials. */
  readonly url: URL;
  /** The request target sent: Go's `RequestURI`, a space in the query written `%20`. */
  readonly target: string;
  /** The URL as Go's client quoted it in errors (`URL.String`, the password hidden). */
  readonly shown: string;
  /** `Basic …` for a URL with userinfo, which Go's client sent when nothing else set `Authorization`. */
  readonly basic: string | undefined;
}

const utf8 = (bytes: string): string => Buffer.from(bytes, 'latin1').toString('utf8');

/**
 * Reads the guest's URL with Go's `url.Parse`, as Atmo did (`<parseFailure>: parse …` when Go refused it): the path is
 * sent as written (dot segments kept) or re-escaped as Go did, the query as written (its UTF-8 bytes raw). The host
 * is then read by the WHATWG parser for the rules and the connection, so both always see the same host; the path can
 * never move it (it is set on that URL, not parsed with it).
 *
 * A space in the query is the one thing sent differently: Go wrote it raw into the request line, which the server
 * then misread; e2rx writes `%20` (docs/deviations.md).
 */
export function firstHop(method: string, raw: string, parseFailure: string): FirstHop {
  const parsed = parseGoUrl(raw);
  if (parsed.url === undefined) throw outboundHttpError('invalid', `${parseFailure}: ${utf8(parsed.error)}`);
  const go = parsed.url;
  const shown = utf8(goUrlString(go, true));
  if (go.scheme !== 'http' && go.scheme !== 'https') {
    throw outboundHttpError('invalid', goStyle(method, shown, `unsupported protocol scheme ${JSON.stringify(go.scheme)}`));
  }
  if (go.host === '') throw outboundHttpError('invalid', goStyle(method, shown, 'http: no Host in request URL'));
  let url: URL;
  try {
    url = new URL(`${go.scheme}://${utf8(go.host)}`);
  } catch {
    throw outboundHttpError('invalid', goStyle(method, shown, 'invalid URL'));
  }
  const target = goRequestUri(go).replaceAll(' ', '%20');
  // The path and query only serve to resolve a relative redirect: set as components, they cannot change the host.
  url.pathname = goEscapedPath(go) || '/';
  url.search = utf8(go.rawQuery);
  const basic =
    go.user === undefined ? undefined : `Basic ${Buffer.from(`${go.user.username}:${go.user.password ?? ''}`, 'latin1').toString('base64')}`;
  return { url, target, shown, basic };
}
