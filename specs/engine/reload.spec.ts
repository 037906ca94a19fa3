/**
 * Hot reload through real sockets: an app swapped while 16 keep-alive clients call it, an in-flight request that
 * finishes on the old version, an invalid change that is reported and leaves the old version serving.
 */
import { writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createReloadingEngine, type ReloadingEngine } from '../../src/engine/reload.js';
import { cleanupApps, makeAppDir } from '../support/apps.js';
import { captureLogger, delay, httpRequest, specDirective, waitFor } from './support/engine.js';
import { specFunctions } from './support/functions.js';
import { rawRequest, requestBytes } from '../server/support/raw-http.js';

/** Version `step` of the app: GET /who runs `typed` (answers "typed") or `tag` (answers "tagged"). */
const version = (step: 'typed' | 'tag'): string =>
  specDirective(
    ['typed', 'tag', 'sleep'],
    `
handlers:
  - type: request
    resource: /who
    method: GET
    steps:
      - fn: ${step}
  - type: request
    resource: /slow
    method: GET
    steps:
      - fn: sleep
  - type: request
    resource: /upload
    method: POST
    steps:
      - fn: sleep
  - type: stream
    resource: /ws
    steps:
      - fn: ${step}
runtime:
  workers: 2
`,
  );

const engines: ReloadingEngine[] = [];

async function startReloading(directive: string): Promise<{ engine: ReloadingEngine; dir: string; port: number; logs: ReturnType<typeof captureLogger>['lines'] }> {
  const modules = await specFunctions();
  const dir = await makeAppDir({ directive, files: { 'typed.wasm': modules.typed, 'tag.wasm': modules.tag, 'sleep.wasm': modules.sleep } });
  const { logger, lines } = captureLogger('info');
  const engine = createReloadingEngine({ app: dir, port: 0, host: '127.0.0.1', logger, accessLog: false });
  engines.push(engine);
  const port = await engine.start();
  return { engine, dir, port, logs: lines };
}

/**
 * One request on a keep-alive agent: the status and body, or the error's code. With `upload`, a POST whose body
 * (`upload`, in two halves 30 ms apart) is still arriving when the request is dispatched.
 */
function get(agent: Agent, port: number, path: string, headers: Record<string, string> = {}, upload?: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const method = upload === undefined ? 'GET' : 'POST';
    const sized = upload === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(upload)) };
    const req = request({ host: '127.0.0.1', port, path, agent, headers: sized, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    if (upload === undefined) {
      req.end();
      return;
    }
    req.flushHeaders();
    req.write(upload.slice(0, 1));
    setTimeout(() => req.end(upload.slice(1)), 30);
  });
}

beforeAll(() => specFunctions(), 120_000);
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.stop()));
});
afterAll(cleanupApps);

