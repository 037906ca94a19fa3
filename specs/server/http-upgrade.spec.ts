/**
 * Requests that ask to upgrade the connection to something other than a websocket (src/server/http-server.ts),
 * through a real engine and raw sockets: a `Connection: Upgrade` without an `Upgrade` header is an ordinary request;
 * a websocket upgrade where there is no websocket is a 404. Nothing hangs: every exchange must end within a few seconds.
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

describe('upgrade requests that are not websockets', () => {





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
