/**
 * What e2rx answers when Node's parser refuses a request (issue "Agree with Atmo at the edges", items 7, 8): a body
 * that says what was wrong, and a request head bound of 1 MiB by default (Go's, which Atmo served with), set by
 * `limits.maxHeaderBytes`.
 */
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { clientErrorAnswer } from '../../src/server/client-error.js';
import { createHttpServer, DEFAULT_MAX_HEADER_BYTES, type HttpServer } from '../../src/server/http-server.js';
import { cleanupApps } from '../support/apps.js';
import { specDirective, startApp, stopApps } from '../engine/support/engine.js';
import { rawRequest, requestBytes } from './support/raw-http.js';

const LIMITS = { maxHeaderBytes: 4096, receiveTimeoutMs: 2_000 };

/** A parser error as Node reports it. */
function parserError(code: string, reason: string, rawPacket?: Buffer, bytesParsed?: number): Error {
  return Object.assign(new Error(`Parse Error: ${reason}`), { code, reason, rawPacket, bytesParsed });
}

describe('clientErrorAnswer', () => {
  it('clientErrorAnswer - names the bound for 431 and 408, the fault for 400', () => {
    expect(clientErrorAnswer(parserError('HPE_HEADER_OVERFLOW', 'Header overflow'), LIMITS)).toEqual({
      status: 431,
      message: "the request's headers are larger than 4096 bytes (limits.maxHeaderBytes)",
    });
    expect(clientErrorAnswer(Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), LIMITS)).toEqual({
      status: 408,
      message: 'the request did not arrive within 2000 ms',
    });
    expect(clientErrorAnswer(parserError('HPE_INVALID_METHOD', 'Invalid method encountered'), LIMITS)).toEqual({ status: 400, message: 'bad request: invalid method encountered' });
    expect(clientErrorAnswer(parserError('HPE_INVALID_URL', 'Invalid char in url path', Buffer.from('GET /a\x7f', 'latin1'), 6), LIMITS)).toEqual({
      status: 400,
      message: 'bad request: invalid char in url path',
    });
    expect(clientErrorAnswer(parserError('HPE_INVALID_URL', 'Invalid char in url path', Buffer.from('GET /caf\xc3', 'latin1'), 8), LIMITS).message).toMatch(/percent-encode/);
  });
});

let server: HttpServer | undefined;

afterEach(async () => {
  await server?.close(0);
  server = undefined;
});

afterAll(async () => {
  await stopApps();
  await cleanupApps();
});

/** A server whose one route answers `ok` and the size of the request's headers it got. */
async function startServer(): Promise<number> {
  server = createHttpServer({ logger: pino({ level: 'silent' }), health: () => ({ healthy: true }) });
  server.route('GET', '/ok', (request, response) => {
    response.end(`ok ${request.headers['x-big']?.length ?? 0}`);
  });
  return server.listen(0, '127.0.0.1');
}

describe('the request head bound', () => {
  it(`http server - headers far past Node's 16 KiB are served (default ${DEFAULT_MAX_HEADER_BYTES} bytes, Go's)`, async () => {
    const port = await startServer();
    for (const size of [20_000, 1_000_000]) {
      const reply = await rawRequest(port, requestBytes('/ok', 'GET', `X-Big: ${'b'.repeat(size)}\r\n`));
      expect(reply.status, String(size)).toBe(200);
      expect(reply.body).toBe(`ok ${size}`);
    }
  });

  it('http server - a head past the bound is 431 with a JSON body naming the bound, and the connection closed', async () => {
    const port = await startServer();
    const reply = await rawRequest(port, requestBytes('/ok', 'GET', `X-Big: ${'b'.repeat(DEFAULT_MAX_HEADER_BYTES + 1)}\r\n`));
    expect(reply.status).toBe(431);
    expect(reply.headers['connection']).toBe('close');
    expect(reply.headers['content-type']).toBe('application/json');
    expect(JSON.parse(reply.body)).toEqual({ status: 431, message: `the request's headers are larger than ${DEFAULT_MAX_HEADER_BYTES} bytes (limits.maxHeaderBytes)` });
  });

  it('http server - setMaxHeaderBytes bounds the connections opened after it', async () => {
    const port = await startServer();
    server?.setMaxHeaderBytes(4096);
    const reply = await rawRequest(port, requestBytes('/ok', 'GET', `X-Big: ${'b'.repeat(8_000)}\r\n`));
    expect(reply.status).toBe(431);
    expect(JSON.parse(reply.body)).toEqual({ status: 431, message: "the request's headers are larger than 4096 bytes (limits.maxHeaderBytes)" });
    expect((await rawRequest(port, requestBytes('/ok', 'GET', `X-Big: ${'b'.repeat(2_000)}\r\n`))).status).toBe(200);
  });

  it('engine - limits.maxHeaderBytes in the Directive sets the bound', async () => {
    const app = await startApp({
      directive: specDirective(['echo'], 'limits:\n  maxHeaderBytes: 2048\nhandlers:\n  - type: request\n    resource: /echo\n    method: GET\n    steps:\n      - fn: echo\n'),
      functions: ['echo'],
    });
    const over = await rawRequest(app.port, requestBytes('/echo', 'GET', `X-Big: ${'b'.repeat(4_000)}\r\n`));
    expect(over.status).toBe(431);
    expect(JSON.parse(over.body)).toEqual({ status: 431, message: "the request's headers are larger than 2048 bytes (limits.maxHeaderBytes)" });
    expect((await rawRequest(app.port, requestBytes('/echo', 'GET', `X-Big: ${'b'.repeat(1_000)}\r\n`))).status).toBe(200);
  });
});
