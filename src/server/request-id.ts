/**
 * The request id of an HTTP request: the client's `X-Request-ID` when it is a usable one (as E2 Core's echo server
 * took it), else a fresh UUID. It becomes the run's request id (`request_id` in the logs, the request's `id` for the
 * functions) and goes back on the response's `X-Request-ID` header.
 *
 * @module
 */
import { IncomingMessage } from 'node:http';
import { requestId } from '../runtime/request.js';
import { rawHeader } from './raw-header.js';

/** The header that carries a request id, both ways. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** The longest incoming request id kept; a longer one is replaced by a fresh UUID. */
export const MAX_REQUEST_ID_LENGTH = 128;

/**
 * `value` when it can serve as a request id: 1 to {@link MAX_REQUEST_ID_LENGTH} characters, each printable ASCII
 * (space to `~`); otherwise `undefined`. Anything else (control characters, non-ASCII text, a value meant to be huge)
 * would end up in every log line of the request.
 *
 * @example
 * ```ts
 * acceptedRequestId('7f9c-42'); // '7f9c-42'
 * acceptedRequestId('é'); // undefined
 * acceptedRequestId(undefined); // undefined
 * ```
 */
export function acceptedRequestId(value: string | undefined): string | undefined {
  if (value === undefined || value.length === 0 || value.length > MAX_REQUEST_ID_LENGTH) return undefined;
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) return undefined;
  }
  return value;
}

/**
 * The requests of e2rx's HTTP server (its `IncomingMessage` class): they carry their request id, fixed on first
 * read, so that the run, the reply and the access log agree on it.
 */
export class ServedRequest extends IncomingMessage {
  #requestId: string | undefined = undefined;

  /** The client's `X-Request-ID` when {@link acceptedRequestId} keeps it, else a fresh UUID; the same on every read. */
  get requestId(): string {
    return (this.#requestId ??= acceptedRequestId(rawHeader(this.rawHeaders, REQUEST_ID_HEADER)) ?? requestId());
  }
}

/**
 * The request id of `incoming`: the one it carries when e2rx's server received it, else (a request from another
 * server) the client's usable `X-Request-ID` or a fresh UUID.
 *
 * @example
 * ```ts
 * const id = requestIdOf(incoming);
 * ```
 */
export function requestIdOf(incoming: IncomingMessage): string {
  if (incoming instanceof ServedRequest) return incoming.requestId;
  return acceptedRequestId(firstValue(incoming.headers[REQUEST_ID_HEADER])) ?? requestId();
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
