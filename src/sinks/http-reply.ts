/**
 * The HTTP reply of a run (docs/reference/directive.md#http-responses-of-type-request).
 *
 * @module
 */
import { failureStatus, statusOfRunError } from '../messages/http-status.js';
import type { ServerResponse } from 'node:http';
import { sendJson } from '../server/send-json.js';
import { REQUEST_ID_HEADER } from '../server/request-id.js';
import type { RunResult } from '../steps/steps.js';
import { wireHeaderValue } from './header-value.js';

export { failureStatus, statusOfRunError } from '../messages/http-status.js';

/**
 * Writes a run's result as an HTTP response:
 * - success: 200 with the body; headers set by functions applied with set semantics, their values written as Go's
 *   server wrote them ({@link wireHeaderValue}: CR/LF folded, UTF-8 bytes); `Content-Type` defaults to
 *   `application/octet-stream` when no function set it; `X-Request-ID` is the request's id unless a function set it;
 * - Runnable error: status = its code when 200..599, else 500; body `{"status","message"}` as JSON;
 * - any other failure: 500 (504 for a request timeout, 503 when overloaded) with the same JSON shape.
 *
 * Error replies carry the `X-Request-ID` of the request e2rx's server received (see `sendJson`).
 *
 * @example
 * ```ts
 * runSteps(steps, response, request, runner).subscribe((result) => replyHttp(res, result));
 * ```
 */
export function replyHttp(response: ServerResponse, result: RunResult, extraHeaders?: Readonly<Record<string, string>>): void {
  if (response.headersSent || response.destroyed) return;
  if (extraHeaders !== undefined) for (const name in extraHeaders) response.setHeader(name, extraHeaders[name] as string);
  if (result.kind === 'ok') {
    const respHeaders = result.request.respHeaders;
    if (extraHeaders === undefined && isEmpty(respHeaders)) {
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': result.body.length, [REQUEST_ID_HEADER]: result.request.id });
    } else {
      // Before the functions' headers: a function that sets its own X-Request-ID has the last word.
      response.setHeader(REQUEST_ID_HEADER, result.request.id);
      for (const name in respHeaders) {
        const value = wireHeaderValue(respHeaders[name] as string);
        if (value === undefined) continue;
        try {
          response.setHeader(name, value);
        } catch {
          // A header name that HTTP cannot carry is dropped rather than failing the response (Go's server dropped it).
        }
      }
      if (!response.hasHeader('content-type')) response.setHeader('content-type', 'application/octet-stream');
      response.setHeader('content-length', result.body.length);
      response.writeHead(200);
    }
    response.end(result.body);
    return;
  }
  if (result.kind === 'runError') {
    const status = statusOfRunError(result.error.code);
    sendJson(response, status, { status, message: result.error.message });
    return;
  }
  const status = failureStatus(result.error);
  sendJson(response, status, { status, message: result.error.message });
}

/**
 * Answers a request whose run ended without a result (the engine stopped past its shutdown deadline and cancelled
 * it): 503 `the server is shutting down` with `Connection: close`. Does nothing when a reply was already written or
 * the client went away, so it can sit in a `finalize` after {@link replyHttp}.
 *
 * @example
 * ```ts
 * run(job.request).pipe(tap((result) => replyHttp(job.response, result)), finalize(() => replyCancelled(job.response)));
 * ```
 */
export function replyCancelled(response: ServerResponse): void {
  if (response.headersSent || response.writableEnded || response.destroyed) return;
  response.setHeader('connection', 'close');
  sendJson(response, 503, { status: 503, message: 'the server is shutting down' });
}

function isEmpty(record: Readonly<Record<string, string>>): boolean {
  for (const _ in record) return false;
  return true;
}
