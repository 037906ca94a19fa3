/**
 * The server the guests' `fetch_url` and `graphql_query` calls reach: node:http on 127.0.0.1, port 0, recording
 * every request it receives (headers included, so a spec can check what the host sent on the function's behalf).
 *
 * Routes:
 * - `/echo…` answers 200 with JSON `{method, url, headers, body}` where `headers` leaves out `authorization`, so a
 *   function never gets the configured credential back from the server;
 * - `/status/<n>` answers status n with the body `status <n> body`;
 * - `/redirect?to=<url>` answers 302 with `Location: <url>`;
 * - `/graphql` is a tiny GraphQL endpoint: a query containing `boom` gets a GraphQL error, `fail500` a 500, anything
 *   else `{"data":{"hello":"world"},"extensions":{…}}`;
 * - anything else answers 200 `ok <path>`.
 *
 * @example
 * ```ts
 * const server = await startTargetServer();
 * // … server.origin is http://127.0.0.1:<port>
 * await server.close();
 * ```
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the server received. */
export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A running target server. */
export interface TargetServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** Every request received, in order. */
  readonly received: ReceivedRequest[];
  /** The requests whose path starts with `prefix`. */
  receivedAt(prefix: string): ReceivedRequest[];
  close(): Promise<void>;
}

/** Starts a target server on 127.0.0.1. */
export async function startTargetServer(): Promise<TargetServer> {
  const received: ReceivedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const seen: ReceivedRequest = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(seen);
      const url = new URL(seen.url, 'http://target');
      if (url.pathname.startsWith('/echo')) {
        const { authorization: _hidden, ...headers } = seen.headers;
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ method: seen.method, url: seen.url, headers, body: seen.body }));
      } else if (url.pathname.startsWith('/status/')) {
        const status = Number(url.pathname.slice('/status/'.length));
        response.writeHead(status, { 'content-type': 'text/plain' });
        response.end(`status ${status} body`);
      } else if (url.pathname === '/redirect') {
        response.writeHead(302, { location: url.searchParams.get('to') ?? '/' });
        response.end();
      } else if (url.pathname === '/graphql') {
        const query = (JSON.parse(seen.body || '{}') as { query?: string }).query ?? '';
        if (query.includes('fail500')) {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end('graphql server failed');
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify(
            query.includes('boom')
              ? { data: null, errors: [{ message: 'boom happened', path: ['user', 'friends', 0, 'name'] }] }
              : { data: { hello: 'world' }, extensions: { cost: 1 } },
          ),
        );
      } else {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end(`ok ${url.pathname}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    received,
    receivedAt: (prefix) => received.filter((request) => request.url.startsWith(prefix)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
