/**
 * The HTTP reply of a run as a value, the way the server's sink writes it (src/sinks/http-reply.ts): what a request
 * case's expectations are checked against.
 *
 * @module
 */
import { failureStatus, statusOfRunError } from '../../sinks/http-reply.js';
import type { RunResult } from '../../steps/steps.js';

/** An HTTP reply: its status, its headers (names lower-cased), its body. */
export interface HttpReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

const encoder = new TextEncoder();

/**
 * The reply of a run: 200 with the body and the headers the functions set (`content-type` defaulting to
 * `application/octet-stream`, `x-request-id` the request's unless a function set it); a Runnable error's code when it
 * is 200..599, else 500, or the status of a failure (504 for a request timeout), with `{"status","message"}` as JSON.
 *
 * @example
 * ```ts
 * httpReplyOf({ kind: 'runError', error: { code: 404, message: 'no such user' }, request }).status; // 404
 * ```
 */
export function httpReplyOf(result: RunResult): HttpReply {
  if (result.kind === 'ok') {
    const headers: Record<string, string> = { 'x-request-id': result.request.id };
    for (const [name, value] of Object.entries(result.request.respHeaders)) headers[name.toLowerCase()] = value;
    headers['content-type'] ??= 'application/octet-stream';
    headers['content-length'] = String(result.body.length);
    return { status: 200, headers, body: result.body };
  }
  const status = result.kind === 'runError' ? statusOfRunError(result.error.code) : failureStatus(result.error);
  const body = encoder.encode(JSON.stringify({ status, message: result.error.message }));
  return { status, headers: { 'content-type': 'application/json', 'content-length': String(body.length), 'x-request-id': result.request.id }, body };
}
