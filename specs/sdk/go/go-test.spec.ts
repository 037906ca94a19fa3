/**
 * The Go SDK's own tests (`sdk/go`, `go test ./...` on the host, against the fake e2rx of package e2rxtest), `go vet`
 * for the host and for WebAssembly, and the SDK's promise of no dependencies. Skipped, with the reason, when Go 1.24
 * or later is not installed.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { compileGo } from '../../../src/build/go.js';
import { runGo } from '../../../src/build/go-toolchain.js';
import { createRequest } from '../../../src/runtime/request.js';
import { codeBlocks, shellCommands } from '../../examples/support.js';
import { startRuntime } from '../../runtime/support/runtime.js';
import { cleanupApps, makeTempDir, writeFiles } from '../../support/apps.js';
import { GO_SDK_DIR, ROOT, describeWithGo, goToolchain } from '../../support/go.js';

/** The SDK's packages, as `go list ./...` names them. */
const PACKAGES = ['e2rx', 'e2rx/cache', 'e2rx/db', 'e2rx/e2rxtest', 'e2rx/file', 'e2rx/graphql', 'e2rx/http', 'e2rx/internal/abi', 'e2rx/log', 'e2rx/publish', 'e2rx/req', 'e2rx/resp', 'e2rx/secrets'];

afterAll(cleanupApps);

function go(args: readonly string[], env: Readonly<Record<string, string>> = {}) {
  const toolchain = goToolchain();
  return runGo(toolchain.command, args, { cwd: GO_SDK_DIR, env: { ...toolchain.env, ...env } });
}

const README = await readFile(join(GO_SDK_DIR, 'README.md'), 'utf8');

describeWithGo('sdk/go', () => {
  it('sdk/go - go test ./... passes in every package (the README\'s command, from the repository root)', async () => {
    const command = shellCommands(README, 'Tests').map((line) => line.words);
    expect(command).toEqual([['go', '-C', 'sdk/go', 'test', './...']]);
    const toolchain = goToolchain();
    const run = await runGo(toolchain.command, [...(command[0]?.slice(1, -1) ?? []), '-count=1', './...'], { cwd: ROOT, env: toolchain.env });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const tested = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('ok '))
      .map((line) => line.split(/\s+/)[1]);
    // e2rxtest is tested too (its own tests), so every package has tests.
    expect(tested.sort()).toEqual(PACKAGES);
  }, 180_000);

  it('sdk/go - go vet is clean for the host and for GOOS=wasip1 GOARCH=wasm', async () => {
    const host = await go(['vet', './...']);
    expect(host.code, host.stderr).toBe(0);
    const wasm = await go(['vet', './...'], { GOOS: 'wasip1', GOARCH: 'wasm' });
    expect(wasm.code, wasm.stderr).toBe(0);
  }, 180_000);

  it('sdk/go - gofmt has nothing to change', async () => {
    const toolchain = goToolchain();
    const gofmt = join((await runGo(toolchain.command, ['env', 'GOROOT'], { cwd: GO_SDK_DIR, env: toolchain.env })).stdout.trim(), 'bin', 'gofmt');
    const run = await runGo(gofmt, ['-l', '.'], { cwd: GO_SDK_DIR, env: toolchain.env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('');
  });

  it('sdk/go - the module has no dependency: no require, no go.sum, only the standard library', async () => {
    const goMod = await readFile(join(GO_SDK_DIR, 'go.mod'), 'utf8');
    expect(goMod).toBe('module e2rx\n\ngo 1.24\n');
    expect(existsSync(join(GO_SDK_DIR, 'go.sum'))).toBe(false);
    const run = await go(['list', '-deps', '-f', '{{if not .Standard}}{{.ImportPath}}{{end}}', './...']);
    expect(run.code, run.stderr).toBe(0);
    const nonStandard = run.stdout.split('\n').filter((line) => line !== '');
    expect(nonStandard.every((path) => path === 'e2rx' || path.startsWith('e2rx/'))).toBe(true);
  });

  it('sdk/go README - its example builds and runs: hello <name>, and 400 without a name', async () => {
    const dir = await makeTempDir('e2rx-go-readme-');
    const replace = (codeBlocks(README, 'text')[0] ?? '').replace('<the e2rx checkout>/sdk/go', GO_SDK_DIR);
    expect(replace).toContain('require e2rx v0.0.0');
    await writeFiles(dir, { 'greet/go.mod': `module readme/greet\n\ngo 1.24\n\n${replace}`, 'greet/main.go': codeBlocks(README, 'go')[0] ?? '' });
    const outcome = await compileGo({ moduleDir: join(dir, 'greet'), dir: join(dir, 'greet'), output: join(dir, 'greet.wasm'), baseDir: dir, go: goToolchain() });
    expect(outcome.ok, JSON.stringify(outcome.diagnostics)).toBe(true);
    const { runtime } = await startRuntime();
    try {
      await runtime.register('greet', await readFile(join(dir, 'greet.wasm')));
      const named = await runtime.invoke('greet', createRequest({ method: 'GET', url: '/greet/ada', params: { name: 'ada' } }));
      expect(named.kind === 'output' ? new TextDecoder().decode(named.output) : named).toBe('hello ada');
      expect(await runtime.invoke('greet', createRequest({ method: 'GET', url: '/greet' }))).toMatchObject({ kind: 'runError', code: 400, message: 'send a name' });
    } finally {
      await runtime.close();
    }
  }, 120_000);

  it('sdk/go - every package is documented (a package comment in one of its files)', async () => {
    for (const pkg of PACKAGES) {
      const dir = join(GO_SDK_DIR, pkg.slice('e2rx'.length));
      const files = (await readdir(dir)).filter((file) => file.endsWith('.go') && !file.endsWith('_test.go'));
      const texts = await Promise.all(files.map((file) => readFile(join(dir, file), 'utf8')));
      expect(texts.some((text) => /^\/\/ Package \w+ /m.test(text)), `${pkg} has a package comment`).toBe(true);
    }
  });
});
