/**
 * e2rx's OTLP/HTTP transport for span batches: one keep-alive `http` or `https` agent, and per export one
 * `request(...).end(body)` of the batch's bytes, already encoded (http/protobuf or http/json). It honours what the
 * official transport (`@opentelemetry/otlp-exporter-base` 0.223) honours and users rely on, with the rules of the OTLP
 * specification ("OTLP/HTTP Response", "Retryable Response Codes", "Failures"):
 *
 * - the URL, headers, timeout and gzip compression of the configuration (`OTEL_EXPORTER_OTLP_(TRACES_)*`), and for
 *   `https` the CA, client certificate and client key files (`OTEL_EXPORTER_OTLP_(TRACES_)CERTIFICATE`,
 *   `…CLIENT_CERTIFICATE`, `…CLIENT_KEY`);
 * - a 2xx is success (a partial success in the body is reported); 429, 502, 503 and 504, a timed-out attempt and the
 *   network errors of a collector that is away (`ECONNREFUSED`, `ECONNRESET`, …) are retried, after the `Retry-After`
 *   the response gives, else after an exponential backoff with jitter (1 s, ×1.5, at most 5 s, ±20%), at most
 *   {@link MAX_RETRIES} times and never past the export's timeout; any other status fails the export at once;
 * - at most {@link MAX_IN_FLIGHT} exports at a time (the batch processor waits for each, but gives up waiting after
 *   `OTEL_BSP_EXPORT_TIMEOUT`).
 *
 * It exists for the cost: the official transport spends 430 to 830 µs of main-thread CPU per 512-span request (a
 * `URL` per request, the body fed through a `Readable`, several promises per attempt); see
 * docs/decisions/0015-own-otlp-transport.md.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { resolve } from 'node:path';
import { gzip } from 'node:zlib';
import type { OtlpExport } from './config.js';

/** How many times an export is retried after its first attempt (the official transport's 5). */
export const MAX_RETRIES = 5;
/** The first backoff (ms), its growth per retry, its cap, and the jitter around it (a fraction). */
const INITIAL_BACKOFF_MS = 1000;
const BACKOFF_MULTIPLIER = 1.5;
const MAX_BACKOFF_MS = 5000;
const JITTER = 0.2;
/** Exports in flight at most (the official exporter's default concurrency limit). */
export const MAX_IN_FLIGHT = 30;
/** A response body larger than this fails the export (the official transport's limit). */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
/** The HTTP statuses the OTLP specification says to retry. */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);
/** Network errors of a collector that is away or restarting, retried as the official transport does. */
const RETRYABLE_NETWORK_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH']);

/** The outcome of one attempt. */
type Attempt =
  | { readonly kind: 'success'; readonly body: Buffer }
  | { readonly kind: 'retryable'; readonly error: Error; readonly retryAfterMs: number | undefined }
  | { readonly kind: 'failure'; readonly error: Error };

/** An export's failure: the HTTP status when the collector answered (`undefined` for a network error or timeout). */
export class OtlpExportError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'OtlpExportError';
  }
}

/** What the transport needs besides the signal's configuration. */
export interface TransportOptions {
  /** `application/x-protobuf` or `application/json`. */
  readonly contentType: string;
  /** The `User-Agent` header. */
  readonly userAgent: string;
  /** Reports what is not an export failure (an unreadable certificate file, a partial success). */
  readonly warn: (message: string) => void;
  /** Reads a response body of a 2xx: the partial success's message, when the collector rejected part of the batch. */
  readonly partialSuccess?: ((body: Buffer) => string | undefined) | undefined;
}

/**
 * Sends OTLP/HTTP requests (see the module comment).
 *
 * @example
 * ```ts
 * const transport = new OtlpHttpTransport(config, { contentType: 'application/x-protobuf', userAgent: 'e2rx', warn });
 * transport.send(bytes, (error) => error && console.warn(error));
 * transport.shutdown();
 * ```
 */
