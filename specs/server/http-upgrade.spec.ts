/**
 * Requests that ask to upgrade the connection to something other than a websocket (src/server/http-server.ts),
 * through a real engine and raw sockets: `Upgrade: h2c` (what `curl --http2` and Java's HttpClient send on http://
 * URLs) on an ordinary route is served as HTTP/1.1, as RFC 9110 §7.8 lets a server do; a `Connection: Upgrade` without
 * an `Upgrade` header is an ordinary request. Nothing hangs: every exchange must end within a few seconds.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupApps } from '../support/apps.js';
import { specDirective, startApp, stopApps, type RunningApp } from '../engine/support/engine.js';

const DIRECTIVE = specDirective(
  ['echo'],
  `
handlers:
  - type: request
    resource: /echo
    method: POST
    steps:
      - fn: echo
  - type: stream
    resource: /ws
    steps:
      - fn: echo
`,
);

let app: RunningApp;

beforeAll(async () => {
  app = await startApp({ directive: DIRECTIVE, functions: ['echo'] });
}, 120_000);

afterAll(async () => {
  await stopApps();
  await cleanupApps();
});

/** One parsed HTTP/1.1 response. */
interface RawReply {
  readonly statusLine: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Writes `requests` (raw HTTP/1.x text) on one connection, one after the other, and reads one response to each
 * (bodies by Content-Length). Rejects if the exchange has not ended within 5 s: a hang.
 */
function exchange(...requests: string[]): Promise<RawReply[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(app.port, '127.0.0.1');
    const replies: RawReply[] = [];
    let buffer = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within 5 s (a hang); got ${JSON.stringify(buffer.toString('latin1'))} after ${replies.length} replies`));
    }, 5_000);
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(replies);
    };
    const parse = (): void => {
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [statusLine = '', ...lines] = buffer.subarray(0, end).toString('latin1').split('\r\n');
        const headers: Record<string, string> = {};
        for (const line of lines) {
          const colon = line.indexOf(':');
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        const length = Number(headers['content-length'] ?? 0);
        if (buffer.length < end + 4 + length) return;
        replies.push({ statusLine, status: Number(statusLine.split(' ')[1]), headers, body: buffer.subarray(end + 4, end + 4 + length).toString('utf8') });
        buffer = buffer.subarray(end + 4 + length);
        const next = requests[replies.length];
        if (next === undefined || headers['connection']?.toLowerCase() === 'close') {
          finish();
          return;
        }
        socket.write(next);
      }
    };
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      parse();
    });
    socket.on('close', finish);
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.write(requests[0] ?? '');
  });
}

const h2c = 'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n';

describe('upgrade requests that are not websockets', () => {
  it('http upgrade - POST with Upgrade: h2c (curl --http2) on a route is served as HTTP/1.1, body included', async () => {
    const [reply] = await exchange(`POST /echo HTTP/1.1\r\nHost: localhost\r\n${h2c}Content-Length: 5\r\n\r\nhello`);
    expect(reply).toMatchObject({ statusLine: 'HTTP/1.1 200 OK', body: 'hello' });
    expect(reply?.headers['upgrade']).toBeUndefined();
  });

  it('http upgrade - a chunked body with Upgrade: h2c is read whole', async () => {
    const [reply] = await exchange(`POST /echo HTTP/1.1\r\nHost: localhost\r\n${h2c}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n`);
    expect(reply).toMatchObject({ status: 200, body: 'abcdefg' });
  });

  it('http upgrade - the connection stays an HTTP/1.1 keep-alive connection after an ignored upgrade', async () => {
    const replies = await exchange(
      `POST /echo HTTP/1.1\r\nHost: localhost\r\n${h2c}Content-Length: 3\r\n\r\none`,
      'POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\ntwo',
      `POST /echo HTTP/1.1\r\nHost: localhost\r\n${h2c}Content-Length: 5\r\n\r\nthree`,
    );
    expect(replies.map((reply) => [reply.status, reply.body])).toEqual([
      [200, 'one'],
      [200, 'two'],
      [200, 'three'],
    ]);
  });

  it('http upgrade - GET /health and an unknown route with Upgrade: h2c get their ordinary answers (200, 404 JSON)', async () => {
    const [health] = await exchange(`GET /health HTTP/1.1\r\nHost: localhost\r\n${h2c}\r\n`);
    expect(health?.status).toBe(200);
    expect(JSON.parse(health?.body ?? '')).toMatchObject({ healthy: true });
    const [missing] = await exchange(`GET /nowhere HTTP/1.1\r\nHost: localhost\r\n${h2c}\r\n`);
    expect(missing?.status).toBe(404);
    expect(JSON.parse(missing?.body ?? '')).toEqual({ status: 404, message: 'not found' });
  });

  it('http upgrade - Upgrade: h2c on a websocket route is its plain GET: 426', async () => {
    const [reply] = await exchange(`GET /ws HTTP/1.1\r\nHost: localhost\r\n${h2c}\r\n`);
    expect(reply?.status).toBe(426);
  });

  it('http upgrade - Connection: Upgrade without an Upgrade header, or Upgrade without Connection: Upgrade, is an ordinary request', async () => {
    const [connectionOnly] = await exchange('POST /echo HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nContent-Length: 2\r\n\r\nhi');
    expect(connectionOnly).toMatchObject({ status: 200, body: 'hi' });
    const [upgradeOnly] = await exchange('POST /echo HTTP/1.1\r\nHost: localhost\r\nUpgrade: h2c\r\nContent-Length: 2\r\n\r\nho');
    expect(upgradeOnly).toMatchObject({ status: 200, body: 'ho' });
  });

  it('http upgrade - a websocket upgrade on a route that is not a websocket is refused with 404, and the connection closed', async () => {
    const [reply] = await exchange('GET /echo HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    expect(reply).toMatchObject({ status: 404, headers: { connection: 'close' } });
  });

  it('http upgrade - none of this is logged as an error', () => {
    expect(app.logs.filter((line) => line.level >= 50)).toEqual([]);
  });
});
