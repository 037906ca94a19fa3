/**
 * `fromHttpRoute` and the request it builds (Atmo's `CoordinatedRequest`), against a real server.
 */
import { connect } from 'node:net';
import { pino } from 'pino';
import { finalize, mergeMap, of, tap } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createGate } from '../../src/flow/gate.js';
import { createHttpServer } from '../../src/server/http-server.js';
import { replyHttp } from '../../src/sinks/http-reply.js';
import type { HttpJob } from '../../src/messages/http-job.js';
import { fromHttpRoute } from '../../src/sources/http.js';
import { httpRequest } from '../engine/support/engine.js';

const logger = pino({ level: 'silent' });

/** A server with one route whose jobs answer the JSON of their request. */
async function withRoute(path: string, test: (port: number, jobs: HttpJob[]) => Promise<void>): Promise<void> {
  const http = createHttpServer({ logger, health: () => ({ healthy: true }) });
  const jobs: HttpJob[] = [];
  const subscription = fromHttpRoute(http, { method: 'GET', path, gate: createGate({ maxInFlight: 4, queueSize: 4 }), maxBodyBytes: 1024 })
    .pipe(
      mergeMap((job) => {
        jobs.push(job);
        const { body: _body, state: _state, ...rest } = job.request;
        const output = new TextEncoder().encode(JSON.stringify(rest));
        return of({ kind: 'ok' as const, body: output, request: job.request }).pipe(tap((result) => replyHttp(job.response, result)), finalize(job.release));
      }),
    )
    .subscribe();
  const port = await http.listen(0, '127.0.0.1');
  try {
    await test(port, jobs);
  } finally {
    subscription.unsubscribe();
    await http.close();
  }
}

/** Sends raw request text and returns the raw response. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let out = '';
    socket.on('data', (chunk) => (out += chunk.toString('utf8')));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
}

describe('fromHttpRoute', () => {
  it('fromHttpRoute - the route exists while subscribed, and only then', async () => {
    const http = createHttpServer({ logger, health: () => ({ healthy: true }) });
    const port = await http.listen(0, '127.0.0.1');
    const source = fromHttpRoute(http, { method: 'GET', path: '/cold', gate: createGate({ maxInFlight: 1, queueSize: 0 }), maxBodyBytes: 0 });
    expect((await httpRequest(port, { path: '/cold' })).status).toBe(404);
    const subscription = source.pipe(tap((job) => replyHttp(job.response, { kind: 'ok', body: new Uint8Array(), request: job.request })), tap((job) => job.release())).subscribe();
    expect((await httpRequest(port, { path: '/cold' })).status).toBe(200);
    subscription.unsubscribe();
    expect((await httpRequest(port, { path: '/cold' })).status).toBe(404);
    await http.close();
  });

  it('requestFromHttp - method, url with query, a uuid, params, lower-cased headers', async () => {
    await withRoute('/items/:id', async (port) => {
      const reply = await httpRequest(port, { path: '/items/12?x=1', headers: { 'X-Mixed-Case': 'v' } });
      const request = JSON.parse(reply.body) as { method: string; url: string; id: string; params: Record<string, string>; headers: Record<string, string> };
      expect(request).toMatchObject({ method: 'GET', url: '/items/12?x=1', params: { id: '12' }, respHeaders: {} });
      expect(request.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(request.headers['x-mixed-case']).toBe('v');
    });
  });

  it('requestFromHttp - a header sent twice gives its first value, as Go`s Header.Get did', async () => {
    await withRoute('/dup', async (port) => {
      const response = await raw(port, 'GET /dup HTTP/1.1\r\nHost: x\r\nX-Twice: first\r\nX-Twice: second\r\nConnection: close\r\n\r\n');
      const body = response.slice(response.indexOf('\r\n\r\n') + 4);
      expect((JSON.parse(body) as { headers: Record<string, string> }).headers['x-twice']).toBe('first');
    });
  });

  it('requestFromHttp - every header value is the first one sent, as a string: repeated, dropped by Node, or a lone Set-Cookie', async () => {
    await withRoute('/first', async (port) => {
      const read = async (headers: string): Promise<Record<string, unknown>> => {
        const response = await raw(port, `GET /first HTTP/1.1\r\nHost: x\r\n${headers}Connection: close\r\n\r\n`);
        return (JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as { headers: Record<string, unknown> }).headers;
      };
      // Node joins a repeated Accept ('a, b') and keeps the first User-Agent; its map has an array for Set-Cookie.
      expect(await read('Accept: a\r\nAccept: b\r\nUser-Agent: one\r\nUser-Agent: two\r\n')).toMatchObject({ accept: 'a', 'user-agent': 'one' });
      expect(await read('Set-Cookie: s=1\r\nX-One: 1\r\n')).toMatchObject({ 'set-cookie': 's=1', 'x-one': '1', host: 'x' });
      expect(await read('X-Only: v\r\n')).toEqual({ host: 'x', 'x-only': 'v', connection: 'close' });
    });
  });

  it('fromHttpRoute - a *catchAll param keeps its leading slash (httprouter)', async () => {
    await withRoute('/static/*file', async (port) => {
      const request = JSON.parse((await httpRequest(port, { path: '/static/css/site.css' })).body) as { params: Record<string, string> };
      expect(request.params).toEqual({ file: '/css/site.css' });
    });
  });
});
