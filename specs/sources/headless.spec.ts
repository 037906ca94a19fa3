/**
 * Headless mode (Atmo v0.2.3 and later) through createEngine: every runnable at `POST /<identifier>/<namespace>/<fn>/<version>`,
 * state and params injected with headers, request ids in the response, no handler routes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupApps } from '../support/apps.js';
import { SPEC_IDENTIFIER, SPEC_VERSION, httpRequest, specDirective, startApp, stopApps, type RunningApp } from '../engine/support/engine.js';

const DIRECTIVE = specDirective(
  ['inspect', 'fail', 'count'],
  `
handlers:
  - type: request
    resource: /inspect
    method: POST
    steps:
      - fn: inspect
schedules:
  - name: ticker
    every:
      seconds: 1
    steps:
      - fn: count
`,
);

const path = (fn: string): string => `/${SPEC_IDENTIFIER}/default/${fn}/${SPEC_VERSION}`;

let app: RunningApp;

beforeAll(async () => {
  app = await startApp({ directive: DIRECTIVE, functions: ['inspect', 'fail', 'count'], engine: { headless: true } });
}, 120_000);

afterAll(async () => {
  await stopApps();
  await cleanupApps();
});

describe('headless mode through createEngine', () => {
  it('headless - POST /<identifier>/<namespace>/<fn>/<version> runs that one function with the body', async () => {
    const reply = await httpRequest(app.port, { method: 'POST', path: path('inspect'), body: 'the body' });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/octet-stream');
    expect(JSON.parse(reply.body)).toMatchObject({ method: 'POST', url: path('inspect'), body: 'the body', state_s: '', param_id: '' });
  });

  it('headless - the response carries X-Atmo-RequestID and X-Suborbital-RequestID: the id the function saw', async () => {
    const reply = await httpRequest(app.port, { method: 'POST', path: path('inspect') });
    const seen = JSON.parse(reply.body) as { id: string };
    expect(reply.headers['x-atmo-requestid']).toBe(seen.id);
    expect(reply.headers['x-suborbital-requestid']).toBe(seen.id);
    expect(seen.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('headless - X-Atmo-State and X-Suborbital-State inject state (both applied, Suborbital last)', async () => {
    const reply = await httpRequest(app.port, {
      method: 'POST',
      path: path('inspect'),
      headers: { 'X-Atmo-State': '{"s":"from atmo","t":"only atmo"}', 'X-Suborbital-State': '{"s":"from suborbital"}' },
    });
    expect(JSON.parse(reply.body)).toMatchObject({ state_s: 'from suborbital', state_t: 'only atmo' });
  });

  it('headless - X-Atmo-Params and X-Suborbital-Params inject params', async () => {
    const reply = await httpRequest(app.port, {
      method: 'POST',
      path: path('inspect'),
      headers: { 'X-Atmo-Params': '{"id":"7"}', 'X-Suborbital-Params': '{"path":"/p/q"}' },
    });
    expect(JSON.parse(reply.body)).toMatchObject({ param_id: '7', param_path: '/p/q' });
  });

  it('headless - a state header that is not a JSON object of strings is ignored', async () => {
    const reply = await httpRequest(app.port, { method: 'POST', path: path('inspect'), headers: { 'X-Atmo-State': 'not json', 'X-Atmo-Params': '[1]' } });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ state_s: '', param_id: '' });
  });

  it('headless - a Runnable error maps to its status, with the request id headers too', async () => {
    const reply = await httpRequest(app.port, { method: 'POST', path: path('fail'), headers: { 'x-code': '418' } });
    expect(reply.status).toBe(418);
    expect(JSON.parse(reply.body)).toEqual({ status: 418, message: 'failed with 418' });
    expect(reply.headers['x-atmo-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(reply.headers['x-suborbital-requestid']).toBe(reply.headers['x-atmo-requestid']);
  });

  it('headless - handler routes are not mounted; other versions and names are 404, other methods 405 (httprouter)', async () => {
    expect((await httpRequest(app.port, { method: 'POST', path: '/inspect', body: 'x' })).status).toBe(404);
    expect((await httpRequest(app.port, { method: 'GET', path: path('inspect') })).status).toBe(405);
    expect((await httpRequest(app.port, { method: 'POST', path: `/${SPEC_IDENTIFIER}/default/inspect/v9.9.9` })).status).toBe(404);
    expect((await httpRequest(app.port, { method: 'POST', path: `/${SPEC_IDENTIFIER}/default/nothing/${SPEC_VERSION}` })).status).toBe(404);
  });

  it('headless - schedules are not run, /health still answers', async () => {
    expect(app.engine.plan?.schedules).toEqual([]);
    expect(app.engine.plan?.requests).toEqual([]);
    expect(app.engine.plan?.headlessRoutes.map((route) => route.path).sort()).toEqual([path('count'), path('fail'), path('inspect')]);
    const health = await httpRequest(app.port, { path: '/health' });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ healthy: true });
  });
});
