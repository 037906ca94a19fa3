/**
 * Answers for requests Node's HTTP parser refused (its `clientError` event): the status Node would send, with a
 * body that says what was wrong (Node's own answers have none), then the connection is closed.
 *
 * @module
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** What Node's parser attaches to the errors it reports. */
interface ParserError extends Error {
  readonly code?: string;
  readonly reason?: string;
  readonly rawPacket?: Buffer;
  readonly bytesParsed?: number;
}

/** The bounds the answers quote. */
export interface ClientErrorLimits {
  /** The request header bound in bytes (`limits.maxHeaderBytes`). */
  readonly maxHeaderBytes: number;
  /** How long a request may take to arrive, in milliseconds. */
  readonly receiveTimeoutMs: number;
}

/** The status and message for a parser error. */
export function clientErrorAnswer(error: ParserError, limits: ClientErrorLimits): { readonly status: number; readonly message: string } {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: `the request's headers are larger than ${limits.maxHeaderBytes} bytes (limits.maxHeaderBytes)` };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: `the request did not arrive within ${limits.receiveTimeoutMs} ms` };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, message: 'the chunk extensions of the request body are too large' };
    case 'HPE_INVALID_URL': {
      const byte = error.rawPacket?.[error.bytesParsed ?? -1];
      if (byte !== undefined && byte >= 0x80) {
        return { status: 400, message: 'bad request: the request target holds a raw non-ASCII byte; percent-encode it (café is caf%C3%A9)' };
      }
      return { status: 400, message: `bad request: ${lowerFirst(error.reason ?? 'invalid request target')}` };
    }
    default:
      return { status: 400, message: `bad request: ${lowerFirst(error.reason ?? error.message)}` };
  }
}

/**
 * The `clientError` listener: writes the answer of {@link clientErrorAnswer} as JSON `{"status","message"}` when
 * nothing else is being written on the connection, and closes it. A client that reset the connection gets nothing.
 */
export function answerClientError(error: ParserError, socket: Duplex, limits: ClientErrorLimits): void {
  // A response of an earlier request on this connection may be half written: a second one would corrupt it.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  const { status, message } = clientErrorAnswer(error, limits);
  // The client may not read its answer: the socket goes when written, or a second later.
  const force = setTimeout(() => socket.destroy(), 1_000);
  force.unref();
  socket.end(rawJsonAnswer(status, message), () => {
    clearTimeout(force);
    socket.destroy();
  });
}

/**
 * A whole HTTP/1.1 answer, for a socket no `ServerResponse` writes to: the JSON `{"status","message"}` with
 * `Connection: close`, and `extraHeaders` (`Name: value\r\n` lines).
 *
 * @example
 * ```ts
 * socket.end(rawJsonAnswer(404, 'not found'));
 * ```
 */
export function rawJsonAnswer(status: number, message: string, extraHeaders = ''): string {
  const body = JSON.stringify({ status, message });
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${extraHeaders}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
