/**
 * The outbound HTTP client shared by the `http` (fetch_url) and `graphql` capabilities.
 *
 * Built on `node:http` / `node:https` rather than `fetch` so that the connection can be pinned: every hop of a request
 * is checked by {@link checkRequestTarget}, which resolves the host once, and the socket then connects only to those
 * checked addresses through a custom `lookup`. A name that resolves to a public address for the check and to a private
 * one a moment later (DNS rebinding) therefore cannot reach the private one.
 *
 * Redirects (301, 302, 303, 307, 308) are followed up to a limit, and every rule is checked again on each hop, so a
 * public server cannot redirect a guest to `http://169.254.169.254/` when `allowPrivate` is false. One deadline covers
 * the whole exchange (DNS, connect, redirects, body), and the response body is capped.
 *
 * @module
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import { goEscapedPath, goRequestUri, goUrlString, parseGoUrl } from '../directive/go-url.js';
import type { AuthHeader, HttpRules } from '../directive/capability-config.js';
import { goDialError } from './go-dial-error.js';
import { outboundHttpError, outboundHttpFailure } from './outbound-http-error.js';
export { outboundHttpError, outboundHttpFailure, type OutboundHttpFailure } from './outbound-http-error.js';
import { checkRequestTarget, HTTP_RULE_ERRORS, type DnsResolver, type ResolvedAddress } from './http-rules.js';

/** The default number of redirects followed before giving up. */
export const DEFAULT_MAX_REDIRECTS = 5;

/** A request to send: a method name, an absolute URL, header pairs in order, a body. */
export interface OutboundRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array;
}

/** A response: the final status, headers and body, and the URL that produced them (after redirects). */
export interface OutboundResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Uint8Array;
  readonly url: string;
}

/**
 * Maps a checked address to the address actually dialled. Only for tests, where a fake public name must reach a
 * server on loopback; it runs after every rule has been checked against the resolved address.
 */
export type DialOverride = (address: ResolvedAddress, port: number) => ResolvedAddress;

/** What an {@link OutboundHttpClient} needs for each request. */
export interface OutboundOptions {
  readonly rules: HttpRules;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  /** The `Authorization` value to add for a URL, or `undefined` (see {@link authHeaderFor}). */
  readonly authorizationFor: (url: URL, rawUrl: string) => string | undefined;
  /** What a URL Go's parser refuses is reported under (`failed to url.Parse`, the default, as Atmo's fetch_url). */
  readonly parseFailure?: string;
}

/** The injectable parts of the client. */
export interface OutboundClientOptions {
  /** Name resolution for the rules and the pinned connection; the system resolver by default. */
  readonly resolver: DnsResolver;
  /** Redirects followed before failing; {@link DEFAULT_MAX_REDIRECTS} by default. */
  readonly maxRedirects?: number;
  /** Test seam, see {@link DialOverride}. */
  readonly dial?: DialOverride;
}

/** An HTTP client that enforces the rules on every hop; one per capability, closed with the host services. */
export interface OutboundHttpClient {
  send(request: OutboundRequest, options: OutboundOptions): Promise<OutboundResponse>;
  close(): void;
}

/** Headers a guest may not set: they belong to the transport (Go's client ignores them too). */
const TRANSPORT_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'proxy-connection',
  'proxy-authorization',
]);

/** Headers dropped when a redirect leaves the original host (as Go's client does). */
const CREDENTIAL_HEADERS = new Set(['authorization', 'www-authenticate', 'cookie', 'cookie2']);

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

const RULE_TEXTS = new Set<string>(Object.values(HTTP_RULE_ERRORS));

/** Go's `url.Error` style: `Get "http://x/": reason`. */
function goStyle(method: string, url: string, reason: string): string {
  const op = method.length === 0 ? method : method[0] + method.slice(1).toLowerCase();
  return `${op} "${url}": ${reason}`;
}

/**
 * A `lookup` that answers with the checked addresses whatever name it is asked for: the connection goes where the rules
 * said it may.
 *
 * @example
 * ```ts
 * http.request({ hostname: 'example.com', lookup: pinnedLookup([{ address: '93.184.216.34', family: 4 }]) });
 * ```
 */
export function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return ((_hostname: string, options: { all?: boolean } | number | undefined, callback: (...args: unknown[]) => void) => {
    const all = typeof options === 'object' && options !== null && options.all === true;
    const first = addresses[0];
    if (first === undefined) {
      const error = Object.assign(new Error('no checked address to connect to'), { code: 'ENOTFOUND' });
      process.nextTick(() => callback(error));
      return;
    }
    if (all) process.nextTick(() => callback(null, addresses.map((a) => ({ address: a.address, family: a.family }))));
    else process.nextTick(() => callback(null, first.address, first.family));
  }) as LookupFunction;
}

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

