/**
 * The `http` capability: the host side of `fetch_url` (docs/reference/host-abi.md §5).
 *
 * The guest passes an ABI method number, a URL that may carry `::Name:Value` header segments, and a body. The request
 * goes through {@link OutboundHttpClient} under `config.http.rules`, with the configured `Authorization` header of the
 * URL's host added by the host (never visible to the guest). The result is the response body for a status ≤ 299; a
 * status > 299 becomes the error `<status>: <body>`.
 *
 * @module
 */

import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import type { CapabilityConfig } from '../directive/capability-config.js';
import type { HostCallContext, HostCallResult } from './host-services.js';
import { HTTP_RULE_ERRORS } from './http-rules.js';
import { authHeaderFor } from './outbound-auth.js';
import { outboundHttpFailure, type OutboundHttpClient } from './outbound-http.js';

/** The ABI method numbers of `fetch_url` (docs/reference/host-abi.md §7): index = number. */
export const FETCH_METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** An HTTP method the guest can ask for. */
export type FetchMethod = (typeof FETCH_METHODS)[number];

/**
 * The method for an ABI method number, or `undefined` for any other number (the host then returns -2).
 *
 * @example
 * ```ts
 * fetchMethod(3); // 'POST'
 * fetchMethod(7); // undefined
 * ```
 */
export function fetchMethod(method: number): FetchMethod | undefined {
  return Number.isInteger(method) ? FETCH_METHODS[method] : undefined;
}

/** A `fetch_url` URL split into the URL proper and the headers appended to it. */
export interface ParsedFetchUrl {
  readonly url: string;
  readonly headers: readonly (readonly [string, string])[];
}

/**
 * Splits a `fetch_url` URL into the URL and its `::Name:Value` header segments. Each segment must split on `:` into
 * exactly two parts (so a header value cannot contain `:`); otherwise the result is `undefined` and the host returns
 * -2, as the original did. Names and values are kept as written.
 *
 * Unlike the original, a `::` inside the brackets of an IPv6 host (`http://[::1]:8080/`) is part of the URL, not a
 * header separator.
 *
 * @example
 * ```ts
 * parseFetchUrl('https://x/y::authorization:bearer abc::x-other:1');
 * // { url: 'https://x/y', headers: [['authorization', 'bearer abc'], ['x-other', '1']] }
 * parseFetchUrl('https://x/y::bad'); // undefined
 * ```
 */
export function parseFetchUrl(raw: string): ParsedFetchUrl | undefined {
  const bracketed = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(?:[^/?#@[]*@)?\[[^\]/?#]*\]/.exec(raw);
  const first = raw.indexOf('::', bracketed === null ? 0 : bracketed[0].length);
  if (first < 0) return { url: raw, headers: [] };
  const headers: (readonly [string, string])[] = [];
  for (const segment of raw.slice(first + 2).split('::')) {
    const parts = segment.split(':');
    if (parts.length !== 2) return undefined;
    headers.push([parts[0] ?? '', parts[1] ?? '']);
  }
  return { url: raw.slice(0, first), headers };
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Checks header names and values against the HTTP grammar; returns the error text of the first bad one.
 *
 * @example
 * ```ts
 * invalidHeader([['x y', '1']]); // 'invalid header field name "x y"'
 * ```
 */
export function invalidHeader(headers: readonly (readonly [string, string])[]): string | undefined {
  for (const [name, value] of headers) {
    if (!HEADER_NAME.test(name)) return `invalid header field name ${JSON.stringify(name)}`;
    if (!HEADER_VALUE.test(value)) return `invalid header field value for ${JSON.stringify(name)}`;
  }
  return undefined;
}

/** The `fetch_url` host service. */
export interface HttpCapability {
  fetchUrl(method: number, url: string, body: Uint8Array, context: HostCallContext): Promise<HostCallResult>;
}

/** What the `http` capability needs. */
export interface HttpCapabilityOptions {
  readonly client: OutboundHttpClient;
  readonly logger: Logger;
}

const decoder = new TextDecoder();

/**
 * Creates the `http` capability for one app.
 *
 * Order of the outcomes, as in the original: an unknown method number or a malformed header segment gives status -2;
 * then a disabled capability gives `capability is not enabled`; then the rules, the transport and the status decide.
 * The request has a client timeout (`config.http.timeoutMs`) and a response cap (`config.http.maxResponseBytes`),
 * which the original lacked.
 *
 * @example
 * ```ts
 * const httpCap = createHttpCapability(DEFAULT_CAPABILITIES, { client, logger });
 * const result = await httpCap.fetchUrl(0, 'https://example.com/::accept:text/html', new Uint8Array(), context);
 * ```
 * @see parseFetchUrl
 */
export function createHttpCapability(
  config: Pick<CapabilityConfig, 'http' | 'auth'>,
  options: HttpCapabilityOptions,
): HttpCapability {
  const log = options.logger.child({ capability: 'http' });
  return {
    async fetchUrl(methodNumber, rawUrl, body, context) {
      const method = fetchMethod(methodNumber);
      if (method === undefined) return { kind: 'status', status: -2 };
      const parsed = parseFetchUrl(rawUrl);
      if (parsed === undefined) return { kind: 'status', status: -2 };
      if (!config.http.enabled) return { kind: 'error', message: HTTP_RULE_ERRORS.capabilityDisabled };
      const bad = invalidHeader(parsed.headers);
      if (bad !== undefined) return { kind: 'error', message: bad };

      const headers = [...parsed.headers];
      if (body.length > 0 && !headers.some(([name]) => name.toLowerCase() === 'content-type')) {
        headers.push(['Content-Type', 'application/octet-stream']);
      }
      try {
        const response = await options.client.send(
          // The body may be a view into shared memory: copy it before it leaves the call.
          { method, url: parsed.url, headers, body: new Uint8Array(body) },
          {
            rules: config.http.rules,
            timeoutMs: config.http.timeoutMs,
            maxResponseBytes: config.http.maxResponseBytes,
            authorizationFor: (url, raw) => authHeaderFor(config.auth, url, raw),
          },
        );
        if (response.status > 299) {
          return { kind: 'error', message: `${response.status}: ${decoder.decode(response.body)}` };
        }
        return { kind: 'data', data: response.body };
      } catch (error) {
        const failure = outboundHttpFailure(error);
        if (failure !== undefined) {
          log.debug({ fn: context.fn, request_id: context.requestId, kind: failure, err: errorMessage(error) }, 'fetch_url failed');
          return { kind: 'error', message: errorMessage(error) };
        }
        log.error({ fn: context.fn, request_id: context.requestId, err: error }, 'fetch_url failed unexpectedly');
        return { kind: 'error', message: errorMessage(error) };
      }
    },
  };
}
