/**
 * The SDK against the real e2rx host: fixtures built into an app and served by `createEngine`. The other SDK specs
 * use the mini host (support/mini-host.ts), which sees every host call; this one proves the same modules work
 * through the runtime that serves apps.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/build/build-app.js';
import { createEngine, type Engine } from '../../../src/engine/engine.js';
import { FIXTURES_DIR, SDK } from './support/fixtures.js';

const FUNCTIONS = ['hello', 'outcomes', 'request'];
const DIRECTIVE = `identifier: com.example.sdk
appVersion: v0.1.0
atmoVersion: v0.4.7
handlers:
${FUNCTIONS.map((fn) => `  - type: request\n    resource: /${fn}\n    method: POST\n    steps:\n      - fn: ${fn}\n`).join('')}`;

let dir = '';
let engine: Engine | undefined;
let base = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'e2rx-sdk-engine-'));
  await writeFile(join(dir, 'Directive.yaml'), DIRECTIVE);
  for (const fn of FUNCTIONS) {
    await mkdir(join(dir, fn));
    await writeFile(join(dir, fn, 'index.ts'), await readFile(join(FIXTURES_DIR, `${fn}.ts`)));
  }
  const report = await buildApp(dir, { sdkDir: SDK.dir });
  expect(report.ok, JSON.stringify(report.functions)).toBe(true);
  engine = createEngine({ app: dir, port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
  base = `http://127.0.0.1:${await engine.start()}`;
}, 60_000);

afterAll(async () => {
  await engine?.stop();
  await rm(dir, { recursive: true, force: true });
});

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { method: 'POST', body, headers });

describe('sdk on the e2rx engine', () => {
  it('engine - serves a string returned by run as the response body', async () => {
    const response = await post('/hello', 'wörld');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('hello wörld');
  });

  it('engine - turns Output.err into the HTTP status and JSON error body', async () => {
    const response = await post('/outcomes', 'err');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ status: 404, message: 'not found' });
  });

  it('engine - turns an abort into a 500 with the runnable abort message', async () => {
    const response = await post('/outcomes', 'assert');
    expect(response.status).toBe(500);
    const body = (await response.json()) as { message: string };
    expect(body.message).toMatch(/runnable abort: input too short; file: outcomes\/index\.ts, line: 17, col: \d+/);
  });

  it('engine - gives the request fields to req and applies resp headers', async () => {
    const response = await post('/request?q=find', '{"name":"Ada"}', { 'x-custom': 'custom value' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-result')).toBe('done');
    expect(response.headers.get('content-type')).toBe('text/plain');
    const text = await response.text();
    expect(text).toContain('method=POST\n');
    expect(text).toContain('url=/request?q=find\n');
    expect(text).toContain('bodyField=Ada\n');
    expect(text).toContain('header=custom value\n');
    expect(text).toContain('query=find\n');
    expect(text).toContain('afterSetBodyField=Grace\n');
    expect(text).toContain('afterSetBody=raw body\n');
    expect(text).not.toContain('setError=');
  });
});