/** The first hop of a request, read from the guest's URL as Atmo read it. */
interface FirstHop {
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
function firstHop(method: string, raw: string, parseFailure: string): FirstHop {
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

/** The next request of a redirect chain, or `undefined` when the response is final. */
function redirectTarget(
  status: number,
  location: string | undefined,
  current: URL,
): URL | undefined {
  if (!REDIRECT_STATUSES.has(status) || location === undefined) return undefined;
  try {
    return new URL(location, current);
  } catch {
    return undefined;
  }
}

/**
 * Creates an {@link OutboundHttpClient} with its own keep-alive agents. Reused sockets only ever lead to addresses that
 * passed the rules when they were opened.
 *
 * @example
 * ```ts
 * const client = createOutboundHttpClient({ resolver: SYSTEM_DNS_RESOLVER });
 * const response = await client.send(
 *   { method: 'GET', url: 'https://example.com/', headers: [], body: new Uint8Array() },
 *   { rules: DEFAULT_HTTP_RULES, timeoutMs: 5000, maxResponseBytes: 1 << 20, authorizationFor: () => undefined },
 * );
 * client.close();
 * ```
 */
export function createOutboundHttpClient(clientOptions: OutboundClientOptions): OutboundHttpClient {
  const httpAgent = new http.Agent({ keepAlive: true });
  const httpsAgent = new https.Agent({ keepAlive: true });
  const maxRedirects = clientOptions.maxRedirects ?? DEFAULT_MAX_REDIRECTS;

  async function send(request: OutboundRequest, options: OutboundOptions): Promise<OutboundResponse> {
    const controller = new AbortController();
    const timeoutError = (url: string, method: string) =>
      outboundHttpError('timeout', goStyle(method, url, `client timeout exceeded (${options.timeoutMs} ms)`));
    // One deadline for the whole exchange; the timer never keeps the process alive and is cleared at the end.
    const timer = setTimeout(() => controller.abort(), options.timeoutMs);
    timer.unref();
    const deadline = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
    deadline.catch(() => undefined);
    const finish = () => clearTimeout(timer);

    let first: FirstHop;
    try {
      first = firstHop(request.method, request.url, options.parseFailure ?? 'failed to url.Parse');
    } catch (error) {
      finish();
      throw error;
    }
    let url = first.url;
    let method = request.method;
    let body = request.body;
    let headers = request.headers.filter(([name]) => !TRANSPORT_HEADERS.has(name.toLowerCase()));
    const guestAuthorization = headers.some(([name]) => name.toLowerCase() === 'authorization');
    const originalHost = url.host;
    let rawUrl = request.url;
    /** How the URL is quoted in errors: Go's form for the guest's URL, then each redirect's. */
    let shown = first.shown;
    /** The request target of the first hop is Go's; a redirect's is its WHATWG form. */
    let target: string | undefined = first.target;

    try {
      for (let hop = 0; ; hop += 1) {
        if (url.protocol !== 'http:' && url.protocol !== 'https:') {
          throw outboundHttpError(
            'invalid',
            goStyle(method, rawUrl, `unsupported protocol scheme "${url.protocol.slice(0, -1)}"`),
          );
        }
        const verdict = await Promise.race([checkRequestTarget(url, options.rules, clientOptions.resolver), deadline]).catch(
          (error: unknown) => {
            if (controller.signal.aborted) throw timeoutError(shown, method);
            throw error;
          },
        );
        if (!verdict.allowed) {
          // A rule refusing the first hop gives the original's bare text; a refused redirect says where it was going,
          // and so does a failed lookup (as Go's `Get "url": lookup host: no such host`).
          const isRule = RULE_TEXTS.has(verdict.reason);
          throw outboundHttpError(
            isRule ? 'rule' : 'transport',
            isRule && hop === 0 ? verdict.reason : goStyle(method, shown, verdict.reason),
          );
        }

        const outgoing: Record<string, string | string[]> = {};
        for (const [name, value] of headers) {
          const key = name.toLowerCase();
          const existing = outgoing[key];
          if (existing === undefined) outgoing[key] = value;
          else outgoing[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
        }
        const authorization = options.authorizationFor(url, rawUrl);
        if (authorization !== undefined) outgoing['authorization'] = authorization;
        else if (hop === 0 && first.basic !== undefined && !guestAuthorization) outgoing['authorization'] = first.basic;
        if (body.length > 0 || method === 'POST' || method === 'PUT' || method === 'PATCH') {
          outgoing['content-length'] = String(body.length);
        }
        if (outgoing['user-agent'] === undefined) outgoing['user-agent'] = 'e2rx';

        const dialled =
          clientOptions.dial === undefined
            ? verdict.addresses
            : verdict.addresses.length > 0
              ? verdict.addresses.map((address) => clientOptions.dial!(address, verdict.port))
              : [clientOptions.dial({ address: verdict.hostname, family: verdict.hostname.includes(':') ? 6 : 4 }, verdict.port)];
        const isHttps = url.protocol === 'https:';
        const response = await exchange({
          isHttps,
          agent: isHttps ? httpsAgent : httpAgent,
          hostname: verdict.hostname,
          // An IP literal is dialled directly (no lookup) unless a test seam redirects it.
          connectHost: verdict.addresses.length === 0 ? (dialled[0]?.address ?? verdict.hostname) : verdict.hostname,
          lookup: verdict.addresses.length === 0 ? undefined : pinnedLookup(dialled),
          port: verdict.port,
          path: target ?? `${url.pathname}${url.search}`,
          method,
          headers: outgoing,
          body,
          signal: controller.signal,
          maxResponseBytes: options.maxResponseBytes,
          readBody: (status, location) => redirectTarget(status, location, url) === undefined,
        }).catch((error: unknown) => {
          if (controller.signal.aborted) throw timeoutError(shown, method);
          const failure = outboundHttpFailure(error);
          if (failure !== undefined) {
            throw outboundHttpError(failure, goStyle(method, shown, (error as Error).message), { cause: error });
          }
          const code = (error as { code?: unknown }).code;
          const reason = goDialError(error) ?? (error instanceof Error ? error.message : String(error));
          throw outboundHttpError('transport', goStyle(method, shown, reason), { cause: { code, error } });
        });

        const location = response.headers.location;
        const next = redirectTarget(response.status, location, url);
        if (next === undefined) return { ...response, url: url.href };
        if (hop + 1 > maxRedirects) {
          throw outboundHttpError('redirects', goStyle(method, next.href, `stopped after ${maxRedirects} redirects`));
        }
        // As Go's client: 301/302/303 turn into a GET without body (GET and HEAD stay); 307/308 keep method and body.
        if (response.status === 301 || response.status === 302 || response.status === 303) {
          if (method !== 'HEAD') method = 'GET';
          body = new Uint8Array();
          headers = headers.filter(([name]) => name.toLowerCase() !== 'content-type');
        }
        if (next.host !== originalHost) {
          headers = headers.filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase()));
        }
        url = next;
        rawUrl = next.href;
        shown = next.href;
        target = undefined;
      }
    } finally {
      finish();
    }
  }

  return {
    send,
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

interface ExchangeOptions {
  readonly isHttps: boolean;
  readonly agent: http.Agent;
  readonly hostname: string;
  readonly connectHost: string;
  readonly lookup: LookupFunction | undefined;
  readonly port: number;
  readonly path: string;
  readonly method: string;
  readonly headers: Record<string, string | string[]>;
  readonly body: Uint8Array;
  readonly signal: AbortSignal;
  readonly maxResponseBytes: number;
  /** Whether the body of a response with this status and location is wanted (not for a redirect). */
  readonly readBody: (status: number, location: string | undefined) => boolean;
}

/** One request/response over a pinned connection. */
function exchange(options: ExchangeOptions): Promise<Omit<OutboundResponse, 'url'>> {
  return new Promise((resolve, reject) => {
    const requestOptions: https.RequestOptions = {
      agent: options.agent,
      host: options.connectHost,
      port: options.port,
      path: options.path,
      method: options.method,
      headers: { host: hostHeader(options.hostname, options.port, options.isHttps), ...options.headers },
      signal: options.signal,
      ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
      // TLS verifies the certificate against the name, whatever address the socket was pinned to.
      ...(options.isHttps && !options.hostname.includes(':') && !/^[\d.]+$/.test(options.hostname)
        ? { servername: options.hostname }
        : {}),
    };
    let request: http.ClientRequest;
    try {
      request = (options.isHttps ? https : http).request(requestOptions);
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    request.on('error', reject);
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      if (!options.readBody(status, response.headers.location)) {
        response.resume();
        resolve({ status, headers: response.headers, body: new Uint8Array() });
        return;
      }
      const declared = Number(response.headers['content-length']);
      const tooLarge = () =>
        outboundHttpError('too-large', `response body exceeds the limit of ${options.maxResponseBytes} bytes`);
      if (Number.isFinite(declared) && declared > options.maxResponseBytes) {
        reject(tooLarge()); // first: destroying emits events that would reject with a vaguer reason
        response.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxResponseBytes) {
          reject(tooLarge());
          response.destroy();
          return;
        }
        chunks.push(chunk);
      });
      response.on('error', reject);
      response.on('aborted', () => reject(new Error('response aborted')));
      response.on('end', () => {
        const bodyBytes = new Uint8Array(size);
        let offset = 0;
        for (const chunk of chunks) {
          bodyBytes.set(chunk, offset);
          offset += chunk.length;
        }
        resolve({ status, headers: response.headers, body: bodyBytes });
      });
    });
    request.end(options.body.length > 0 ? options.body : undefined);
  });
}

/** The `Host` header: the name as in the URL, with the port when it is not the scheme's default. */
function hostHeader(hostname: string, port: number, isHttps: boolean): string {
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;
  return (isHttps && port === 443) || (!isHttps && port === 80) ? host : `${host}:${port}`;
}
