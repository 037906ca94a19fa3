import { existsSync } from 'node:fs';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCommand } from '../../../src/cli/commands/build.js';
import { BROKEN_SOURCE, GO_BROKEN_SOURCE, HELLO_SOURCE, goFunction, makeFunctionApp } from '../../build/support.js';
import { captureIo, cleanupApps, makeAppDir, makeTempDir, minimalDirective, runnableWasm } from '../../support/apps.js';
import { describeWithGo } from '../../support/go.js';

afterAll(cleanupApps);

async function runBuild(cwd: string, positionals: string[] = [], values: Record<string, boolean> = {}, env: Readonly<Record<string, string | undefined>> = process.env) {
  const io = captureIo({ cwd, env });
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

  it('build - without --bundle, warns on stderr when runnables.wasm.zip is older than the app', async () => {
    const app = await makeFunctionApp({ 'hello/index.ts': HELLO_SOURCE });
    expect((await runBuild(app)).err).toBe('');
    const bundle = join(app, 'runnables.wasm.zip');
    await writeFile(bundle, 'an old bundle');
    const old = new Date('2024-01-01T00:00:00Z');
    await utimes(bundle, old, old);
    const stale = await runBuild(app);
    expect(stale.code).toBe(0);
    expect(stale.err).toBe(
      'warning: runnables.wasm.zip is older than hello.wasm: run e2rx build --bundle to update it, or delete it (e2rx start without an app serves the newer of the two)\n',
    );
    const now = new Date(Date.now() + 60_000);
    await utimes(bundle, now, now);
    expect((await runBuild(app)).err).toBe('');
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
    expect(err).toBe('e2rx: no functions to build in .\nhint: a function is a directory of the app holding an index.ts that exports run, or a Go main package that calls e2rx.Handle\n');
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

describeWithGo('build command with Go', () => {
  it('build - builds a Go function, prints its line, then says unchanged', async () => {
    const app = await makeFunctionApp(goFunction('hello'));
    const first = await runBuild(app);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^building 1 function in \.\n {2}hello {2}built {6}hello\.wasm \(\d+\.\d kB, \d+ ms\)\n$/);
    expect((await runBuild(app)).out).toBe('building 1 function in .\n  hello  unchanged  hello.wasm\n');
  }, 120_000);

  it('build - a Go compile error prints the function, file:line:col and the compiler message, and exits 1', async () => {
    const app = await makeFunctionApp({ ...goFunction('broken', GO_BROKEN_SOURCE), 'hello/index.ts': HELLO_SOURCE }, ['broken', 'hello']);
    const { code, out, err } = await runBuild(app);
    expect(code).toBe(1);
    expect(out).toContain('  broken  failed\n');
    expect(out).toContain('  hello   built');
    expect(err).toMatch(/^broken: broken\/main\.go:8:17 - error GO: cannot use len\(input\) \(value of type int\) as string value/);
    expect(err).toContain('e2rx: a function failed to build: broken\nhint: fix the compile errors shown\n');
  }, 120_000);

  it('build - --bundle puts the Go module in runnables.wasm.zip', async () => {
    const app = await makeFunctionApp({ ...goFunction('hello'), 'static/a.txt': 'a' });
    const { code, out } = await runBuild(app, [], { bundle: true });
    expect(code).toBe(0);
    expect(out).toMatch(/bundle runnables\.wasm\.zip \(3 entries, [\d.]+ kB\)\n$/);
    const entries = unzipSync(await readFile(join(app, 'runnables.wasm.zip')));
    expect(Object.keys(entries).sort()).toEqual(['Directive.yaml', 'hello.wasm', 'static/a.txt']);
    expect(Buffer.compare(Buffer.from(entries['hello.wasm'] ?? []), await readFile(join(app, 'hello.wasm')))).toBe(0);
  }, 120_000);
});

describe('build command without Go', () => {
  it('build - Go functions without Go: the message, the hint, exit 1, and no stack trace', async () => {
    const app = await makeFunctionApp(goFunction('hello'));
    const { code, out, err } = await runBuild(app, [], {}, { PATH: await makeTempDir() });
    expect(code).toBe(1);
    expect(out).toBe('building 1 function in .\n');
    expect(err).toBe(
      'e2rx: hello is a Go function; Go 1.24 or later is needed, and no go command was found on PATH\n' +
        'hint: install Go 1.24 or later (https://go.dev/dl/) and put its go command on PATH, or set E2RX_GO to the go command to use\n',
    );
  });
});
