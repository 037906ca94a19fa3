/**
 * One request sent as raw bytes on its own connection, so that no HTTP client normalises it (Node's and fetch
 * percent-encode, resolve `..` and refuse odd request lines), and the answer read until the server closes.
 *
 * @example
 * ```ts
 * const reply = await rawRequest(port, 'GET /a%2Fb HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
 * expect(reply.status).toBe(404);
 * ```
 */
import { connect } from 'node:net';

/** A raw answer: its status line, status, headers (names lower-cased) and body. */
export interface RawReply {
  readonly statusLine: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Sends `bytes` (a string is sent as Latin-1: one byte per character) and reads the answer until the connection closes. */
export function rawRequest(port: number, bytes: string | Buffer, timeoutMs = 5_000): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server did not close the connection within ${timeoutMs} ms; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks);
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) {
        reject(new Error(`no complete answer: ${JSON.stringify(raw.toString('latin1'))}`));
        return;
      }
      const [statusLine = '', ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ statusLine, status: Number(statusLine.split(' ')[1]), headers, body: raw.subarray(end + 4).toString('utf8') });
    });
    socket.end(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  });
}

/** A GET (or `method`) request for `target` with `Host` and `Connection: close`, and `extra` header lines. */
export function requestBytes(target: string, method = 'GET', extra = ''): string {
  return `${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${extra}\r\n`;
}
