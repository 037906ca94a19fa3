import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GO_BUILD_ENV, GO_BUILD_FLAGS, compileGo, goSdkDir, parseGoDiagnostics } from '../../src/build/go.js';
import { cleanupApps, makeTempDir, writeFiles } from '../support/apps.js';
import { describeWithGo, goToolchain } from '../support/go.js';
import { GO_BROKEN_SOURCE, GO_HELLO_SOURCE, GO_SDK, goFunction, goMod } from './support.js';

afterAll(cleanupApps);

/** An app directory holding `files`. */
async function app(files: Readonly<Record<string, string>>): Promise<string> {
  const dir = await makeTempDir('e2rx-go-build-');
  await writeFiles(dir, files);
  return dir;
}

function compile(root: string, name: string, moduleDir = join(root, name)) {
  return compileGo({ moduleDir, dir: join(root, name), output: join(root, `${name}.wasm`), baseDir: root, go: goToolchain() });
}

describe('Go build flags and diagnostics', () => {
  it('GO_BUILD_FLAGS - a reactor module (c-shared) for wasip1/wasm, without local paths or VCS stamps', () => {
    expect(GO_BUILD_FLAGS).toEqual(['build', '-buildmode=c-shared', '-trimpath', '-buildvcs=false']);
    expect(GO_BUILD_ENV).toEqual({ GOOS: 'wasip1', GOARCH: 'wasm', CGO_ENABLED: '0' });
  });

  it('parseGoDiagnostics - located errors relative to the app, package headers dropped, continuation lines joined', () => {
    const stderr = [
      '# example.com/hello',
      './main.go:8:17: cannot use len(input) (value of type int) as string value in variable declaration',
      'lib/util.go:3:1: syntax error: non-declaration statement outside function body',
      'go.mod:5: unknown directive: requir',
      'go: errors parsing go.mod:',
      '\tmore detail',
      '',
    ].join('\n');
    expect(parseGoDiagnostics(stderr, '/app/hello', (path) => path.replace('/app/', ''))).toEqual([
      { severity: 'error', code: 'GO', message: 'cannot use len(input) (value of type int) as string value in variable declaration', file: 'hello/main.go', line: 8, column: 17 },
      { severity: 'error', code: 'GO', message: 'syntax error: non-declaration statement outside function body', file: 'hello/lib/util.go', line: 3, column: 1 },
      { severity: 'error', code: 'GO', message: 'unknown directive: requir', file: 'hello/go.mod', line: 5, column: 1 },
      { severity: 'error', code: 'GO', message: 'go: errors parsing go.mod:\nmore detail' },
    ]);
  });
});

