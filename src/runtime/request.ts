/**
 * The request object handed to every function invocation (spec §2.1, "CoordinatedRequest").
 *
 * @module
 */
import { randomUUID } from 'node:crypto';

/**
 * One invocation's request: HTTP request, websocket message, bus message or schedule tick, normalised.
 * Functions read and mutate it through the host ABI (`request_get_field`, `request_set_field`, `resp_set_header`).
 */
export interface FunctionRequest {
  /** HTTP method; `SCHED` for schedules; `STREAM` for NATS/Kafka messages; `GET` for websocket messages. */
  method: string;
  /** Request URI (path and query) for HTTP; the schedule name; the handler resource for bus streams. */
  url: string;
  /** A UUID per request. */
  readonly id: string;
  /** The raw request body or message payload. */
  body: Uint8Array;
  /** Request headers, keys lower-cased, first value only. */
  headers: Record<string, string>;
  /** Router path parameters. */
  params: Record<string, string>;
  /** The workflow state. */
  state: Record<string, Uint8Array>;
  /** Response headers accumulated from functions. */
  respHeaders: Record<string, string>;
}

/** The fields of {@link createRequest}: method and url are required, the rest default to empty. */
export type RequestFields = Pick<FunctionRequest, 'method' | 'url'> & Partial<FunctionRequest>;

/**
 * A new request: a fresh UUID unless `id` is given, an empty body, and empty headers, params, state and response
 * headers unless given.
 *
 * @example
 * ```ts
 * const request = createRequest({ method: 'SCHED', url: 'nightly-report' });
 * ```
 */
export function createRequest(fields: RequestFields): FunctionRequest {
  return {
    method: fields.method,
    url: fields.url,
    id: fields.id ?? randomUUID(),
    body: fields.body ?? new Uint8Array(0),
    headers: fields.headers ?? {},
    params: fields.params ?? {},
    state: fields.state ?? {},
    respHeaders: fields.respHeaders ?? {},
  };
}

/**
 * Bytes that own their whole buffer. A view into a larger buffer (a socket read chunk, a Kafka fetch response,
 * Node's small-buffer pool) is copied; posting it to a worker would otherwise copy the whole underlying buffer and
 * keep it alive.
 *
 * @example
 * ```ts
 * const body = ownBytes(message.data); // message.data may be a subarray of a 64 KiB read buffer
 * ```
 */
export function ownBytes(view: Uint8Array): Uint8Array {
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength ? view : new Uint8Array(view);
}

/** Concatenates chunks into one new, exactly sized array (one copy). */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
