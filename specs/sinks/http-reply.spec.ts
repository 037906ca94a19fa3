/**
 * The HTTP reply of a run (docs/reference/directive.md#http-responses-of-type-request), written to real node:http responses.
 */
import { createServer, type ServerResponse } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { E2rxError } from '../../src/errors.js';
import { failureStatus, replyCancelled, replyHttp, statusOfRunError } from '../../src/sinks/http-reply.js';
import type { RunResult } from '../../src/steps/steps.js';
import { testRequest } from '../../src/testing/index.js';
import { httpRequest, type Reply } from '../engine/support/engine.js';

/** Serves one request with `write` and returns what the client read. */
async function served(write: (response: ServerResponse) => void): Promise<Reply> {
  const server = createServer((_request, response) => write(response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await httpRequest((server.address() as AddressInfo).port, { path: '/' });
  } finally {
    server.close();
  }
}

/** Serves one request with `write` and returns the raw head of the response (its bytes, one character each). */
async function rawHead(write: (response: ServerResponse) => void): Promise<string> {
  const server = createServer((_request, response) => write(response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.end('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const chunks: Buffer[] = [];
    for await (const chunk of socket) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('latin1');
    return raw.slice(0, raw.indexOf('\r\n\r\n') + 2);
  } finally {
    server.close();
  }
}

const ok = (body: string, respHeaders: Record<string, string> = {}): RunResult => ({ kind: 'ok', body: new TextEncoder().encode(body), request: testRequest({ respHeaders }) });

describe('replyHttp', () => {
  it('replyHttp - ok: 200, the body, application/octet-stream by default, Content-Length', async () => {
    const reply = await served((response) => replyHttp(response, ok('body')));
    expect(reply).toMatchObject({ status: 200, body: 'body' });
    expect(reply.headers['content-type']).toBe('application/octet-stream');
    expect(reply.headers['content-length']).toBe('4');
  });

  it('replyHttp - headers set by functions are applied with set semantics; a Content-Type among them wins', async () => {
    const reply = await served((response) => replyHttp(response, ok('{}', { 'Content-Type': 'application/json', 'X-One': '1' })));
    expect(reply.headers['content-type']).toBe('application/json');
    expect(reply.headers['x-one']).toBe('1');
  });

  it('replyHttp - ok: X-Request-ID is the request id, unless a function set its own', async () => {
    const plain = await served((response) => replyHttp(response, { kind: 'ok', body: new Uint8Array(0), request: testRequest({ id: 'r-9' }) }));
    expect(plain.headers['x-request-id']).toBe('r-9');
    const custom = await served((response) => replyHttp(response, { kind: 'ok', body: new Uint8Array(0), request: testRequest({ id: 'r-9', respHeaders: { 'X-Other': '1' } }) }));
    expect(custom.headers['x-request-id']).toBe('r-9');
    const own = await served((response) => replyHttp(response, { kind: 'ok', body: new Uint8Array(0), request: testRequest({ id: 'r-9', respHeaders: { 'X-Request-ID': 'mine' } }) }));
    expect(own.headers['x-request-id']).toBe('mine');
  });

  it('replyHttp - a header HTTP cannot carry is dropped, not fatal', async () => {
    const reply = await served((response) => replyHttp(response, ok('fine', { 'bad header': 'x', 'X-Bad-Value': 'a\u0000b', 'X-Del': 'x\u007f', 'X-Good': 'g' })));
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('fine');
    expect(reply.headers['x-good']).toBe('g');
    expect(reply.headers['x-bad-value']).toBeUndefined();
    expect(reply.headers['x-del']).toBeUndefined();
  });

  it('replyHttp - header values go out as Atmo wrote them: CR/LF folded to a space, ends trimmed, UTF-8 bytes', async () => {
    const head = await rawHead((response) =>
      replyHttp(response, ok('x', { 'X-Lines': 'two\nlines', 'X-Crlf': 'a\r\nInjected: yes', 'X-Cjk': '日本', 'X-Cafe': 'café', 'X-Pad': '  pad\t', 'X-Tab': 'a\tb' })),
    );
    expect(head).toContain('\r\nX-Lines: two lines\r\n');
    expect(head).toContain('\r\nX-Crlf: a  Injected: yes\r\n');
    expect(head).not.toMatch(/\r\nInjected/);
    expect(head).toContain(`\r\nX-Cjk: ${Buffer.from('日本').toString('latin1')}\r\n`);
    expect(head).toContain(`\r\nX-Cafe: ${Buffer.from('café').toString('latin1')}\r\n`);
    expect(head).toContain('\r\nX-Pad: pad\r\n');
    expect(head).toContain('\r\nX-Tab: a\tb\r\n');
  });

  it('replyHttp - extra headers (the headless request ids) go on every reply', async () => {
    const failure: RunResult = { kind: 'failure', error: new Error('trap'), request: testRequest() };
    const reply = await served((response) => replyHttp(response, failure, { 'x-atmo-requestid': 'id-1' }));
    expect(reply.status).toBe(500);
    expect(reply.headers['x-atmo-requestid']).toBe('id-1');
    expect(JSON.parse(reply.body)).toEqual({ status: 500, message: 'trap' });
  });

  it('replyHttp - a Runnable error: its code when 200..599, else 500, as {"status","message"} JSON', async () => {
    const runError = (code: number): RunResult => ({ kind: 'runError', error: { code, message: `m${code}` }, request: testRequest() });
    const teapot = await served((response) => replyHttp(response, runError(418)));
    expect(teapot.status).toBe(418);
    expect(teapot.headers['content-type']).toBe('application/json');
    expect(JSON.parse(teapot.body)).toEqual({ status: 418, message: 'm418' });
    const abort = await served((response) => replyHttp(response, runError(-1)));
    expect(JSON.parse(abort.body)).toEqual({ status: 500, message: 'm-1' });
  });

  it('replyHttp - does nothing once a reply was written', async () => {
    const reply = await served((response) => {
      response.end('first');
      replyHttp(response, ok('second'));
    });
    expect(reply.body).toBe('first');
  });

  it('statusOfRunError - 200..599 kept, anything else 500', () => {
    expect([200, 404, 599, 199, 600, 0, -1].map(statusOfRunError)).toEqual([200, 404, 599, 500, 500, 500, 500]);
  });

  it('failureStatus - 504 for a request timeout, 503 when overloaded, else 500', () => {
    expect(failureStatus(new E2rxError('E2RX_REQUEST_TIMEOUT', 'request timed out after 5 ms'))).toBe(504);
    expect(failureStatus(new E2rxError('E2RX_OVERLOADED', 'busy'))).toBe(503);
    expect(failureStatus(new Error('trap'))).toBe(500);
  });
});

describe('replyCancelled', () => {
  it('replyCancelled - answers 503 with Connection: close when nothing was written', async () => {
    const reply = await served((response) => replyCancelled(response));
    expect(reply.status).toBe(503);
    expect(reply.headers['connection']).toBe('close');
    expect(JSON.parse(reply.body)).toEqual({ status: 503, message: 'the server is shutting down' });
  });

  it('replyCancelled - after replyHttp it is a no-op', async () => {
    const reply = await served((response) => {
      replyHttp(response, ok('done'));
      replyCancelled(response);
    });
    expect(reply).toMatchObject({ status: 200, body: 'done' });
  });
});
