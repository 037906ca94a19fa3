/**
 * Routing at the edges, as Atmo's router (httprouter) answered (issue "Agree with Atmo at the edges", items 2, 4, 5):
 * a method the path has no route for gets 405 with `Allow`, OPTIONS gets 200 with `Allow`, a path no route takes gets
 * 404, and a path parameter longer than find-my-way's default bound of 100 characters is routed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupApps } from '../support/apps.js';
import { specDirective, startApp, stopApps, type RunningApp } from '../engine/support/engine.js';

const DIRECTIVE = specDirective(
  ['inspect'],
  `
handlers:
  - type: request
    resource: /tinygo/req/:id
    method: GET
    steps:
      - fn: inspect
  - type: request
    resource: /tinygo/req/:id
    method: DELETE
    steps:
      - fn: inspect
`,
);

let app: RunningApp;

beforeAll(async () => {
  app = await startApp({ directive: DIRECTIVE, functions: ['inspect'] });
}, 120_000);

afterAll(async () => {
  await stopApps();
  await cleanupApps();
});

describe('routing at the edges', () => {
  it('routing - a method the path has no route for answers 405 with Allow (the methods it has, and OPTIONS)', async () => {
    const reply = await fetch(app.url('/tinygo/req/abc'), { method: 'PUT', body: 'x' });
    expect(reply.status).toBe(405);
    expect(reply.headers.get('allow')).toBe('GET, DELETE, OPTIONS');
    expect(await reply.json()).toEqual({ status: 405, message: 'method not allowed' });
  });

  it('routing - OPTIONS on a routed path answers 200 with Allow and no body', async () => {
    const reply = await fetch(app.url('/tinygo/req/abc'), { method: 'OPTIONS' });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('allow')).toBe('GET, DELETE, OPTIONS');
    expect(await reply.text()).toBe('');
    const health = await fetch(app.url('/health'), { method: 'OPTIONS' });
    expect(health.status).toBe(200);
    expect(health.headers.get('allow')).toBe('GET, OPTIONS');
  });

  it('routing - a path no route takes is 404, whatever the method (OPTIONS too), without Allow', async () => {
    for (const method of ['GET', 'PUT', 'OPTIONS']) {
      const reply = await fetch(app.url('/nowhere/abc'), { method });
      expect(reply.status, method).toBe(404);
      expect(reply.headers.get('allow'), method).toBeNull();
    }
  });

  it('routing - a path parameter of 101 and of 4,000 characters is routed and reaches the function whole', async () => {
    for (const length of [101, 4_000]) {
      const id = 'p'.repeat(length);
      const reply = await fetch(app.url(`/tinygo/req/${id}`));
      expect(reply.status, String(length)).toBe(200);
      expect(((await reply.json()) as { param_id: string }).param_id).toBe(id);
    }
  });
});
