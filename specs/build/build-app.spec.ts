import { existsSync } from 'node:fs';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type BuildEvent, buildApp, findFunctions } from '../../src/build/build-app.js';
import { BUILD_MANIFEST_FILE, readBuildManifest } from '../../src/build/manifest.js';
import { E2rxError } from '../../src/errors.js';
import { cleanupApps, makeTempDir, writeFiles } from '../support/apps.js';
import { describeWithGo } from '../support/go.js';
import {
  BROKEN_SOURCE,
  GO_BROKEN_SOURCE,
  GO_HELLO_SOURCE,
  GREETING_SOURCE,
  HELLO_SOURCE,
  WITH_HELPER_SOURCE,
  goFunction,
  goMod,
  makeFunctionApp,
} from './support.js';

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
      lang: 'assemblyscript',
      dir: join(app, 'alpha'),
      entry: join(app, 'alpha', 'index.ts'),
      output: join(app, 'alpha.wasm'),
    });
  });
});

describe('findFunctions with Go', () => {
  it('findFunctions - a Go main package is a Go function, with its own go.mod or the app one; a library module is not', async () => {
    const app = await makeTempDir();
    await writeFiles(app, {
      'own/go.mod': goMod('example.com/own'),
      'own/main.go': GO_HELLO_SOURCE,
      'shared/main.go': GO_HELLO_SOURCE,
      'lib/go.mod': 'module example.com/lib\n\ngo 1.24\n',
      'lib/lib.go': 'package lib\n',
      'tested/go.mod': goMod('example.com/tested'),
      'tested/main_test.go': 'package main\n',
      'both/go.mod': goMod('example.com/both'),
      'both/main.go': GO_HELLO_SOURCE,
      'both/index.ts': HELLO_SOURCE,
      'as-with-go/index.ts': HELLO_SOURCE,
      'as-with-go/tool.go': GO_HELLO_SOURCE,
      'declared/index.ts': HELLO_SOURCE,
      'declared/main.go': GO_HELLO_SOURCE,
      'declared/.runnable.yaml': 'name: declared\nlang: assemblyscript\n',
      'tinygo/main.go': GO_HELLO_SOURCE,
      'tinygo/.runnable.yaml': 'name: tinygo\nlang: tinygo\n',
      'vendor/x/main.go': GO_HELLO_SOURCE,
    });
    const functions = await findFunctions(app);
    expect(functions.map((fn) => [fn.name, fn.lang])).toEqual([
      ['as-with-go', 'assemblyscript'],
      ['both', 'go'],
      ['declared', 'assemblyscript'],
      ['own', 'go'],
      ['shared', 'go'],
    ]);
    expect(functions.find((fn) => fn.name === 'own')).toEqual({ name: 'own', lang: 'go', dir: join(app, 'own'), entry: join(app, 'own', 'go.mod'), output: join(app, 'own.wasm') });
    expect(functions.find((fn) => fn.name === 'shared')?.entry).toBe(join(app, 'go.mod'));
  });
});

