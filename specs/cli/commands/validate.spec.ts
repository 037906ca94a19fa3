import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { captureIo, cleanupApps, makeAppDir, makeBundle, minimalDirective, notRunnableWasm, runnableWasm } from '../../support/apps.js';
import { writeZip, zeroBomb } from '../../app/support/zip-writer.js';

let wasm: Uint8Array;

beforeAll(async () => {
  wasm = await runnableWasm();
});

afterAll(cleanupApps);

const INVALID = ['identifier: com.example.spec', 'appVersion: 1.0.0', 'atmoVersion: v0.4.7', 'handlers:', '  - type: request', '    resource: /x', '    steps:', '      - fn: nope', ''].join('\n');

describe('validate', () => {
  it('validate - prints valid and exits 0 for a valid app', async () => {
    const dir = await makeAppDir({ directive: minimalDirective(), files: { 'hello.wasm': wasm } });
    const io = captureIo({ cwd: dir });
    expect(await main(['validate', dir], io)).toBe(0);
    expect(io.out()).toBe('valid\n');
    expect(io.err()).toBe('');
  });

  it('validate - defaults to the current directory', async () => {
    const dir = await makeAppDir({ directive: minimalDirective(), files: { 'hello.wasm': wasm } });
    const io = captureIo({ cwd: dir });
    expect(await main(['validate'], io)).toBe(0);
    expect(io.out()).toBe('valid\n');
  });

  it('validate - checks a bundle', async () => {
    const bundle = await makeBundle({ 'Directive.yaml': minimalDirective(), 'hello.wasm': wasm });
    const io = captureIo({ cwd: bundle.dir });
    expect(await main(['validate', 'runnables.wasm.zip'], io)).toBe(0);
    expect(io.out()).toBe('valid\n');
  });

  it('validate - prints warnings before valid and still exits 0', async () => {
    const dir = await makeAppDir({ directive: minimalDirective({ extra: 'handler: []' }), files: { 'hello.wasm': wasm } });
    const io = captureIo({ cwd: dir });
    expect(await main(['validate'], io)).toBe(0);
    const lines = io.out().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^Directive\.yaml:\d+:1: warning: unknown key 'handler' at the top level is ignored; did you mean 'handlers'\?$/);
    expect(lines[1]).toBe('valid');
  });

  it('validate - prints found N problems: and one tab-indented line each, exits 1', async () => {
    const dir = await makeAppDir({ directive: INVALID, files: { 'hello.wasm': wasm } });
    const io = captureIo({ cwd: dir });
    expect(await main(['validate'], io)).toBe(1);
    const lines = io.out().trimEnd().split('\n');
    expect(lines[0]).toBe('found 3 problems:');
    expect(lines.slice(1)).toEqual([
      '\tDirective.yaml:2:13: app version is not a valid semantic version',
      "\tDirective.yaml:5:5: handler for resource /x has type 'request', but does not specify a method",
      // Without a method the original's label is just the resource.
      '\tDirective.yaml:8:13: handler for /x lists fn at step 0 that does not exist: nope (did you forget a namespace?)',
    ]);
    expect(io.err()).toBe('');
  });

  it('validate - one problem is reported as found 1 problem:, as cli.md says', async () => {
    const dir = await makeAppDir({ directive: minimalDirective({ appVersion: '1.0.0' }), files: { 'hello.wasm': wasm } });
    const io = captureIo({ cwd: dir });
    expect(await main(['validate'], io)).toBe(1);
    expect(io.out()).toBe('found 1 problem:\n\tDirective.yaml:2:13: app version is not a valid semantic version\n');
  });

  it('validate - shows warnings after the problems', async () => {
    const dir = await makeAppDir({ directive: `${INVALID}unknownKey: 1\n`, files: { 'hello.wasm': wasm } });
    const io = captureIo({ cwd: dir });
    expect(await main(['validate'], io)).toBe(1);
    const lines = io.out().trimEnd().split('\n');
    expect(lines[0]).toBe('found 3 problems:');
    expect(lines.at(-1)).toMatch(/warning: unknown key 'unknownKey'/);
  });

  it('validate - a missing app is one message and a hint on stderr, exit 1', async () => {
    const dir = await makeAppDir();
    const io = captureIo({ cwd: dir });
    expect(await main(['validate', 'nowhere'], io)).toBe(1);
    expect(io.err()).toBe('e2rx: nowhere does not exist\nhint: pass an app directory holding a Directive.yaml, or a runnables.wasm.zip bundle\n');
    expect(io.out()).toBe('');
  });

  it('validate - a missing module is reported with the expected file, exit 1', async () => {
    const dir = await makeAppDir({ directive: minimalDirective() });
    const io = captureIo({ cwd: dir });
    expect(await main(['validate'], io)).toBe(1);
    expect(io.err()).toContain('e2rx: function com.example.spec#default::hello@v1.0.0 has no module: expected hello.wasm or hello/hello.wasm in .\nhint: ');
  });

  it('validate - a module that is not a Runnable is reported, exit 1', async () => {
    const dir = await makeAppDir({ directive: minimalDirective(), files: { 'hello.wasm': await notRunnableWasm() } });
    const io = captureIo({ cwd: dir });
    expect(await main(['validate'], io)).toBe(1);
    expect(io.err().split('\n')[0]).toBe('e2rx: hello.wasm is not a Runnable: it does not export run_e');
  });
});

