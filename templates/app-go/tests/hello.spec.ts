// Builds the app, starts it with e2rx on a free port, and calls the hello function over HTTP.
// Run it with `npm test`. Copy the `it` block for each handler you add.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, createEngine, createLogger, type Engine } from 'e2rx';

const appDir = fileURLToPath(new URL('..', import.meta.url));
let engine: Engine | undefined;
let baseUrl = '';

beforeAll(async () => {
  // The same build as `npm run build`: only functions whose sources changed are compiled.
  const report = await buildApp(appDir);
  expect(report.ok, JSON.stringify(report.functions, null, 2)).toBe(true);
  engine = createEngine({ app: appDir, port: 0, host: '127.0.0.1', logger: createLogger({ level: 'warn' }) });
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