describeWithGo('buildApp with Go', () => {
  it('buildApp - builds a Go function to <app>/<name>.wasm and records its inputs, the SDK included', async () => {
    const app = await makeFunctionApp(goFunction('hello'));
    const { report, events } = await build(app, { env: process.env });
    expect(report).toEqual({ ok: true, functions: [{ name: 'hello', status: 'built', output: join(app, 'hello.wasm'), diagnostics: [] }] });
    expect(events.map((e) => e.type)).toEqual(['start', 'built']);
    const inputs = (await readBuildManifest(app)).functions['hello']?.inputs ?? [];
    expect(inputs).toEqual(expect.arrayContaining(['hello/', 'hello/go.mod', 'hello/main.go']));
    expect(inputs.some((input) => input.endsWith('sdk/go/req/req.go') || input.endsWith('sdk/go/e2rx.go'))).toBe(true);
    const module = new WebAssembly.Module(await readFile(join(app, 'hello.wasm')));
    expect(WebAssembly.Module.exports(module).map((e) => e.name)).toContain('_initialize');
  }, 120_000);

  it('buildApp - skips an unchanged Go function; rebuilds it when a source changes, a file is added, or a module it replaces changes', async () => {
    const app = await makeFunctionApp({
      ...goFunction('hello'),
      'hello/go.mod': goMod('example.com/hello', '\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ../lib\n'),
      'hello/main.go': GO_HELLO_SOURCE.replace('import "e2rx"', 'import (\n\t"e2rx"\n\t"example.com/lib"\n)').replace('"hello "', 'lib.Greeting'),
      'lib/go.mod': 'module example.com/lib\n\ngo 1.24\n',
      'lib/lib.go': 'package lib\n\nvar Greeting = []byte("hello ")\n',
    });
    expect((await build(app)).statuses).toEqual({ hello: 'built' });
    const before = await mtime(join(app, 'hello.wasm'));
    expect((await build(app)).statuses).toEqual({ hello: 'unchanged' });
    expect(await mtime(join(app, 'hello.wasm'))).toBe(before);

    await writeFile(join(app, 'hello/main_test.go'), 'package main\n');
    expect((await build(app)).statuses, 'a test file is not part of the module').toEqual({ hello: 'unchanged' });

    await writeFile(join(app, 'lib/lib.go'), 'package lib\n\nvar Greeting = []byte("hi ")\n');
    expect((await build(app)).statuses, 'a file of the replaced module changed').toEqual({ hello: 'built' });
    expect((await build(app)).statuses).toEqual({ hello: 'unchanged' });

    await writeFile(join(app, 'hello/extra.go'), 'package main\n\nvar extra = 1\n');
    expect((await build(app)).statuses, 'a new file in the package').toEqual({ hello: 'built' });

    await writeFile(join(app, 'hello/main.go'), (await readFile(join(app, 'hello/main.go'), 'utf8')).replace('lib.Greeting', 'append([]byte("hey "), lib.Greeting...)'));
    expect((await build(app)).statuses, 'the source changed').toEqual({ hello: 'built' });
  }, 180_000);

  it('buildApp - a change of GOFLAGS rebuilds a Go function', async () => {
    const app = await makeFunctionApp(goFunction('hello'));
    await build(app, { env: process.env });
    expect((await build(app, { env: { ...process.env, GOFLAGS: '-tags=e2rxspec' } })).statuses).toEqual({ hello: 'built' });
  }, 120_000);

  it('buildApp - Go and AssemblyScript functions of one app, and a go.mod at the app root for several Go functions', async () => {
    const app = await makeFunctionApp(
      { 'as/index.ts': HELLO_SOURCE, 'go.mod': goMod('example.com/app'), 'one/main.go': GO_HELLO_SOURCE, 'two/main.go': GO_HELLO_SOURCE },
      ['as', 'one', 'two'],
    );
    const { report } = await build(app);
    expect(report.functions.map((fn) => [fn.name, fn.status])).toEqual([
      ['as', 'built'],
      ['one', 'built'],
      ['two', 'built'],
    ]);
    expect((await readBuildManifest(app)).functions['one']?.inputs).toEqual(expect.arrayContaining(['go.mod', 'one/', 'one/main.go']));
    expect((await build(app)).statuses).toEqual({ as: 'unchanged', one: 'unchanged', two: 'unchanged' });
  }, 180_000);

  it('buildApp - a Go compile error fails that function with file:line:col and the others still build', async () => {
    const app = await makeFunctionApp({ ...goFunction('broken', GO_BROKEN_SOURCE), ...goFunction('hello') }, ['broken', 'hello']);
    const { report } = await build(app);
    expect(report.ok).toBe(false);
    expect(report.functions.map((fn) => [fn.name, fn.status])).toEqual([
      ['broken', 'failed'],
      ['hello', 'built'],
    ]);
    expect(report.functions[0]?.diagnostics).toMatchObject([{ severity: 'error', code: 'GO', file: 'broken/main.go', line: 8, column: 17 }]);
    expect((await readBuildManifest(app)).functions['broken']).toBeUndefined();
  }, 180_000);

  it('buildApp - Go sources without any go.mod fail with what to do', async () => {
    const app = await makeFunctionApp({ 'hello/main.go': GO_HELLO_SOURCE });
    const { report } = await build(app);
    expect(report.functions[0]).toMatchObject({ name: 'hello', status: 'failed', diagnostics: [{ code: 'E2RX', message: expect.stringContaining('no go.mod') as string }] });
  });
});

describe('buildApp without Go', () => {
  it('buildApp - a Go function without a Go toolchain is E2RX_TOOLCHAIN_MISSING, and nothing is built', async () => {
    const app = await makeFunctionApp({ ...goFunction('hello'), 'as/index.ts': HELLO_SOURCE }, ['as', 'hello']);
    const error: unknown = await buildApp(app, { env: { PATH: await makeTempDir() } }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(E2rxError.is(error, 'E2RX_TOOLCHAIN_MISSING')).toBe(true);
    expect((error as Error).message).toBe('hello is a Go function; Go 1.24 or later is needed, and no go command was found on PATH');
    expect(existsSync(join(app, 'as.wasm'))).toBe(false);
    expect(existsSync(join(app, BUILD_MANIFEST_FILE))).toBe(false);
  });

  it('buildApp - an app without Go functions never looks for Go', async () => {
    const app = await makeFunctionApp({ 'hello/index.ts': HELLO_SOURCE });
    expect((await build(app, { env: {} })).statuses).toEqual({ hello: 'built' });
  });
});
