/**
 * The access log, the request id of HTTP requests (`X-Request-ID`, both ways) and the HTTP metrics, on a running
 * engine driven by real requests.
 */
import { request as rawRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REQUEST_ID_LENGTH } from '../../src/server/request-id.js';
import { cleanupApps } from '../support/apps.js';
import { httpRequest, specDirective, startApp, stopApps, waitFor, type LogLine, type RunningApp } from '../engine/support/engine.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const DIRECTIVE = specDirective(
  ['echo', 'inspect', 'sleep'],
  `
handlers:
  - type: request
    resource: /echo
    method: POST
    steps:
      - fn: echo
  - type: request
    resource: /users/:id
    method: GET
    steps:
      - fn: inspect
  - type: request
    resource: /inspect
    method: POST
    steps:
      - fn: inspect
  - type: request
    resource: /slow
    method: GET
    limits:
      maxInFlight: 1
      queueSize: 0
    steps:
      - fn: sleep
`,
);

let app: RunningApp;

beforeAll(async () => {
  app = await startApp({ directive: DIRECTIVE, functions: ['echo', 'inspect', 'sleep'] });
}, 120_000);

afterAll(async () => {
  await stopApps();
  await cleanupApps();
});

/** The access log line of the request with this id (written when its response ends: it may come a tick later). */
async function accessLine(logs: readonly LogLine[], requestId: string | string[] | undefined): Promise<LogLine> {
  expect(typeof requestId).toBe('string');
  const find = (): LogLine | undefined => logs.find((line) => line.request_id === requestId && typeof line['duration_ms'] === 'number');
  await waitFor(() => find() !== undefined, 5_000, `the access log line of ${String(requestId)}`);
  return find() as LogLine;
}

