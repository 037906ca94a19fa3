/**
 * HTTP/1.1 over a raw socket: the request goes out exactly as given (no client normalises the target, the headers or
 * the body), and the response is read byte for byte, header values kept as their bytes (Latin-1 strings), so that a
 * header sent as UTF-8 and one sent as Latin-1 differ.
 */
import { connect } from 'node:net';

/** One response as read from the socket, or what happened instead. */
export interface RawResponse {
  /** The status code, or 0 when no status line came. */
  readonly status: number;
  /** `[name, value]` in the order sent; each string holds the raw bytes as Latin-1. */
  readonly headers: readonly (readonly [string, string])[];
  /** The body, base64 (chunked encoding removed). */
  readonly body: string;
  /** Why no complete response came: `timeout`, `closed`, `reset`, `unparsable`. */
  readonly failure?: string;
}

/** How long one exchange may take before it counts as a `timeout`. */
export const DEFAULT_EXCHANGE_TIMEOUT_MS = 15_000;

/** Sends `request` to 127.0.0.1:`port` on a fresh connection and reads one response. */
export function exchange(port: number, request: Uint8Array, head = false, timeoutMs = DEFAULT_EXCHANGE_TIMEOUT_MS): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (failure?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const parsed = parseResponse(Buffer.concat(chunks), head);
      resolve(parsed.complete || failure === undefined ? parsed.response : { ...parsed.response, failure: parsed.response.status === 0 ? failure : (parsed.response.failure ?? failure) });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (parseResponse(Buffer.concat(chunks), head).complete) finish();
    });
    socket.on('end', () => finish('closed'));
    socket.on('error', () => finish('reset'));
  });
}

/** A parse of the bytes read so far: the response, and whether it is complete. */
export interface ParsedResponse {
  readonly response: RawResponse;
  readonly complete: boolean;
}

/** Parses the bytes of one HTTP/1.x response (Content-Length, chunked, or read to the end of the connection). */
export function parseResponse(bytes: Buffer, head = false): ParsedResponse {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return { response: { status: 0, headers: [], body: '' }, complete: false };
  const lines = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
  // An interim answer (100 Continue) is skipped: the final one follows it on the same connection.
  if (status >= 100 && status < 200 && status !== 101) return parseResponse(bytes.subarray(end + 4), head);
  const headers = lines.slice(1).map((line): [string, string] => {
    const colon = line.indexOf(':');
    return colon < 0 ? [line, ''] : [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  const header = (name: string): string | undefined => headers.find(([key]) => key.toLowerCase() === name)?.[1];
  const rest = bytes.subarray(end + 4);
  if (head || status === 204 || status === 304 || status === 101) return { response: { status, headers, body: '' }, complete: true };
  if (header('transfer-encoding')?.toLowerCase() === 'chunked') {
    const body = dechunk(rest);
    return { response: { status, headers, body: (body ?? rest).toString('base64') }, complete: body !== undefined };
  }
  const length = header('content-length');
  if (length !== undefined) {
    const size = Number(length);
    return { response: { status, headers, body: rest.subarray(0, size).toString('base64') }, complete: rest.length >= size };
  }
  return { response: { status, headers, body: rest.toString('base64') }, complete: false };
}

/** The body of a complete chunked encoding, or undefined while it is incomplete. */
function dechunk(bytes: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) return bytes.indexOf('\r\n\r\n', lineEnd) >= 0 || bytes.length >= lineEnd + 4 ? Buffer.concat(parts) : undefined;
    if (bytes.length < lineEnd + 2 + size + 2) return undefined;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
