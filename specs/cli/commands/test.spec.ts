/**
 * `e2rx test` run as a process (node bin/e2rx.js, from dist/): it builds the app's functions when needed, prints one
 * line per case and `N passed, N failed`, and exits 0 (all passed), 1 (a case failed), 2 (usage: a bad option, a
 * case file with problems or none); `--reporter junit` writes JUnit XML.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELLO_SOURCE, makeFunctionApp } from '../../build/support.js';
import { cleanupApps } from '../../support/apps.js';
import { isStaleBuild } from '../../support/dist.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');

beforeAll(() => {
  if (isStaleBuild(MAIN)) {
    const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
    if (!existsSync(MAIN)) throw new Error(`npx tsc -p tsconfig.build.json did not produce dist/: ${build.stdout}${build.stderr}`);
  }
}, 180_000);

afterAll(cleanupApps);

/** Runs `e2rx <args>` in `cwd`. */
function e2rx(args: readonly string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'bin', 'e2rx.js'), ...args], { cwd, env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1' } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

const CASES = `cases:
  - name: hello answers
    request: { method: POST, path: /hello, body: world }
    expect: { status: 200, body: hello world }
`;

const WRONG = `${CASES}  - name: a wrong body
    request: { method: POST, path: /hello, body: world }
    expect: { body: hello there }
`;

/** An AssemblyScript app (not built yet) with a case file. */
async function app(cases: string): Promise<string> {
  const dir = await makeFunctionApp({ 'hello/index.ts': HELLO_SOURCE });
  await writeFile(join(dir, 'Directive.test.yaml'), cases);
  return dir;
}

describe('e2rx test as a process', () => {
  it('test - builds the functions, runs the cases, prints a line each and the summary, exit 0', async () => {
    const dir = await app(CASES);
    const result = await e2rx(['test'], dir);
    expect(result.stderr).toBe('built hello.wasm\n');
    expect(result.stdout).toBe('ok   hello answers (POST /hello)\n1 passed, 0 failed\n');
    expect(result.code).toBe(0);
    expect(existsSync(join(dir, 'hello.wasm'))).toBe(true);
    // Built once: the second run builds nothing.
    expect((await e2rx(['test', dir], join(dir, '..'))).stderr).toBe('');
  }, 60_000);

  it('test - a failing case: its unmet expectation under it, exit 1', async () => {
    const dir = await app(WRONG);
    const result = await e2rx(['test'], dir);
    expect(result.stdout).toBe(
      [
        'ok   hello answers (POST /hello)',
        'FAIL a wrong body (POST /hello)',
        '       body: expected "hello there", got "hello world"',
        '1 passed, 1 failed',
        '',
      ].join('\n'),
    );
    expect(result.code).toBe(1);
  }, 60_000);

  it('test - --reporter junit prints JUnit XML (the summary on stderr); --output writes it to a file', async () => {
    const dir = await app(WRONG);
    const result = await e2rx(['test', '--reporter', 'junit'], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="e2rx test" tests="2" failures="1" errors="0" time="[\d.]+">\n/);
    expect(result.stdout).toContain('<testcase classname="Directive.test.yaml POST /hello" name="hello answers" time=');
    expect(result.stdout).toContain('<failure message="body: expected &quot;hello there&quot;, got &quot;hello world&quot;" type="expectation">');
    expect(result.stderr).toMatch(/(^|\n)1 passed, 1 failed\n$/);
    const written = await e2rx(['test', '--reporter', 'junit', '--output', 'report.xml'], dir);
    expect(written.stdout).toContain('FAIL a wrong body (POST /hello)\n');
    expect(await readFile(join(dir, 'report.xml'), 'utf8')).toContain('tests="2" failures="1"');
  }, 60_000);

  it('test - a case file with problems: each at file:line:col, exit 2', async () => {
    const dir = await app('cases:\n  - name: typo\n    request: { method: POST, path: /hello }\n    expect: { stauts: 200 }\n');
    const result = await e2rx(['test'], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("e2rx: found 1 problem:\n\tDirective.test.yaml:4:15: unknown key 'stauts' in cases[0].expect\n");
    expect(result.stderr).not.toMatch(/^ {4}at /m);
  }, 60_000);

  it('test - usage errors exit 2: an unknown reporter, --output without junit, a bundle, no case file', async () => {
    const dir = await app(CASES);
    const reporter = await e2rx(['test', '--reporter', 'tap'], dir);
    expect(reporter).toMatchObject({ code: 2, stderr: "e2rx test: unknown reporter 'tap' (known: lines, junit)\n" });
    const output = await e2rx(['test', '--output', 'report.xml'], dir);
    expect(output).toMatchObject({ code: 2, stderr: 'e2rx test: --output writes the junit report: add --reporter junit\n' });
    await writeFile(join(dir, 'runnables.wasm.zip'), 'a bundle');
    const bundle = await e2rx(['test', 'runnables.wasm.zip'], dir);
    expect(bundle).toMatchObject({
      code: 2,
      stderr: 'e2rx test: runnables.wasm.zip is a file: give the app directory, where Directive.test.yaml sits beside the Directive\n',
    });
    const none = await makeFunctionApp({ 'hello/index.ts': HELLO_SOURCE });
    const missing = await e2rx(['test'], none);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/e2rx: Directive\.test\.yaml does not exist\nhint: write the cases of `e2rx test` in Directive\.test\.yaml/);
  }, 60_000);
});