/** The value of one sample line (`name{labels} value`), or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const parts = line.slice(name.length + 1, line.lastIndexOf('}')).split(',');
    if (wanted.every((label) => parts.includes(label))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('access log', () => {
  it('access log - a 200 is one info line: method, route, status, duration_ms, request_id, remote', async () => {
    const reply = await httpRequest(app.port, { method: 'POST', path: '/echo', body: 'hi' });
    expect(reply.status).toBe(200);
    const id = reply.headers['x-request-id'];
    expect(id).toMatch(UUID);
    const line = await accessLine(app.logs, id);
    expect(line).toMatchObject({ level: 30, method: 'POST', route: '/echo', status: 200, request_id: id, remote: '127.0.0.1' });
    expect(line['duration_ms']).toBeGreaterThanOrEqual(0);
    expect(line.msg).toBe(`POST /echo 200 ${String(line['duration_ms'])} ms`);
    expect(line).not.toHaveProperty('aborted');
    expect(app.logs.filter((entry) => entry.request_id === id && typeof entry['duration_ms'] === 'number')).toHaveLength(1);
  });

  it('access log - the route is the pattern, not the path', async () => {
    const reply = await httpRequest(app.port, { path: '/users/42?full=1' });
    expect(reply.status).toBe(200);
    expect(await accessLine(app.logs, reply.headers['x-request-id'])).toMatchObject({ method: 'GET', route: '/users/:id', status: 200 });
  });

  it('access log - a 404 is logged at info with its path (no query) and answered with an X-Request-ID', async () => {
    const reply = await httpRequest(app.port, { path: '/nowhere?token=secret' });
    expect(reply.status).toBe(404);
    const line = await accessLine(app.logs, reply.headers['x-request-id']);
    expect(line).toMatchObject({ level: 30, method: 'GET', route: '/nowhere', status: 404 });
    expect(line.msg).toMatch(/^GET \/nowhere 404 [\d.]+ ms$/);
  });

  it('access log - a 503 refusal is logged under its route, and carries the X-Request-ID of the line', async () => {
    const slow = httpRequest(app.port, { path: '/slow', headers: { 'x-sleep-ms': '600' } });
    await waitFor(() => app.engine.gates.get('GET /slow')?.inFlight === 1, 5_000, 'the slow request to start');
    const refused = await httpRequest(app.port, { path: '/slow' });
    expect(refused.status).toBe(503);
    expect(await accessLine(app.logs, refused.headers['x-request-id'])).toMatchObject({ level: 30, method: 'GET', route: '/slow', status: 503 });
    expect((await slow).status).toBe(200);
  });

  it('access log - /health and /metrics are logged at debug only', async () => {
    const health = await httpRequest(app.port, { path: '/health' });
    expect(await accessLine(app.logs, health.headers['x-request-id'])).toMatchObject({ level: 20, route: '/health', status: 200 });
    const metrics = await httpRequest(app.port, { path: '/metrics' });
    expect(await accessLine(app.logs, metrics.headers['x-request-id'])).toMatchObject({ level: 20, route: '/metrics', status: 200 });
  });

  it('access log - a client that leaves before the answer is logged with status 499 and aborted: true', async () => {
    const id = 'leaving-client-1';
    const request = rawRequest({ host: '127.0.0.1', port: app.port, path: '/slow', agent: false, headers: { 'x-sleep-ms': '400', 'x-request-id': id } });
    request.on('error', () => undefined);
    request.end();
    await waitFor(() => app.engine.gates.get('GET /slow')?.inFlight === 1, 5_000, 'the run to start');
    request.destroy();
    const line = await accessLine(app.logs, id);
    expect(line).toMatchObject({ route: '/slow', status: 499, aborted: true, remote: '127.0.0.1' });
    expect(line.msg).toMatch(/^GET \/slow 499 [\d.]+ ms \(the client went away\)$/);
    await waitFor(() => app.engine.gates.get('GET /slow')?.inFlight === 0, 5_000, 'the slot to be freed');
  });
});

describe('request id', () => {
  it('x-request-id - a usable incoming X-Request-ID is the run request id, echoed in the response and logged', async () => {
    const id = 'trace-7f9c 42/abc';
    const reply = await httpRequest(app.port, { method: 'POST', path: '/inspect', headers: { 'x-request-id': id } });
    expect(reply.status).toBe(200);
    expect((JSON.parse(reply.body) as { id: string }).id).toBe(id);
    expect(reply.headers['x-request-id']).toBe(id);
    expect(await accessLine(app.logs, id)).toMatchObject({ route: '/inspect', status: 200 });
  });

  it.each([
    ['too long', 'x'.repeat(MAX_REQUEST_ID_LENGTH + 1)],
    ['not ASCII', 'caf\u00e9'],
  ])('x-request-id - an incoming id that is %s is replaced by a fresh UUID', async (_why, id) => {
    const reply = await httpRequest(app.port, { method: 'POST', path: '/inspect', headers: { 'x-request-id': id } });
    expect(reply.status).toBe(200);
    const runId = (JSON.parse(reply.body) as { id: string }).id;
    expect(runId).toMatch(UUID);
    expect(reply.headers['x-request-id']).toBe(runId);
  });

  it('x-request-id - the longest usable id is kept', async () => {
    const id = 'y'.repeat(MAX_REQUEST_ID_LENGTH);
    const reply = await httpRequest(app.port, { method: 'POST', path: '/inspect', headers: { 'x-request-id': id } });
    expect(reply.headers['x-request-id']).toBe(id);
  });

  it('x-request-id - a 404 carries the incoming id', async () => {
    const reply = await httpRequest(app.port, { path: '/nowhere', headers: { 'x-request-id': 'lost-1' } });
    expect(reply.status).toBe(404);
    expect(reply.headers['x-request-id']).toBe('lost-1');
  });
});

describe('HTTP metrics', () => {
  it('metrics - e2rx_http_requests_total and e2rx_http_request_duration_seconds by method, route pattern and status', async () => {
    await httpRequest(app.port, { path: '/users/1' });
    await httpRequest(app.port, { path: '/users/2' });
    await httpRequest(app.port, { path: '/not-a-route/3' });
    const text = (await httpRequest(app.port, { path: '/metrics' })).body;
    expect(text).toContain('# TYPE e2rx_http_requests_total counter');
    expect(text).toContain('# TYPE e2rx_http_request_duration_seconds histogram');
    expect(sample(text, 'e2rx_http_requests_total', { method: 'GET', route: '/users/:id', status: '200' })).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'e2rx_http_requests_total', { method: 'POST', route: '/echo', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'e2rx_http_requests_total', { method: 'GET', route: '/slow', status: '503' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'e2rx_http_requests_total', { method: 'GET', route: '/slow', status: '499' })).toBe(1);
    expect(sample(text, 'e2rx_http_requests_total', { method: 'GET', route: '<unmatched>', status: '404' })).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'e2rx_http_request_duration_seconds_count', { method: 'GET', route: '/users/:id' })).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'e2rx_http_request_duration_seconds_bucket', { method: 'GET', route: '/users/:id', le: '+Inf' })).toBeGreaterThanOrEqual(3);
    expect(text).not.toContain('route="/users/1"');
    expect(text).not.toContain('/not-a-route');
  });
});

describe('access log off', () => {
  it('accessLog: false - no access log line, the metrics still count', async () => {
    const quiet = await startApp({ directive: DIRECTIVE, functions: ['echo', 'inspect', 'sleep'], engine: { accessLog: false } });
    const reply = await httpRequest(quiet.port, { method: 'POST', path: '/echo', body: 'hi', headers: { 'x-request-id': 'quiet-1' } });
    expect(reply.status).toBe(200);
    expect(reply.headers['x-request-id']).toBe('quiet-1');
    const text = (await httpRequest(quiet.port, { path: '/metrics' })).body;
    expect(sample(text, 'e2rx_http_requests_total', { method: 'POST', route: '/echo', status: '200' })).toBe(1);
    expect(quiet.logs.some((line) => typeof line['duration_ms'] === 'number')).toBe(false);
    await quiet.stop();
  }, 60_000);
});
