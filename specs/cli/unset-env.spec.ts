/**
 * An unset `env(VAR)` is named, with its key and place, instead of surfacing as `invalid Redis server address ""`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDirectiveSource } from '../../src/cli/directive-source.js';
import { main } from '../../src/cli/main.js';
import { describeUnsetEnv, findUnsetEnv } from '../../src/cli/unset-env.js';
import { captureIo, cleanupApps, makeAppDir, makeBundle, minimalDirective, runnableWasm } from '../support/apps.js';

let wasm: Uint8Array;

beforeAll(async () => {
  wasm = await runnableWasm();
});

afterAll(cleanupApps);

const WITH_ENV = `${minimalDirective()}connections:
  redis:
    serverAddress: env(REDIS_URL)
    password: env(REDIS_PASSWORD)
  nats:
    serverAddress: env(NATS_URL)
`;

describe('findUnsetEnv', () => {
  it('unset env - names each unset variable with its key and file:line:col; addresses are required', () => {
    const found = findUnsetEnv(WITH_ENV, 'Directive.yaml', { NATS_URL: 'nats://127.0.0.1:4222' });
    const line = WITH_ENV.split('\n').findIndex((text) => text.includes('env(REDIS_URL)')) + 1;
    expect(found).toEqual([
      { name: 'REDIS_URL', key: 'connections.redis.serverAddress', at: `Directive.yaml:${line}:20`, required: true },
      { name: 'REDIS_PASSWORD', key: 'connections.redis.password', at: `Directive.yaml:${line + 1}:15`, required: false },
    ]);
    expect(describeUnsetEnv(found[0] ?? ({} as never))).toBe(`env(REDIS_URL) is unset: connections.redis.serverAddress (Directive.yaml:${line}:20) is empty`);
  });

  it('unset env - an empty variable counts as unset; a set one is fine; list items have their index', () => {
    expect(findUnsetEnv(WITH_ENV, 'D', { REDIS_URL: '', REDIS_PASSWORD: 'x', NATS_URL: 'n' }).map((found) => found.name)).toEqual(['REDIS_URL']);
    expect(findUnsetEnv('capabilities:\n  auth:\n    headers:\n      api.example.com:\n        value: env(TOKEN)\nlist:\n  - env(ITEM)\n', 'D', {})).toEqual([
      { name: 'TOKEN', key: 'capabilities.auth.headers.api.example.com.value', at: 'D:5:16', required: false },
      { name: 'ITEM', key: 'list.0', at: 'D:7:5', required: false },
    ]);
  });

  it('unset env - inbound auth secrets, keys and JWKS URLs are required, app-wide and per handler', () => {
    const text = [
      'auth:',
      '  jwt: { secret: env(JWT_SECRET), audience: env(AUDIENCE) }',
      'handlers:',
      '  - auth:',
      '      jwt: { jwksUrl: env(JWKS_URL) }',
      '      apiKeys: { keys: { ci: env(CI_KEY) } }',
      '  - auth: { jwt: { publicKey: env(PUBLIC_KEY) } }',
    ].join('\n');
    expect(findUnsetEnv(text, 'D', {}).map((found) => [found.key, found.required])).toEqual([
      ['auth.jwt.secret', true],
      ['auth.jwt.audience', false],
      ['handlers.0.auth.jwt.jwksUrl', true],
      ['handlers.0.auth.apiKeys.keys.ci', true],
      ['handlers.1.auth.jwt.publicKey', true],
    ]);
  });

  it('unset env - invalid YAML gives nothing (the loader reports it)', () => {
    expect(findUnsetEnv('a: [b\n', 'D', {})).toEqual([]);
  });

  it('unset env - readDirectiveSource reads a directory, a Directive file and a bundle', async () => {
    const dir = await makeAppDir({ directive: WITH_ENV, files: { 'hello.wasm': wasm } });
    expect(await readDirectiveSource(dir, undefined)).toEqual({ file: 'Directive.yaml', text: WITH_ENV });
    expect((await readDirectiveSource(dir, 'Directive.yaml'))?.file).toBe('Directive.yaml');
    const bundle = await makeBundle({ 'Directive.yaml': WITH_ENV, 'hello.wasm': wasm });
    expect(await readDirectiveSource(bundle.dir, undefined)).toEqual({ file: 'runnables.wasm.zip/Directive.yaml', text: WITH_ENV });
    expect(await readDirectiveSource(bundle.dir, 'nowhere')).toBeUndefined();
  });
});

describe('e2rx start with an unset variable', () => {
  it('unset env - an unset address exits 1 naming the variables, before listening', async () => {
    const dir = await makeAppDir({ directive: WITH_ENV, files: { 'hello.wasm': wasm } });
    const io = captureIo({ cwd: dir, env: {} });
    expect(await main(['start', '--port', '0', '--log-format', 'json'], io)).toBe(1);
    expect(io.out()).toBe('');
    const [first, second, hint] = io.err().trimEnd().split('\n');
    expect(first).toMatch(/^e2rx: env\(REDIS_URL\) is unset: connections\.redis\.serverAddress \(Directive\.yaml:\d+:20\) is empty$/);
    expect(second).toMatch(/^env\(NATS_URL\) is unset: connections\.nats\.serverAddress \(Directive\.yaml:\d+:20\) is empty$/);
    expect(hint).toBe('hint: set REDIS_URL, NATS_URL in the environment of e2rx start, for example: REDIS_URL=<value> NATS_URL=<value> e2rx start');
  });

  it('unset env - an unset variable elsewhere is a warning, and the app starts', async () => {
    const directive = `${minimalDirective()}capabilities:\n  auth:\n    headers:\n      api.example.com:\n        value: env(API_TOKEN)\n`;
    const dir = await makeAppDir({ directive, files: { 'hello.wasm': wasm } });
    const controller = new AbortController();
    const io = captureIo({ cwd: dir, env: {}, signal: controller.signal });
    const exit = main(['start', '--port', '0', '--host', '127.0.0.1', '--log-format', 'json'], io);
    await expect.poll(() => io.out() + io.err(), { timeout: 10_000 }).toMatch(/"msg":"loaded |e2rx:/);
    controller.abort();
    expect(await exit, io.err()).toBe(0);
    const warning = io
      .out()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string; variable?: string })
      .find((line) => line.variable === 'API_TOKEN');
    expect(warning).toMatchObject({ level: 40, msg: expect.stringMatching(/^env\(API_TOKEN\) is unset: capabilities\.auth\.headers\.api\.example\.com\.value \(Directive\.yaml:\d+:16\) is empty$/) as string });
  });
});