describe('validate - the real binary', () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));

  beforeAll(() => {
    if (existsSync(`${root}dist/cli/main.js`)) return;
    try {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
    } catch {
      // tsc exits non-zero on type errors elsewhere in the tree but still emits; the check below decides.
    }
    if (!existsSync(`${root}dist/cli/main.js`)) throw new Error('dist/cli/main.js is missing: run `npm run build`');
  }, 120_000);

  const run = (
    args: readonly string[],
    cwd: string,
    nodeArgs: readonly string[] = [],
    env: Readonly<Record<string, string>> = {},
  ): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [...nodeArgs, `${root}bin/e2rx.js`, ...args], { cwd, env: { PATH: process.env['PATH'] ?? '', ...env } }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      });
    });
  const preload = (name: string): string[] => ['--import', new URL(`../../fixtures/cli/${name}`, import.meta.url).href];

  it('validate - node bin/e2rx.js validate <invalid app> exits 1 with the problems and no stack trace', async () => {
    const dir = await makeAppDir({ directive: INVALID, files: { 'hello.wasm': wasm } });
    const result = await run(['validate', dir], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^found 3 problems:\n\t/);
    expect(result.stderr).not.toMatch(/^ {4}at /m);
  });

  it('validate - node bin/e2rx.js validate <missing app> exits 1 with one message and no stack trace', async () => {
    const dir = await makeAppDir();
    const result = await run(['validate', 'missing-app'], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('e2rx: missing-app does not exist\nhint: pass an app directory holding a Directive.yaml, or a runnables.wasm.zip bundle\n');
    expect(result.stderr).not.toMatch(/^ {4}at /m);
  });

  it('validate - node bin/e2rx.js with an unknown command exits 2', async () => {
    const result = await run(['bogus'], root);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(/^ {4}at /m);
  });

  it('validate - node bin/e2rx.js exits 70 on an internal error (a bug), with one message and no stack trace', async () => {
    const dir = await makeAppDir({ directive: minimalDirective(), files: { 'hello.wasm': wasm } });
    const result = await run(['validate', dir], dir, preload('bug-in-load.mjs'));
    expect(result.stderr).toBe(
      'e2rx: internal error: injected bug: entries is not iterable\nhint: this is a bug of e2rx: please report it with the log lines around it\n',
    );
    expect(result.code).toBe(70);
  });

  it('validate - node bin/e2rx.js exits 70 on an exception that escapes every command (thrown from a timer)', async () => {
    const dir = await makeAppDir({ directive: minimalDirective(), files: { 'hello.wasm': wasm } });
    const result = await run(['validate', dir], dir, preload('uncaught-exception.mjs'));
    expect(result.stderr).toBe(
      'e2rx: internal error: injected bug: thrown from a timer\nhint: this is a bug of e2rx: please report it with the log lines around it\n',
    );
    expect(result.stderr).not.toMatch(/^ {4}at /m);
    expect(result.code).toBe(70);
  });

  it('validate - node bin/e2rx.js refuses a 1 MB bundle whose static entry inflates to 1 GiB, exit 1, in bounded memory', async () => {
    const dir = await makeAppDir({
      files: {
        'runnables.wasm.zip': writeZip([
          { name: 'Directive.yaml', data: new TextEncoder().encode(minimalDirective()) },
          { name: 'hello.wasm', data: wasm },
          { name: 'static/big.bin', ...zeroBomb(1024 * 1024 * 1024) },
        ]),
      },
    });
    const rssFile = join(dir, 'max-rss');
    const result = await run(['validate', 'runnables.wasm.zip'], dir, preload('report-max-rss.mjs'), { E2RX_SPEC_RSS_FILE: rssFile });
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')[0]).toBe(
      'e2rx: runnables.wasm.zip/static/big.bin declares 1073741824 bytes, more than the 67108864 a bundle entry may have (maxEntryBytes)',
    );
    expect(result.code).toBe(1);
    // Before the bound, this took 1.18 GB: the whole entry was inflated (and the app reported valid).
    const maxRssKiB = Number(await readFile(rssFile, 'utf8'));
    expect(maxRssKiB).toBeGreaterThan(0);
    expect(maxRssKiB * 1024).toBeLessThan(300 * 1024 * 1024);
  });
});