describeWithGo('compileGo', () => {
  it('compileGo - builds a main package to a Runnable reactor and lists what it was built from', async () => {
    const root = await app(goFunction('hello'));
    const outcome = await compile(root, 'hello');
    expect(outcome.ok, JSON.stringify(outcome.diagnostics)).toBe(true);
    if (!outcome.ok) return;
    const module = new WebAssembly.Module(outcome.binary);
    expect(WebAssembly.Module.exports(module).map((e) => e.name).sort()).toEqual(['_initialize', 'allocate', 'deallocate', 'memory', 'run_e']);
    for (const entry of WebAssembly.Module.imports(module)) expect(['env', 'wasi_snapshot_preview1']).toContain(entry.module);
    expect(existsSync(join(root, 'hello.wasm'))).toBe(true);
    expect((await readdir(root)).filter((file) => file.endsWith('.tmp'))).toEqual([]);
    expect(outcome.inputs).toEqual(
      expect.arrayContaining([
        join(root, 'hello', 'main.go'),
        join(root, 'hello', 'go.mod'),
        join(root, 'hello') + '/',
        join(GO_SDK, 'e2rx.go'),
        join(GO_SDK, 'exports_wasip1.go'),
        join(GO_SDK, 'go.mod'),
        join(GO_SDK, 'internal', 'abi', 'host_wasip1.go'),
        join(GO_SDK, 'internal', 'abi') + '/',
      ]),
    );
    // Neither the standard library nor tests are inputs.
    expect(outcome.inputs.some((path) => path.includes('/src/runtime/') || path.endsWith('_test.go'))).toBe(false);
  }, 120_000);

  it('compileGo - the same sources build the same module', async () => {
    const first = await compile(await app(goFunction('hello')), 'hello');
    const second = await compile(await app(goFunction('hello')), 'hello');
    expect(first.ok && second.ok).toBe(true);
    if (first.ok && second.ok) expect(Buffer.compare(first.binary, second.binary)).toBe(0);
  }, 120_000);

  it('compileGo - a compile error is a diagnostic with the file, line and column, and no module is written', async () => {
    const root = await app(goFunction('broken', GO_BROKEN_SOURCE));
    const outcome = await compile(root, 'broken');
    expect(outcome.ok).toBe(false);
    expect(outcome.diagnostics).toEqual([
      { severity: 'error', code: 'GO', message: expect.stringMatching(/^cannot use len\(input\) \(value of type int\) as string value/) as string, file: 'broken/main.go', line: 8, column: 17 },
    ]);
    expect(await readdir(root)).toEqual(['broken']);
  }, 120_000);

  it('compileGo - a main package without the SDK builds, and is refused for what it lacks, with what to do', async () => {
    const root = await app({ 'bare/go.mod': goMod('example.com/bare'), 'bare/main.go': 'package main\n\nfunc main() {}\n' });
    const outcome = await compile(root, 'bare');
    expect(outcome.ok).toBe(false);
    expect(outcome.diagnostics[0]?.message).toBe(
      'the module does not export `allocate`: import the SDK ("e2rx") and register the handler with e2rx.Handle in an init function',
    );
    expect(existsSync(join(root, 'bare.wasm'))).toBe(false);
  }, 120_000);

  it('compileGo - a function directory without a go.mod says how to make it a module', async () => {
    const root = await app({ 'hello/main.go': GO_HELLO_SOURCE });
    const outcome = await compile(root, 'hello');
    expect(outcome).toEqual({
      ok: false,
      diagnostics: [
        {
          severity: 'error',
          code: 'E2RX',
          message: 'hello holds a Go main package but no go.mod: a Go function is a module; run `go mod init <name>` in it and require the SDK (see docs/guides/go-functions.md)',
          file: 'hello',
        },
      ],
    });
  });

  it('compileGo - a package of a module at the app root builds with the module directory as the working directory', async () => {
    const root = await app({ 'go.mod': goMod('example.com/app'), 'hello/main.go': GO_HELLO_SOURCE });
    const outcome = await compile(root, 'hello', root);
    expect(outcome.ok, JSON.stringify(outcome.diagnostics)).toBe(true);
    if (outcome.ok) expect(outcome.inputs).toEqual(expect.arrayContaining([join(root, 'go.mod'), join(root, 'hello', 'main.go')]));
  }, 120_000);
});

describeWithGo('compileGo when the module does not find the SDK', () => {
  const message = (sdk: string) =>
    `the module's go.mod must require the Go SDK: add "require e2rx v0.0.0" and "replace e2rx => ${sdk}" (see docs/guides/go-functions.md)`;

  it('compileGo - a go.mod without the SDK: Go\'s "not in std" comes with what to add, and where the SDK is', async () => {
    const root = await app({ 'hello/go.mod': 'module example.com/hello\n\ngo 1.24\n', 'hello/main.go': GO_HELLO_SOURCE });
    const outcome = await compile(root, 'hello');
    expect(outcome.ok).toBe(false);
    expect(outcome.diagnostics).toHaveLength(1);
    expect(outcome.diagnostics[0]).toMatchObject({ severity: 'error', code: 'GO', file: 'hello/main.go', line: 3, column: 8 });
    expect(outcome.diagnostics[0]?.message).toMatch(/^package e2rx is not in std \(.*\/src\/e2rx\): /);
    expect(outcome.diagnostics[0]?.message.endsWith(`: ${message(GO_SDK)}`)).toBe(true);
    expect(goSdkDir()).toBe(GO_SDK);
  }, 120_000);

  it('compileGo - a go.mod that requires the SDK without replacing it: the same advice', async () => {
    const root = await app({ 'hello/go.mod': 'module example.com/hello\n\ngo 1.24\n\nrequire e2rx v0.0.0\n', 'hello/main.go': GO_HELLO_SOURCE });
    const outcome = await compile(root, 'hello');
    expect(outcome.diagnostics[0]?.message).toBe(`missing go.sum entry for module providing package e2rx (imported by example.com/hello): ${message(GO_SDK)}`);
  }, 120_000);
});
