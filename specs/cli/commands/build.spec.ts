import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCommand } from '../../../src/cli/commands/build.js';
import { BROKEN_SOURCE, HELLO_SOURCE, makeFunctionApp } from '../../build/support.js';
import { captureIo, cleanupApps, makeAppDir, minimalDirective, runnableWasm } from '../../support/apps.js';

afterAll(cleanupApps);

async function runBuild(cwd: string, positionals: string[] = [], values: Record<string, boolean> = {}) {
  const io = captureIo({ cwd });
  const code = await buildCommand.run({ values, positionals }, io);
  return { code, out: io.out(), err: io.err() };
}

describe('build command', () => {
  it('build - builds the functions of the current directory and prints one line each', async () => {
    const app = await makeFunctionApp({ 'hello/index.ts': HELLO_SOURCE });
    const { code, out, err } = await runBuild(app);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/^building 1 function in \.\n {2}hello {2}built {6}hello\.wasm \(\d+\.\d kB, \d+ ms\)\n$/);
    expect(existsSync(join(app, 'hello.wasm'))).toBe(true);
  });

  it('build - says unchanged for a function that did not change', async () => {
    const app = await makeFunctionApp({ 'hello/index.ts': HELLO_SOURCE });
    await runBuild(app);
    const { code, out } = await runBuild(app);
    expect(code).toBe(0);
    expect(out).toContain('  hello  unchanged  hello.wasm\n');
  });

  it('build - --force rebuilds an unchanged function', async () => {
    const app = await makeFunctionApp({ 'hello/index.ts': HELLO_SOURCE });
    await runBuild(app);
    expect((await runBuild(app, [], { force: true })).out).toContain('  hello  built');
  });

  it('build - takes the app directory as an argument, relative to cwd', async () => {
    const app = await makeFunctionApp({ 'hello/index.ts': HELLO_SOURCE });
    const { code, out } = await runBuild(join(app, '..'), [app]);
    expect(code).toBe(0);
    expect(out).toContain('  hello  built');
  });

  it('build - a compile error prints the function name and file:line:col and exits 1', async () => {
    const app = await makeFunctionApp({ 'broken/index.ts': BROKEN_SOURCE, 'hello/index.ts': HELLO_SOURCE }, ['broken', 'hello']);
    const { code, out, err } = await runBuild(app);
    expect(code).toBe(1);
    expect(out).toContain('  broken  failed\n');
    expect(out).toContain('  hello   built');
    expect(err).toContain("broken: broken/index.ts:4:21 - error TS2322: Type 'i32' is not assignable to type '~lib/string/String'.\n");
    expect(err).toContain('e2rx: a function failed to build: broken\nhint: fix the compile errors shown\n');
  });

  it('build - --bundle writes runnables.wasm.zip after building', async () => {
    const app = await makeFunctionApp({ 'hello/index.ts': HELLO_SOURCE, 'static/a.txt': 'a' });
    const { code, out } = await runBuild(app, [], { bundle: true });
    expect(code).toBe(0);
    expect(out).toMatch(/bundle runnables\.wasm\.zip \(3 entries, [\d.]+ k?B\)\n$/);
    expect(existsSync(join(app, 'runnables.wasm.zip'))).toBe(true);
  });

  it('build - --bundle does not bundle when a function failed', async () => {
    const app = await makeFunctionApp({ 'hello/index.ts': BROKEN_SOURCE });
    expect((await runBuild(app, [], { bundle: true })).code).toBe(1);
    expect(existsSync(join(app, 'runnables.wasm.zip'))).toBe(false);
  });

  it('build - --bundle bundles prebuilt modules of an app without AssemblyScript functions', async () => {
    const app = await makeAppDir({ directive: minimalDirective(), files: { 'hello.wasm': await runnableWasm() } });
    const { code, out } = await runBuild(app, [], { bundle: true });
    expect(code).toBe(0);
    expect(out).toMatch(/^bundle runnables\.wasm\.zip \(2 entries/);
  });

  it('build - exits 1 with a hint when there is no function to build', async () => {
    const app = await makeAppDir({ directive: minimalDirective() });
    const { code, err } = await runBuild(app);
    expect(code).toBe(1);
    expect(err).toBe('e2rx: no functions to build in .\nhint: a function is a directory of the app holding an index.ts that exports run\n');
  });

  it('build - exits 1 for a missing app directory', async () => {
    const app = await makeAppDir();
    const { code, err } = await runBuild(app, ['missing']);
    expect(code).toBe(1);
    expect(err).toMatch(/^e2rx: no such app directory: .*missing\nhint: /);
  });

  it('build - declares its options and usage for help', () => {
    expect(buildCommand.name).toBe('build');
    expect(Object.keys(buildCommand.options)).toEqual(['bundle', 'force']);
    expect(buildCommand.maxPositionals).toBe(1);
  });
});