export class OtlpHttpTransport {
  readonly #request: typeof httpRequest;
  readonly #agent: HttpAgent;
  readonly #options: RequestOptions;
  readonly #headers: Record<string, string>;
  readonly #gzip: boolean;
  readonly #timeoutMs: number;
  readonly #warn: (message: string) => void;
  readonly #partialSuccess: ((body: Buffer) => string | undefined) | undefined;
  /** Exports in flight, and the timers of the retries waiting (cleared by `shutdown`). */
  #inFlight = 0;
  readonly #retries = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(config: OtlpExport, options: TransportOptions) {
    const url = new URL(config.url);
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') throw new Error(`the OTLP endpoint ${config.url} is not an http: or https: URL`);
    this.#warn = options.warn;
    this.#partialSuccess = options.partialSuccess;
    this.#request = secure ? httpsRequest : httpRequest;
    this.#agent = secure ? new HttpsAgent({ keepAlive: true, ...this.#tlsFiles(config) }) : new HttpAgent({ keepAlive: true });
    this.#gzip = config.compression === 'gzip';
    this.#timeoutMs = config.timeoutMs;
    this.#headers = {
      ...config.headers,
      'Content-Type': options.contentType,
      'User-Agent': options.userAgent,
      ...(this.#gzip ? { 'Content-Encoding': 'gzip' } : {}),
    };
    this.#options = {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
      path: `${url.pathname}${url.search}`,
      agent: this.#agent,
      ...(url.username === '' ? {} : { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` }),
    };
  }

  /**
   * Sends `body` (retrying as the module comment says) and calls `done` once: with nothing on success, with an
   * {@link OtlpExportError} (or the network error) when the export failed for good.
   */
  send(body: Uint8Array, done: (error?: Error) => void): void {
    if (this.#closed) return done(new OtlpExportError('the OTLP exporter is shut down', undefined));
    if (this.#inFlight >= MAX_IN_FLIGHT) return done(new OtlpExportError(`${MAX_IN_FLIGHT} OTLP exports are in flight already; this batch is dropped`, undefined));
    this.#inFlight += 1;
    const finish = (error?: Error): void => {
      this.#inFlight -= 1;
      done(error);
    };
    if (!this.#gzip) return this.#sendWithRetries(body, finish);
    gzip(body, (error, compressed) => (error === null ? this.#sendWithRetries(compressed, finish) : finish(error)));
  }

  /** Closes the idle connections and cancels the retries waiting (their exports fail). */
  shutdown(): void {
    this.#closed = true;
    this.#agent.destroy();
  }

  #sendWithRetries(body: Uint8Array, done: (error?: Error) => void): void {
    const deadline = Date.now() + this.#timeoutMs;
    let retries = 0;
    let backoff = INITIAL_BACKOFF_MS;
    const attempt = (): void =>
      this.#attempt(body, deadline - Date.now(), (result) => {
        if (result.kind === 'success') {
          const partial = result.body.length > 0 ? this.#partialSuccess?.(result.body) : undefined;
          if (partial !== undefined) this.#warn(partial);
          return done();
        }
        if (result.kind === 'failure') return done(result.error);
        if (retries >= MAX_RETRIES || this.#closed) return done(result.error);
        const jittered = Math.max(Math.min(backoff * (1 + (Math.random() * 2 - 1) * JITTER), MAX_BACKOFF_MS), 0);
        const wait = result.retryAfterMs ?? jittered;
        backoff *= BACKOFF_MULTIPLIER;
        if (wait > deadline - Date.now()) return done(result.error);
        retries += 1;
        const timer = setTimeout(() => {
          this.#retries.delete(timer);
          if (this.#closed) done(result.error);
          else attempt();
        }, wait);
        this.#retries.add(timer);
      });
    attempt();
  }

  /** One POST of `body`, answered through `done` once. */
  #attempt(body: Uint8Array, timeoutMs: number, done: (result: Attempt) => void): void {
    let settled = false;
    const settle = (result: Attempt): void => {
      if (settled) return;
      settled = true;
      done(result);
    };
    let request: ClientRequest;
    try {
      request = this.#request({ ...this.#options, headers: { ...this.#headers, 'Content-Length': String(body.length) } }, (response) => this.#read(response, settle));
    } catch (error) {
      return settle({ kind: 'failure', error: error instanceof Error ? error : new Error(String(error)) });
    }
    request.setTimeout(Math.max(timeoutMs, 1), () => {
      settle({ kind: 'retryable', error: new OtlpExportError(`the OTLP export got no answer in ${Math.max(timeoutMs, 1)} ms`, undefined), retryAfterMs: undefined });
      request.destroy();
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== undefined && RETRYABLE_NETWORK_ERRORS.has(error.code)) settle({ kind: 'retryable', error, retryAfterMs: undefined });
      else settle({ kind: 'failure', error });
    });
    request.end(body);
  }

  /** Reads a response: a 2xx succeeds, a retryable status is retried (after its `Retry-After`), any other fails. */
  #read(response: IncomingMessage, settle: (result: Attempt) => void): void {
    const status = response.statusCode ?? 0;
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        settle({ kind: 'failure', error: new OtlpExportError(`the OTLP export's response was larger than ${MAX_RESPONSE_BYTES} bytes`, status) });
        response.destroy();
        return;
      }
      chunks.push(chunk);
    });
    response.on('error', (error) => {
      if (status >= 200 && status < 300) settle({ kind: 'success', body: Buffer.alloc(0) });
      else settle({ kind: 'failure', error });
    });
    response.on('end', () => {
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      if (status >= 200 && status < 300) return settle({ kind: 'success', body });
      const error = new OtlpExportError(`the OTLP receiver answered ${status} ${response.statusMessage ?? ''}${body.length > 0 ? `: ${body.toString('utf8', 0, 512)}` : ''}`.trimEnd(), status);
      if (RETRYABLE_STATUSES.has(status)) settle({ kind: 'retryable', error, retryAfterMs: retryAfterMs(response.headers['retry-after']) });
      else settle({ kind: 'failure', error });
    });
  }

  /** The TLS files of the configuration, read once (a file that cannot be read is warned about and left out). */
  #tlsFiles(config: OtlpExport): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
    const files: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
    for (const [option, file] of [
      ['ca', config.tls.certificate],
      ['cert', config.tls.clientCertificate],
      ['key', config.tls.clientKey],
    ] as const) {
      if (file === undefined) continue;
      try {
        files[option] = readFileSync(resolve(file.path));
      } catch (error) {
        this.#warn(`${file.variable}=${file.path} could not be read (${error instanceof Error ? error.message : String(error)}); exporting without it`);
      }
    }
    return files;
  }
}

/**
 * The wait a `Retry-After` header asks for (ms): delay-seconds or an HTTP date; `undefined` without one, or when it
 * is neither (then the backoff applies).
 *
 * @example
 * ```ts
 * retryAfterMs('2'); // 2000
 * retryAfterMs(undefined); // undefined
 * ```
 */
export function retryAfterMs(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(at - Date.now(), 0);
}
