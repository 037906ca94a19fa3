// Builds the app, starts it with e2rx on a free port, and calls the hello function over HTTP.
// Run it with `npm test`.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, createEngine, type Engine } from 'e2rx';

const appDir = fileURLToPath(new URL('..', import.meta.url));
let engine: Engine | undefined;
let baseUrl = '';

beforeAll(async () => {
  const report = await buildApp(appDir);
  expect(report.ok, JSON.stringify(report.functions, null, 2)).toBe(true);
  engine = createEngine({ app: appDir, port: 0 });
  baseUrl = `http://127.0.0.1:${await engine.start()}`;
}, 60_000);

afterAll(async () => {
  await engine?.stop();
});

describe('hello', () => {
  it('hello - answers hello <body>', async () => {
    const response = await fetch(`${baseUrl}/hello`, { method: 'POST', body: 'world' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('hello world');
  });
});
