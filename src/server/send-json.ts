/**
 * The JSON answers of e2rx's HTTP server (errors, refusals, `/health`), with the request's `X-Request-ID`.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { REQUEST_ID_HEADER, ServedRequest } from './request-id.js';

/**
 * Writes a JSON response, with the request's `X-Request-ID` when e2rx's server received the request.
 *
 * @example
 * ```ts
 * sendJson(response, 404, { status: 404, message: 'not found' });
 * ```
 */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  const request = response.req as IncomingMessage | undefined;
  response.writeHead(
    status,
    request instanceof ServedRequest
      ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), [REQUEST_ID_HEADER]: request.requestId }
      : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
  );
  response.end(payload);
}
