/**
 * One HTTP request and its response over a pinned connection: the socket connects only to the addresses the rules
 * checked (through {@link pinnedLookup}), TLS still verifies the certificate against the name, and the response body is
 * capped.
 *
 * @module
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedAddress } from './http-rules.js';
import { outboundHttpError } from './outbound-http-error.js';

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

/** What {@link exchange} sends, and where. */
export interface ExchangeOptions {
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

/** One request/response over a pinned connection: the status, headers and body (empty when `readBody` says so). */
export function exchange(options: ExchangeOptions): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Uint8Array }> {
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
