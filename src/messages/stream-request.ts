/**
 * A NATS or Kafka message as the request of a run (docs/reference/host-abi.md §6): method `STREAM`, url = the handler's resource, body =
 * the payload (a Grav envelope unwrapped), the message headers lower-cased, and a fresh id, or the input's
 * {@link CORRELATION_HEADER} when it carries one.
 *
 * @module
 */
import { copyBytes, createRequest, type FunctionRequest } from '../runtime/request.js';
import { unwrapPayload } from './envelope.js';
import { CORRELATION_HEADER, requestHeaders, type HeaderEntry } from './headers.js';

/**
 * Builds the request of one stream message. Each call returns a new object (a retry runs on a fresh request, since
 * functions mutate theirs); `id` gives a retry the id of the first attempt.
 *
 * @example
 * ```ts
 * const request = streamRequest('orders', new TextEncoder().encode('{"id":1}'), [['X-Request-Id', 'abc']]);
 * request.method; // 'STREAM'
 * request.id; // 'abc'
 * const again = streamRequest('orders', payload, headers, request.id); // a retry, same id
 * ```
 */
export function streamRequest(resource: string, payload: Uint8Array, headers: Iterable<HeaderEntry>, id?: string): FunctionRequest {
  const lowered = requestHeaders(headers);
  const correlation = id ?? lowered[CORRELATION_HEADER];
  const body = copyBytes(unwrapPayload(payload).data);
  // No spread: one fields object per message (this runs for every record).
  return createRequest(
    correlation !== undefined && correlation !== ''
      ? { method: 'STREAM', url: resource, id: correlation, body, headers: lowered }
      : { method: 'STREAM', url: resource, body, headers: lowered },
  );
}
