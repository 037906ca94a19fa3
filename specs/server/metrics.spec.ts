/**
 * `GET /metrics` (Prometheus text) and `GET /health` of a running engine, after real runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupApps } from '../support/apps.js';
import { httpRequest, specDirective, startApp, stopApps, waitFor, type RunningApp } from '../engine/support/engine.js';

const FQFN = (fn: string): string => `com.e2rx.spec#default::${fn}@v1.0.0`;

const DIRECTIVE = specDirective(
  ['echo', 'fail', 'trap', 'sleep'],
  `
handlers:
  - type: request
    resource: /echo
    method: POST
    steps:
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
    resource: /slow
    method: GET
    limits:
      maxInFlight: 1
      queueSize: 0
    steps:
      - fn: sleep
runtime:
  workers: 2
`,
);

let app: RunningApp;

beforeAll(async () => {
  app = await startApp({ directive: DIRECTIVE, functions: ['echo', 'fail', 'trap', 'sleep'] });
}, 120_000);

afterAll(async () => {
  await stopApps();
  await cleanupApps();
});

const metricsText = async (): Promise<string> => {
  const reply = await httpRequest(app.port, { path: '/metrics' });
  expect(reply.status).toBe(200);
  return reply.body;
};

/** The value of one sample line (`name{labels} value`), or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.indexOf('}'));
    const parts = labelText.split(',');
    if (wanted.every((label) => parts.includes(label))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('operations endpoints', () => {
  it('health - a started engine answers GET /health 200 {"healthy":true,...}', async () => {
    const reply = await httpRequest(app.port, { path: '/health' });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(JSON.parse(reply.body)).toEqual({ healthy: true, connections: {} });
  });

  it('metrics - GET /metrics is Prometheus text with runs, calls and durations per handler and function', async () => {
    for (let index = 0; index < 3; index += 1) await httpRequest(app.port, { method: 'POST', path: '/echo', body: 'x' });
    await httpRequest(app.port, { path: '/fail' });
    await httpRequest(app.port, { path: '/trap' });
    const reply = await httpRequest(app.port, { path: '/metrics' });
    expect(reply.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = reply.body;
    expect(text).toContain('# TYPE e2rx_runs_total counter');
    expect(sample(text, 'e2rx_runs_total', { handler: 'POST /echo', outcome: 'ok' })).toBe(3);
    expect(sample(text, 'e2rx_runs_total', { handler: 'GET /fail', outcome: 'run_error' })).toBe(1);
    expect(sample(text, 'e2rx_runs_total', { handler: 'GET /trap', outcome: 'failure' })).toBe(1);
    expect(sample(text, 'e2rx_function_calls_total', { fn: FQFN('echo'), outcome: 'ok' })).toBe(3);
    expect(sample(text, 'e2rx_function_calls_total', { fn: FQFN('fail'), outcome: 'run_error' })).toBe(1);
    expect(sample(text, 'e2rx_function_calls_total', { fn: FQFN('trap'), outcome: 'failure' })).toBe(1);
    expect(text).toContain('# TYPE e2rx_run_duration_seconds histogram');
    expect(sample(text, 'e2rx_run_duration_seconds_count', { handler: 'POST /echo' })).toBe(3);
    expect(sample(text, 'e2rx_run_duration_seconds_bucket', { handler: 'POST /echo', le: '+Inf' })).toBe(3);
    expect(text).toContain('# TYPE e2rx_function_duration_seconds histogram');
    expect(sample(text, 'e2rx_function_duration_seconds_count', { fn: FQFN('echo') })).toBe(3);
    expect(text).toContain('e2rx_process_resident_memory_bytes');
    expect(sample(text, 'e2rx_pool', { fn: FQFN('echo'), kind: 'instances' })).toBeGreaterThanOrEqual(1);
  });

  it('metrics - e2rx_in_flight follows a slow request, and a refused request counts as rejected', async () => {
    const slow = httpRequest(app.port, { path: '/slow', headers: { 'x-sleep-ms': '600' } });
    await waitFor(() => app.engine.gates.get('GET /slow')?.inFlight === 1, 5_000, 'the slow request to start');
    expect(sample(await metricsText(), 'e2rx_in_flight', { handler: 'GET /slow' })).toBe(1);
    expect((await httpRequest(app.port, { path: '/slow' })).status).toBe(503);
    expect((await slow).status).toBe(200);
    const text = await metricsText();
    expect(sample(text, 'e2rx_in_flight', { handler: 'GET /slow' })).toBe(0);
    expect(sample(text, 'e2rx_runs_total', { handler: 'GET /slow', outcome: 'rejected' })).toBe(1);
    expect(sample(text, 'e2rx_runs_total', { handler: 'GET /slow', outcome: 'ok' })).toBe(1);
  });
});
