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
import type { HttpRules } from '../directive/capability-config.js';
import { goDialError } from './go-dial-error.js';
import { outboundHttpError, outboundHttpFailure } from './outbound-http-error.js';
export { outboundHttpError, outboundHttpFailure, type OutboundHttpFailure } from './outbound-http-error.js';
import { checkRequestTarget, HTTP_RULE_ERRORS, type DnsResolver, type ResolvedAddress } from './http-rules.js';
import { exchange, pinnedLookup } from './outbound-exchange.js';
import { firstHop, type FirstHop, goStyle } from './outbound-first-hop.js';

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
  /** The `Authorization` value to add for a URL, or `undefined` (see `authHeaderFor` in `outbound-auth.ts`). */
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