describe('reloading engine', () => {
  it('reload - 0 failed requests while the app is swapped 10 times under 16 keep-alive clients', async () => {
    const { engine, dir, port } = await startReloading(version('typed'));
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const failures: string[] = [];
    const bodies = new Map<string, number>();
    let total = 0;
    let loading = true;
    const client = async (index: number): Promise<void> => {
      while (loading) {
        // One request in eight is slow (40 ms), one in eight an upload (its body arrives over 30 ms): some are always
        // in flight on the old version, running or still being received, as it is swapped out.
        const kind = (total + index) % 8;
        const reply = kind === 0 ? await get(agent, port, '/slow', { 'x-sleep-ms': '40' }) : kind === 1 ? await get(agent, port, '/upload', {}, '20') : await get(agent, port, '/who');
        total += 1;
        if ('error' in reply) failures.push(reply.error);
        else if (reply.status !== 200) failures.push(`${reply.status} ${reply.body}`);
        else bodies.set(reply.body, (bodies.get(reply.body) ?? 0) + 1);
      }
    };
    const clients = Array.from({ length: 16 }, (_, index) => client(index));
    await delay(200);
    for (let swap = 1; swap <= 10; swap += 1) {
      await writeFile(join(dir, 'Directive.yaml'), version(swap % 2 === 1 ? 'tag' : 'typed'));
      const outcome = await engine.reload();
      expect(outcome.type).toBe('reloaded');
      await delay(50);
    }
    loading = false;
    await Promise.all(clients);
    agent.destroy();
    expect(failures).toEqual([]);
    // Every client kept calling through the swaps (about 80 requests a second here: the sleeps hold the 2 workers).
    expect(total).toBeGreaterThan(160);
    // Both versions served; the last swap (10, even) brought `typed` back.
    expect(bodies.get('typed')).toBeGreaterThan(0);
    expect(bodies.get('tagged')).toBeGreaterThan(0);
    expect(engine.generation).toBe(11);
    expect((await httpRequest(port, { path: '/who' })).body).toBe('typed');
  }, 120_000);

  it('reload - a request in flight finishes on the old version; the next request is served by the new one', async () => {
    const { engine, dir, port } = await startReloading(version('typed'));
    const slow = httpRequest(port, { path: '/slow', headers: { 'x-sleep-ms': '600' } });
    await waitFor(() => engine.current?.gates.get('GET /slow')?.inFlight === 1, 5_000, 'the slow request to start');
    const old = engine.current;
    await writeFile(join(dir, 'Directive.yaml'), version('tag'));
    let reloaded = false;
    const reloading = engine.reload().then((outcome) => {
      reloaded = true;
      return outcome;
    });
    await waitFor(() => engine.current !== old, 5_000, 'the swap');
    expect((await httpRequest(port, { path: '/who' })).body).toBe('tagged');
    // The old version is still draining its slow request.
    expect(reloaded).toBe(false);
    expect(await slow).toMatchObject({ status: 200, body: 'slept 600' });
    expect((await reloading).type).toBe('reloaded');
  }, 30_000);

  it('reload - an invalid Directive is reported with file:line:col and the old version keeps serving', async () => {
    const { engine, dir, port, logs } = await startReloading(version('typed'));
    await writeFile(join(dir, 'Directive.yaml'), version('typed').replace('      - fn: typed', '      - fn: missing'));
    const outcome = await engine.reload();
    expect(outcome.type).toBe('rejected');
    if (outcome.type !== 'rejected') return;
    expect(outcome.error.code).toBe('E2RX_DIRECTIVE_INVALID');
    expect(outcome.error.message).toMatch(/Directive\.yaml:\d+:\d+/);
    expect(outcome.error.message).toMatch(/missing/);
    const reported = logs.find((line) => line.msg.startsWith('reload rejected'));
    expect(reported?.msg).toMatch(/Directive\.yaml:\d+:\d+.*missing/s);
    expect(engine.generation).toBe(1);
    expect(await httpRequest(port, { path: '/who' })).toMatchObject({ status: 200, body: 'typed' });
    // Fixed, it reloads.
    await writeFile(join(dir, 'Directive.yaml'), version('tag'));
    expect((await engine.reload()).type).toBe('reloaded');
    expect((await httpRequest(port, { path: '/who' })).body).toBe('tagged');
  }, 30_000);

  it('reload - a module that is not valid WebAssembly is rejected and the old version keeps serving', async () => {
    const { engine, dir, port } = await startReloading(version('typed'));
    await writeFile(join(dir, 'typed.wasm'), 'not wasm');
    const outcome = await engine.reload();
    expect(outcome).toMatchObject({ type: 'rejected', error: { code: 'E2RX_MODULE_INVALID' } });
    expect(await httpRequest(port, { path: '/who' })).toMatchObject({ status: 200, body: 'typed' });
  }, 30_000);

  it('reload - reloads asked for while one runs share the next one', async () => {
    const { engine } = await startReloading(version('typed'));
    const outcomes = await Promise.all([engine.reload(), engine.reload(), engine.reload()]);
    expect(outcomes.map((outcome) => outcome.type)).toEqual(['reloaded', 'reloaded', 'reloaded']);
    expect(engine.generation).toBe(3);
  }, 30_000);

  it('reload - a websocket connection ends with 1001 after its message is answered; a new one reaches the new version', async () => {
    const { engine, dir, port } = await startReloading(version('typed'));
    const connect = async (): Promise<{ socket: WebSocket; frames: string[]; closed: Promise<number> }> => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      const frames: string[] = [];
      socket.on('message', (data) => frames.push(Buffer.from(data as Buffer).toString('utf8')));
      const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      return { socket, frames, closed };
    };
    const old = await connect();
    old.socket.send('x');
    await waitFor(() => old.frames.length === 1, 5_000, 'the first reply');
    expect(old.frames).toEqual(['typed']);
    await writeFile(join(dir, 'Directive.yaml'), version('tag'));
    expect((await engine.reload()).type).toBe('reloaded');
    expect(await old.closed).toBe(1001);
    const fresh = await connect();
    fresh.socket.send('x');
    await waitFor(() => fresh.frames.length === 1, 5_000, 'the reply of the new version');
    expect(fresh.frames).toEqual(['tagged']);
    fresh.socket.close();
  }, 30_000);

  it('reload - limits.maxHeaderBytes of the running version bounds the request heads on the shared listener', async () => {
    const directive = (bytes: number): string =>
      specDirective(['tag'], `limits:\n  maxHeaderBytes: ${bytes}\nhandlers:\n  - type: request\n    resource: /echo\n    method: GET\n    steps:\n      - fn: tag\n`);
    const { engine, dir, port } = await startReloading(directive(2048));
    expect((await rawRequest(port, requestBytes('/echo', 'GET', `X-Big: ${'b'.repeat(4_000)}\r\n`))).status).toBe(431);
    await writeFile(join(dir, 'Directive.yaml'), directive(8192));
    expect((await engine.reload()).type).toBe('reloaded');
    expect((await rawRequest(port, requestBytes('/echo', 'GET', `X-Big: ${'b'.repeat(4_000)}\r\n`))).status).toBe(200);
  });
});
