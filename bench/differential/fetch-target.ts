/**
 * The outbound target of the fetch family: a loopback HTTP server that answers with what it received (method, the
 * request target exactly as sent, the `foo` and `content-type` headers, the body), so that how each server built the
 * outbound URL shows in the response the module returns. `/status/<n>` answers status n; `/redirect` a 302 to
 * `/echo/redirected`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FetchPorts } from './corpus.js';

/** The running target, and a port nothing listens on. */
export interface FetchTarget {
  readonly ports: FetchPorts;
  close(): Promise<void>;
}

/** Starts the target on an ephemeral loopback port. */
export async function startFetchTarget(): Promise<FetchTarget> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = request.url ?? '';
      const status = /^\/status\/(\d{3})$/.exec(url);
      if (status !== null) {
        response.writeHead(Number(status[1]), { 'content-type': 'text/plain' }).end(`status ${status[1]}`);
        return;
      }
      if (url === '/redirect') {
        response.writeHead(302, { location: '/echo/redirected' }).end();
        return;
      }
      const lines = [`${request.method ?? ''} ${url}`, `foo: ${String(request.headers['foo'] ?? '')}`, `content-type: ${request.headers['content-type'] ?? ''}`, Buffer.concat(chunks).toString('latin1')];
      response.writeHead(200, { 'content-type': 'text/plain' }).end(Buffer.from(lines.join('\n'), 'latin1'));
    });
  });
  await listen(server);
  const refused = createServer();
  await listen(refused);
  const refusedPort = (refused.address() as AddressInfo).port;
  await new Promise<void>((resolve) => refused.close(() => resolve()));
  return {
    ports: { target: (server.address() as AddressInfo).port, refused: refusedPort },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}
