/**
 * HTTP request handlers end to end (docs/reference/directive.md: HTTP responses, `onErr`): an app of real AssemblyScript functions served by
 * `createEngine` on 127.0.0.1, driven by real requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupApps } from '../support/apps.js';
import { delay, httpRequest, specDirective, startApp, stopApps, waitFor, type RunningApp } from './support/engine.js';

const SLEEP_MS = 700;

const DIRECTIVE = specDirective(
  ['echo', 'inspect', 'fail', 'trap', 'typed', 'tag', 'after', 'sleep', 'spin'],
  `
handlers:
  - type: request
    resource: /echo
    method: POST
    steps:
      - fn: echo
  - type: request
    resource: /two
    method: POST
    steps:
      - fn: tag
      - fn: echo
  - type: request
    resource: /response-key
    method: POST
    steps:
      - fn: echo
      - fn: tag
    response: echo
  - type: request
    resource: /group
    method: POST
    steps:
      - group:
          - fn: echo
          - fn: tag
    response: tag
  - type: request
    resource: /typed
    method: GET
    steps:
      - fn: typed
  - type: request
    resource: /typed-then-echo
    method: POST
    steps:
      - fn: typed
      - fn: echo
  - type: request
    resource: /fail
    method: GET
    steps:
      - fn: fail
  - type: request
    resource: /trap
    method: GET
    steps:
      - fn: trap
  - type: request
    resource: /users/:id
    method: GET
    steps:
      - fn: inspect
  - type: request
    resource: /files/*path
    method: GET
    steps:
      - fn: inspect
  - type: request
    resource: /inspect
    method: POST
    steps:
      - fn: inspect
  - type: request
    resource: /small
    method: POST
    limits:
      maxBodyBytes: 16
    steps:
      - fn: echo
  - type: request
    resource: /timeout
    method: GET
    limits:
      requestTimeoutMs: 300
    steps:
      - fn: spin
  - type: request
    resource: /pair
    method: GET
    steps:
      - group:
          - fn: sleep
            as: a
          - fn: sleep
            as: b
    response: b
  - type: request
    resource: /serial
    method: GET
    steps:
      - fn: sleep
        as: a
      - fn: sleep
        as: b
  - type: request
    resource: /continue
    method: GET
    steps:
      - fn: fail
        onErr:
          any: continue
      - fn: after
  - type: request
    resource: /continue-alone
    method: GET
    steps:
      - fn: fail
        onErr:
          any: continue
  - type: request
    resource: /continue-404
    method: GET
    steps:
      - fn: fail
        onErr:
          code:
            404: continue
      - fn: after
  - type: request
    resource: /overload
    method: GET
    limits:
      maxInFlight: 1
      queueSize: 0
    steps:
      - fn: sleep
  - type: request
    resource: /queued
    method: GET
    limits:
      maxInFlight: 1
      requestTimeoutMs: 1000
    steps:
      - fn: sleep
runtime:
  workers: 3
`,
);

let app: RunningApp;

beforeAll(async () => {
  app = await startApp({ directive: DIRECTIVE, functions: ['echo', 'inspect', 'fail', 'trap', 'typed', 'tag', 'after', 'sleep', 'spin'] });
}, 120_000);

afterAll(async () => {
  await stopApps();
  await cleanupApps();
});

const call = (path: string, options: { method?: string; body?: string; headers?: Record<string, string> } = {}) =>
  httpRequest(app.port, { path, method: options.method ?? 'GET', ...(options.body !== undefined ? { body: options.body } : {}), ...(options.headers ? { headers: options.headers } : {}) });

describe('HTTP handlers through createEngine', () => {
  it('http - a one-step handler answers 200 with the output and Content-Type application/octet-stream', async () => {
    const reply = await call('/echo', { method: 'POST', body: 'hello e2rx' });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('hello e2rx');
    expect(reply.headers['content-type']).toBe('application/octet-stream');
    expect(reply.headers['content-length']).toBe('10');
  });

  it('http - an empty output is a 200 with an empty body', async () => {
    const reply = await call('/echo', { method: 'POST' });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('');
  });

  it("http - the body is the last step's output; headers set by an earlier step are applied", async () => {
    const reply = await call('/two', { method: 'POST', body: 'last' });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('last');
    expect(reply.headers['x-step']).toBe('tag');
  });

  it('http - with `response`, the body is that state key, not the last output', async () => {
    const reply = await call('/response-key', { method: 'POST', body: 'from echo' });
    expect(reply.body).toBe('from echo');
  });

  it('http - after a group the body is the `response` key (the validator requires one); member headers are applied', async () => {
    // A group-last handler without `response` (empty body) cannot pass validation; programmatic.spec.ts runs one.
    const reply = await call('/group', { method: 'POST', body: 'x' });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('tagged');
    expect(reply.headers['x-step']).toBe('tag');
  });

  it('http - a Content-Type set by a function wins, and its other headers are applied', async () => {
    const reply = await call('/typed');
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('typed');
    expect(reply.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(reply.headers['x-fn']).toBe('typed');
  });

  it('http - a Content-Type set by an earlier step stays on the final output', async () => {
    const reply = await call('/typed-then-echo', { method: 'POST', body: 'plain' });
    expect(reply.body).toBe('plain');
    expect(reply.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('http - a Runnable error with a code in 200..599 becomes that status with {"status","message"} JSON', async () => {
    const reply = await call('/fail', { headers: { 'x-code': '403' } });
    expect(reply.status).toBe(403);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(JSON.parse(reply.body)).toEqual({ status: 403, message: 'failed with 403' });
  });

  it.each([
    ['700', 700],
    ['199', 199],
    ['-1', -1],
  ])('http - a Runnable error with code %s (outside 200..599) becomes 500', async (header, code) => {
    const reply = await call('/fail', { headers: { 'x-code': header } });
    expect(reply.status).toBe(500);
    expect(JSON.parse(reply.body)).toEqual({ status: 500, message: `failed with ${code}` });
  });

  it('http - a trap answers 500 with the JSON shape', async () => {
    const reply = await call('/trap');
    expect(reply.status).toBe(500);
    expect(reply.headers['content-type']).toBe('application/json');
    const body = JSON.parse(reply.body) as { status: number; message: string };
    expect(body.status).toBe(500);
    expect(typeof body.message).toBe('string');
    expect(body.message.length).toBeGreaterThan(0);
    // The trapped instance is not reused in a way that breaks later calls.
    expect((await call('/echo', { method: 'POST', body: 'still fine' })).body).toBe('still fine');
  });

  it('http - an unknown route answers 404 JSON; a known path with another method 405 JSON with Allow, as httprouter', async () => {
    const unknown = await call('/nowhere');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toEqual({ status: 404, message: 'not found' });
    const other = await call('/echo', { method: 'GET' });
    expect(other.status).toBe(405);
    expect(JSON.parse(other.body)).toEqual({ status: 405, message: 'method not allowed' });
  });

  it('http - :param and the query string reach the function; the url is path and query', async () => {
    const reply = await call('/users/42?q=abc&q=second');
    expect(reply.status).toBe(200);
    const seen = JSON.parse(reply.body) as Record<string, string>;
    expect(seen).toMatchObject({ method: 'GET', url: '/users/42?q=abc&q=second', param_id: '42', query_q: 'abc' });
    expect(seen['id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('http - a *catchAll param reaches the function with its leading slash, as httprouter gives it', async () => {
    const seen = JSON.parse((await call('/files/docs/a/b.txt')).body) as Record<string, string>;
    expect(seen['param_path']).toBe('/docs/a/b.txt');
    const root = JSON.parse((await call('/files/')).body) as Record<string, string>;
    expect(root['param_path']).toBe('/');
  });

  it('http - request headers reach the function with lower-cased names (first value only)', async () => {
    const seen = JSON.parse((await call('/inspect', { method: 'POST', body: 'b', headers: { 'X-Custom': 'v1', 'X-MIXED-CASE': 'm' } })).body) as Record<string, string>;
    expect(seen).toMatchObject({ method: 'POST', body: 'b', header_custom: 'v1', header_mixed: 'm' });
  });

  it('http - a body over the limit answers 413 (declared Content-Length)', async () => {
    const reply = await call('/small', { method: 'POST', body: 'x'.repeat(17) });
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body)).toMatchObject({ status: 413 });
    expect((await call('/small', { method: 'POST', body: 'x'.repeat(16) })).status).toBe(200);
  });

  it('http - a chunked body that grows over the limit answers 413', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: app.port, method: 'POST', path: '/small', agent: false, headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.write('0123456789');
      req.write('0123456789');
      req.end();
    });
    expect(status).toBe(413);
  });

  it('http - a run longer than the request timeout answers 504, and the engine keeps serving', async () => {
    const started = performance.now();
    const reply = await call('/timeout', { headers: { 'x-spin-ms': '10000' } });
    const elapsed = performance.now() - started;
    expect(reply.status).toBe(504);
    expect(JSON.parse(reply.body)).toEqual({ status: 504, message: 'request timed out after 300 ms' });
    expect(elapsed).toBeLessThan(3_000);
    expect((await call('/echo', { method: 'POST', body: 'after timeout' })).body).toBe('after timeout');
  });

  it('http - the request time limit counts from arrival: a request that waited for a slot gets 504 at its limit, not a full limit after it started', async () => {
    // Warm the function up on the workers through another handler, then teach this handler's gate a short run (its
    // first run's time is its average), so that the second request below is queued, not refused.
    for (let i = 0; i < 4; i += 1) await call('/overload', { headers: { 'x-sleep-ms': '1' } });
    expect((await call('/queued', { headers: { 'x-sleep-ms': '10' } })).status).toBe(200);
    const first = call('/queued', { headers: { 'x-sleep-ms': '500' } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Waits ~450 ms for the slot, then would run 600 ms: ~1,050 ms from its arrival, past its 1,000.
    const started = performance.now();
    const second = await call('/queued', { headers: { 'x-sleep-ms': '600' } });
    const elapsed = performance.now() - started;
    expect((await first).status).toBe(200);
    expect(second.status).toBe(504);
    expect(JSON.parse(second.body)).toEqual({ status: 504, message: 'request timed out after 1000 ms' });
    expect(elapsed).toBeGreaterThan(900);
    expect(elapsed).toBeLessThan(1_300);
  });

  it('http - the members of a group run concurrently (two slow calls take about one duration)', async () => {
    const headers = { 'x-sleep-ms': String(SLEEP_MS) };
    await call('/pair', { headers }); // warm both instances
    const started = performance.now();
    const reply = await call('/pair', { headers });
    const grouped = performance.now() - started;
    expect(reply.status).toBe(200);
    expect(reply.body).toBe(`slept ${SLEEP_MS}`);
    const serialStarted = performance.now();
    expect((await call('/serial', { headers })).status).toBe(200);
    const serial = performance.now() - serialStarted;
    expect(grouped).toBeGreaterThanOrEqual(SLEEP_MS - 50);
    expect(grouped).toBeLessThan(2 * SLEEP_MS - 100);
    expect(serial).toBeGreaterThanOrEqual(2 * SLEEP_MS - 50);
  });

  it("http - onErr any: continue stores the error JSON and the next step runs with real functions", async () => {
    const reply = await call('/continue');
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('after saw {"code":404,"message":"failed with 404"}');
  });

  it('http - onErr continue on the only step (a single-call run): the error JSON is the 200 body', async () => {
    const reply = await call('/continue-alone');
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('{"code":404,"message":"failed with 404"}');
    expect(reply.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('http - onErr code 404: continue continues on 404 and returns on any other code', async () => {
    expect((await call('/continue-404')).body).toBe('after saw {"code":404,"message":"failed with 404"}');
    const other = await call('/continue-404', { headers: { 'x-code': '409' } });
    expect(other.status).toBe(409);
    expect(JSON.parse(other.body)).toEqual({ status: 409, message: 'failed with 409' });
  });

  it('http - past maxInFlight and a full queue a request gets 503 with Retry-After; the running one completes', async () => {
    const first = call('/overload', { headers: { 'x-sleep-ms': '800' } });
    const gate = app.engine.gates.get('GET /overload');
    expect(gate).toBeDefined();
    await waitFor(() => gate?.inFlight === 1, 5_000, 'the first request to hold the slot');
    const second = await call('/overload', { headers: { 'x-sleep-ms': '800' } });
    expect(second.status).toBe(503);
    expect(second.headers['retry-after']).toBe('1');
    expect(JSON.parse(second.body)).toMatchObject({ status: 503 });
    const done = await first;
    expect(done.status).toBe(200);
    expect(done.body).toBe('slept 800');
    await delay(10);
    expect(gate?.inFlight).toBe(0);
    expect((await call('/overload', { headers: { 'x-sleep-ms': '1' } })).status).toBe(200);
  });

  it('http - a client that is slow to send its body holds no in-flight slot: others are served meanwhile', async () => {
    const { connect } = await import('node:net');
    const socket = connect(app.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('GET /overload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\nX-Sleep-Ms: 1\r\n\r\n0123456789');
    const gate = app.engine.gates.get('GET /overload');
    await delay(100);
    expect(gate?.inFlight).toBe(0);
    // The only slot of /overload (maxInFlight: 1, queueSize: 0) is free for a client that sends its request at once.
    expect((await call('/overload', { headers: { 'x-sleep-ms': '1' } })).status).toBe(200);
    socket.destroy();
    await delay(20);
    expect(gate?.inFlight).toBe(0);
    expect((await call('/overload', { headers: { 'x-sleep-ms': '1' } })).status).toBe(200);
  });

  it('http - a client that goes away while its request runs frees the slot and cancels the run', async () => {
    const { connect } = await import('node:net');
    const socket = connect(app.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('GET /overload HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Sleep-Ms: 5000\r\n\r\n');
    const gate = app.engine.gates.get('GET /overload');
    await waitFor(() => gate?.inFlight === 1, 5_000, 'the request to hold the slot');
    const started = performance.now();
    socket.destroy();
    await waitFor(() => gate?.inFlight === 0, 3_000, 'the slot to be released');
    expect(performance.now() - started).toBeLessThan(3_000);
    expect((await call('/overload', { headers: { 'x-sleep-ms': '1' } })).status).toBe(200);
  });

  it('http - app-wide limits (maxInFlight: 1, queueSize: 0): of two concurrent slow requests, one gets 503 + Retry-After', async () => {
    const small = await startApp({
      directive: specDirective(['sleep'], 'limits:\n  maxInFlight: 1\n  queueSize: 0\nhandlers:\n  - type: request\n    resource: /slow\n    method: GET\n    steps:\n      - fn: sleep\n'),
      functions: ['sleep'],
    });
    try {
      const headers = { 'x-sleep-ms': '600' };
      const replies = await Promise.all([httpRequest(small.port, { path: '/slow', headers }), delay(100).then(() => httpRequest(small.port, { path: '/slow', headers }))]);
      expect(replies.map((reply) => reply.status).sort()).toEqual([200, 503]);
      const refused = replies.find((reply) => reply.status === 503);
      expect(refused?.headers['retry-after']).toBe('1');
      expect(JSON.parse(refused?.body ?? '{}')).toEqual({ status: 503, message: 'the handler is overloaded: its queue is full; retry later' });
    } finally {
      await small.stop();
    }
  }, 30_000);

  it("http - the runtime's own per-call limit (limits.timeoutMs) stops a function that loops: 500 with the JSON shape", async () => {
    const limited = await startApp({
      directive: specDirective(['spin'], 'limits:\n  timeoutMs: 400\nhandlers:\n  - type: request\n    resource: /spin\n    method: GET\n    steps:\n      - fn: spin\n'),
      functions: ['spin'],
    });
    try {
      const started = performance.now();
      const reply = await httpRequest(limited.port, { path: '/spin', headers: { 'x-spin-ms': '10000' } });
      expect(reply.status).toBe(500);
      expect(JSON.parse(reply.body)).toMatchObject({ status: 500, message: expect.stringMatching(/time limit/) as string });
      expect(performance.now() - started).toBeLessThan(5_000);
      expect((await httpRequest(limited.port, { path: '/spin', headers: { 'x-spin-ms': '1' } })).status).toBe(200);
    } finally {
      await limited.stop();
    }
  }, 30_000);

  it('http - every request is logged with its request id', async () => {
    await call('/fail', { headers: { 'x-code': '418' } });
    const line = app.logs.find((entry) => entry['handler'] === 'GET /fail' && entry['code'] === 418);
    expect(line?.request_id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
