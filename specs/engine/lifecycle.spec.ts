/**
 * Engine lifecycle with real runs: a graceful stop lets in-flight requests (and websocket messages) finish while new
 * requests get 503; the shutdown deadline cancels runs that are still going.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { pino } from 'pino';
import { createEngine } from '../../src/engine/engine.js';
import { cleanupApps, makeAppDir } from '../support/apps.js';
import { delay, httpRequest, specDirective, startApp, stopApps, waitFor } from './support/engine.js';
import { specFunctions } from './support/functions.js';

const DIRECTIVE = specDirective(
  ['echo', 'sleep'],
  `
handlers:
  - type: request
    resource: /slow
    method: GET
    steps:
      - fn: sleep
  - type: request
    resource: /one
    method: GET
    limits:
      maxInFlight: 1
      queueSize: 4
    steps:
      - fn: sleep
  - type: request
    resource: /echo
    method: POST
    steps:
      - fn: echo
  - type: stream
    resource: /ws
    steps:
      - fn: sleep
runtime:
  workers: 2
`,
);

beforeAll(() => specFunctions(), 120_000);
afterEach(stopApps);
afterAll(cleanupApps);

describe('engine lifecycle', () => {
  it('stop - an in-flight request completes during stop() while new requests get 503 and /health 503', async () => {
    const app = await startApp({ directive: DIRECTIVE, functions: ['echo', 'sleep'] });
    const slow = httpRequest(app.port, { path: '/slow', headers: { 'x-sleep-ms': '900' } });
    await waitFor(() => app.engine.gates.get('GET /slow')?.inFlight === 1, 5_000, 'the slow request to start');
    let stopped = false;
    const stopping = app.engine.stop().then(() => {
      stopped = true;
    });
    await delay(50);
    const refused = await httpRequest(app.port, { method: 'POST', path: '/echo', body: 'late' });
    expect(refused.status).toBe(503);
    expect(refused.headers['connection']).toBe('close');
    expect(JSON.parse(refused.body)).toEqual({ status: 503, message: 'the server is shutting down' });
    const health = await httpRequest(app.port, { path: '/health' });
    expect(health.status).toBe(503);
    expect(stopped).toBe(false);
    const reply = await slow;
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('slept 900');
    await stopping;
    expect(app.logs.some((line) => /shutdown deadline/.test(line.msg))).toBe(false);
  }, 30_000);

  it('stop - a request still waiting for a slot when stop() begins gets 503; the running one completes', async () => {
    const app = await startApp({ directive: DIRECTIVE, functions: ['echo', 'sleep'] });
    const gate = app.engine.gates.get('GET /one');
    const running = httpRequest(app.port, { path: '/one', headers: { 'x-sleep-ms': '700' } });
    await waitFor(() => gate?.inFlight === 1, 5_000, 'the first request to start');
    const queued = httpRequest(app.port, { path: '/one', headers: { 'x-sleep-ms': '700' } });
    await waitFor(() => gate?.waiting === 1, 5_000, 'the second request to queue');
    const stopping = app.engine.stop();
    expect((await running).status).toBe(200);
    const refused = await queued;
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toEqual({ status: 503, message: 'the server is shutting down' });
    await stopping;
    expect(app.logs.filter((line) => line.msg === 'sleeping 700')).toHaveLength(1);
  }, 30_000);

  it('stop - the shutdown deadline cancels runs still going: the client gets 503 and stop() returns soon', async () => {
    const app = await startApp({ directive: DIRECTIVE, functions: ['echo', 'sleep'], engine: { shutdownTimeoutMs: 300 } });
    const slow = httpRequest(app.port, { path: '/slow', headers: { 'x-sleep-ms': '8000' } });
    await waitFor(() => app.engine.gates.get('GET /slow')?.inFlight === 1, 5_000, 'the slow request to start');
    const started = performance.now();
    await app.engine.stop();
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(3_000);
    const reply = await slow;
    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.body)).toMatchObject({ status: 503 });
    expect(app.logs.some((line) => /shutdown deadline reached/.test(line.msg))).toBe(true);
  }, 30_000);

  it('stop - a websocket message in flight gets its reply, then the connection is closed with 1001', async () => {
    const app = await startApp({ directive: DIRECTIVE, functions: ['echo', 'sleep'] });
    const socket = new WebSocket(`ws://127.0.0.1:${app.port}/ws`);
    const frames: string[] = [];
    socket.on('message', (data) => frames.push(Buffer.from(data as Buffer).toString('utf8')));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    socket.send('700');
    await waitFor(() => app.logs.some((line) => line.msg === 'sleeping 700'), 5_000, 'the run to start');
    await app.engine.stop();
    expect(frames).toEqual(['slept 700']);
    expect(await closed).toBe(1001);
  }, 30_000);

  it('stop - an idle websocket connection is closed with 1001 at once', async () => {
    const app = await startApp({ directive: DIRECTIVE, functions: ['echo', 'sleep'] });
    const socket = new WebSocket(`ws://127.0.0.1:${app.port}/ws`);
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const started = performance.now();
    await app.engine.stop();
    expect(await closed).toBe(1001);
    expect(performance.now() - started).toBeLessThan(2_000);
  }, 30_000);

  it('stop - can be called twice, and `await using` stops the engine', async () => {
    const app = await startApp({ directive: DIRECTIVE, functions: ['echo', 'sleep'] });
    await Promise.all([app.engine.stop(), app.engine.stop()]);
    await app.engine[Symbol.asyncDispose]();
    await expect(httpRequest(app.port, { path: '/health' })).rejects.toThrow();
  }, 30_000);

  it('stop - called while start() is still loading, it makes start fail and leaves nothing running', async () => {
    const modules = await specFunctions();
    const dir = await makeAppDir({ directive: DIRECTIVE, files: { 'echo.wasm': modules.echo, 'sleep.wasm': modules.sleep } });
    const engine = createEngine({ app: dir, port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
    const starting = engine.start();
    await engine.stop();
    await expect(starting).rejects.toMatchObject({ code: 'E2RX_STOPPED', message: expect.stringMatching(/stopped while it was starting/) as unknown });
    expect(engine.health().healthy).toBe(false);
    const port = engine.port;
    if (port !== undefined) await expect(httpRequest(port, { path: '/health' })).rejects.toThrow();
  }, 30_000);

  it('start - a port in use fails with E2RX_LISTEN naming the port, and how to fix it', async () => {
    const app = await startApp({ directive: DIRECTIVE, functions: ['echo', 'sleep'] });
    const engine = createEngine({ app: app.dir, port: app.port, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
    await expect(engine.start()).rejects.toMatchObject({
      code: 'E2RX_LISTEN',
      message: expect.stringMatching(new RegExp(`^cannot listen on port ${app.port}: .*EADDRINUSE`)) as unknown,
      hint: 'another process uses that port: pass --port <port> or stop it',
    });
    await engine.stop();
  }, 30_000);
});
