import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type BuildEvent, buildApp, findFunctions } from '../../src/build/build-app.js';
import { BUILD_MANIFEST_FILE, readBuildManifest } from '../../src/build/manifest.js';
import { E2rxError } from '../../src/errors.js';
import { cleanupApps, makeTempDir, writeFiles } from '../support/apps.js';
import { BROKEN_SOURCE, GREETING_SOURCE, HELLO_SOURCE, WITH_HELPER_SOURCE, makeFunctionApp } from './support.js';

afterAll(cleanupApps);

async function build(app: string, options: Parameters<typeof buildApp>[1] = {}) {
  const events: BuildEvent[] = [];
  const report = await buildApp(app, { ...options, onProgress: (event) => events.push(event) });
  return { report, events, statuses: Object.fromEntries(report.functions.map((fn) => [fn.name, fn.status])) };
}

const mtime = async (path: string): Promise<number> => (await stat(path)).mtimeMs;

describe('buildApp', () => {
  it('buildApp - compiles <app>/<name>/index.ts to <app>/<name>.wasm and writes the manifest', async () => {
    const app = await makeFunctionApp({ 'hello/index.ts': HELLO_SOURCE });
    const { report, events } = await build(app);
    expect(report.ok).toBe(true);
    expect(report.functions).toEqual([{ name: 'hello', status: 'built', output: join(app, 'hello.wasm'), diagnostics: [] }]);
    expect(events.map((e) => e.type)).toEqual(['start', 'built']);
    const module = new WebAssembly.Module(await readFile(join(app, 'hello.wasm')));
    expect(WebAssembly.Module.exports(module).map((e) => e.name)).toContain('run_e');
    const manifest = await readBuildManifest(app);
    expect(manifest.functions['hello']?.output).toBe('hello.wasm');
    expect(manifest.functions['hello']?.inputs).toContain('hello/index.ts');
    expect(manifest.functions['hello']?.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('buildApp - skips a function whose sources did not change', async () => {
    const app = await makeFunctionApp({ 'hello/index.ts': HELLO_SOURCE });
    await build(app);
    const before = await mtime(join(app, 'hello.wasm'));
    const { statuses, events } = await build(app);
    expect(statuses).toEqual({ hello: 'unchanged' });
    expect(events.map((e) => e.type)).toEqual(['start', 'unchanged']);
    expect(await mtime(join(app, 'hello.wasm'))).toBe(before);
  });

  it('buildApp - rebuilds a function when its source changes', async () => {
    const app = await makeFunctionApp({ 'hello/index.ts': HELLO_SOURCE });
    await build(app);
    const first = await readFile(join(app, 'hello.wasm'));
    await writeFile(join(app, 'hello/index.ts'), HELLO_SOURCE.replace('"hello "', '"bonjour "'));
    expect((await build(app)).statuses).toEqual({ hello: 'built' });
    expect(Buffer.compare(await readFile(join(app, 'hello.wasm')), first)).not.toBe(0);
  });

  it('buildApp - rebuilds a function when a file it imports changes', async () => {
    const app = await makeFunctionApp({ 'hello/index.ts': WITH_HELPER_SOURCE, 'hello/greeting.ts': GREETING_SOURCE });
    await build(app);
    expect((await build(app)).statuses).toEqual({ hello: 'unchanged' });
    await writeFile(join(app, 'hello/greeting.ts'), GREETING_SOURCE.replace('"hi "', '"hey "'));
    expect((await build(app)).statuses).toEqual({ hello: 'built' });
  });

  it('buildApp - rebuilds a function whose module was deleted or changed, and with force', async () => {
    const app = await makeFunctionApp({ 'hello/index.ts': HELLO_SOURCE });
    await build(app);
    await rm(join(app, 'hello.wasm'));
    expect((await build(app)).statuses).toEqual({ hello: 'built' });
    await writeFile(join(app, 'hello.wasm'), 'tampered');
    expect((await build(app)).statuses).toEqual({ hello: 'built' });
    expect((await build(app, { force: true })).statuses).toEqual({ hello: 'built' });
  });

  it('buildApp - reports a compile error with the function name and file:line:col, and keeps building the others', async () => {
    const app = await makeFunctionApp({ 'broken/index.ts': BROKEN_SOURCE, 'hello/index.ts': HELLO_SOURCE }, ['broken', 'hello']);
    const { report, events } = await build(app);
    expect(report.ok).toBe(false);
    expect(report.functions.map((fn) => [fn.name, fn.status])).toEqual([
      ['broken', 'failed'],
      ['hello', 'built'],
    ]);
    const failed = events.find((e) => e.type === 'failed');
    expect(failed).toMatchObject({
      type: 'failed',
      name: 'broken',
      diagnostics: [{ severity: 'error', code: 'TS2322', file: 'broken/index.ts', line: 4, column: 21 }],
    });
    expect((await readBuildManifest(app)).functions['broken']).toBeUndefined();
  });

  it('buildApp - a failed function is built again once fixed', async () => {
    const app = await makeFunctionApp({ 'hello/index.ts': BROKEN_SOURCE });
    expect((await build(app)).statuses).toEqual({ hello: 'failed' });
    expect((await build(app)).statuses).toEqual({ hello: 'failed' });
    await writeFile(join(app, 'hello/index.ts'), HELLO_SOURCE);
    expect((await build(app)).statuses).toEqual({ hello: 'built' });
  });

  it('buildApp - builds only the named functions', async () => {
    const app = await makeFunctionApp({ 'a/index.ts': HELLO_SOURCE, 'b/index.ts': HELLO_SOURCE }, ['a', 'b']);
    expect((await build(app, { only: ['b'] })).statuses).toEqual({ b: 'built' });
    await expect(buildApp(app, { only: ['nope'] })).rejects.toSatisfy((error) => E2rxError.is(error, 'E2RX_BUILD_FAILED'));
  });

  it('buildApp - fails with E2RX_APP_NOT_FOUND for a missing directory', async () => {
    await expect(buildApp(join(await makeTempDir(), 'missing'))).rejects.toSatisfy((error) =>
      E2rxError.is(error, 'E2RX_APP_NOT_FOUND'),
    );
  });

  it('buildApp - forgets functions that were removed from the app', async () => {
    const app = await makeFunctionApp({ 'a/index.ts': HELLO_SOURCE, 'b/index.ts': HELLO_SOURCE }, ['a', 'b']);
    await build(app);
    await rm(join(app, 'b'), { recursive: true });
    await build(app);
    expect(Object.keys((await readBuildManifest(app)).functions)).toEqual(['a']);
    expect(JSON.parse(await readFile(join(app, BUILD_MANIFEST_FILE), 'utf8'))).toMatchObject({ version: 1 });
  });
});

describe('findFunctions', () => {
  it('findFunctions - finds each directory with an index.ts, sorted, except reserved and hidden ones', async () => {
    const app = await makeTempDir();
    await writeFiles(app, {
      'zeta/index.ts': HELLO_SOURCE,
      'alpha/index.ts': HELLO_SOURCE,
      'no-entry/main.ts': HELLO_SOURCE,
      'static/index.ts': 'not a function',
      'node_modules/pkg/index.ts': 'not a function',
      'tests/index.ts': 'not a function',
      '.hidden/index.ts': 'not a function',
      'rusty/index.ts': 'not built by e2rx',
      'rusty/.runnable.yaml': 'name: rusty\nlang: rust\n',
      'typed/index.ts': HELLO_SOURCE,
      'typed/.runnable.yaml': 'name: typed\nlang: assemblyscript\n',
      'index.ts': 'a file at the root is not a function',
    });
    const functions = await findFunctions(app);
    expect(functions.map((fn) => fn.name)).toEqual(['alpha', 'typed', 'zeta']);
    expect(functions[0]).toEqual({
      name: 'alpha',
      dir: join(app, 'alpha'),
      entry: join(app, 'alpha', 'index.ts'),
      output: join(app, 'alpha.wasm'),
    });
  });
});
