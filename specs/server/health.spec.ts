/**
 * `GET /health` follows the engine's readiness: 503 while the app loads (the server listens first), 200 once ready,
 * 503 again once stopping. The app loader is held back (vi.mock) so that the "loading" window is deterministic.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cleanupApps } from '../support/apps.js';
import { httpRequest, specDirective, startApp, stopApps, waitFor } from '../engine/support/engine.js';
import { specFunctions } from '../engine/support/functions.js';

const loading = vi.hoisted(() => {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { held, release: () => release() };
});

vi.mock('../../src/app/index.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/app/index.js')>();
  return {
    ...original,
    loadApp: async (...args: Parameters<typeof original.loadApp>) => {
      await loading.held;
      return original.loadApp(...args);
    },
  };
});

beforeAll(() => specFunctions(), 120_000);

afterAll(async () => {
  loading.release();
  await stopApps();
  await cleanupApps();
});

const DIRECTIVE = specDirective(['echo'], 'handlers:\n  - type: request\n    resource: /echo\n    method: POST\n    steps:\n      - fn: echo\n');

describe('GET /health', () => {
  it('health - 503 {"healthy":false} while the app loads, 200 {"healthy":true} once ready, 503 once stopping', async () => {
    const app = await startApp({ directive: DIRECTIVE, functions: ['echo'], start: false });
    const starting = app.engine.start();
    await waitFor(() => app.engine.port !== undefined, 5_000, 'the server to listen');
    const port = app.engine.port ?? 0;

    const before = await httpRequest(port, { path: '/health' });
    expect(before.status).toBe(503);
    expect(JSON.parse(before.body)).toMatchObject({ healthy: false });
    expect(app.engine.health().healthy).toBe(false);
    expect((await httpRequest(port, { method: 'POST', path: '/echo', body: 'x' })).status).toBe(404);

    loading.release();
    expect(await starting).toBe(port);
    const ready = await httpRequest(port, { path: '/health' });
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ healthy: true, connections: {} });
    expect((await httpRequest(port, { method: 'POST', path: '/echo', body: 'x' })).body).toBe('x');

    await app.stop();
    expect(app.engine.health().healthy).toBe(false);
  }, 60_000);
});
