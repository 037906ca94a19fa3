/**
 * docs/guides/go-functions.md as a new user follows it, in a directory outside the repository: `e2rx init --lang go`,
 * `npm install` (the app's node_modules made of links to this repository's packages, as npm would link them), `e2rx
 * build`, `e2rx start` and the curls; `npm test` for real (go test in hello/, then vitest); section 5's function,
 * test and expectation, taken from the guide, rebuilt, tested and called. Every Go block of the guide is a file of
 * the app at some point, and is compiled and tested there. Skipped, with the reason, without Go 1.24+.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo, cleanupApps, makeTempDir } from '../support/apps.js';
import { GO_SDK_DIR, describeWithGo } from '../support/go.js';
import { httpRequest, waitFor } from '../engine/support/engine.js';
import { ROOT, codeBlocks, curls, expectCurl, markdownSection, shellCommands } from './support.js';

const GUIDE = await readFile(join(ROOT, 'docs/guides/go-functions.md'), 'utf8');

let workDir = '';
let app = '';

beforeAll(async () => {
  workDir = await makeTempDir('e2rx-go-guide-');
  expect(resolve(workDir).startsWith(resolve(ROOT))).toBe(false);
  app = join(workDir, 'hello-go');
});

afterAll(cleanupApps);

async function e2rx(argv: readonly string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo({ cwd, env: process.env });
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

/** `e2rx start` in the app, until it answers; resolves with its port and a way to stop it. */
async function start(): Promise<{ port: number; stop: () => Promise<void> }> {
  const controller = new AbortController();
  const io = captureIo({ cwd: app, env: process.env, signal: controller.signal });
  const exited = main(['start', '--port', '0', '--host', '127.0.0.1', '--log-format', 'json'], io);
  let port = 0;
  await waitFor(
    () => {
      const serving = /"port":(\d+),"msg":"serving on/.exec(io.out());
      if (serving) port = Number(serving[1]);
      return port > 0;
    },
    20_000,
    `e2rx start to listen (stdout: ${io.out()} stderr: ${io.err()})`,
  );
  await waitFor(async () => (await httpRequest(port, { path: '/health' })).status === 200, 20_000, 'the app to be ready');
  return {
    port,
    stop: async () => {
      controller.abort();
      expect(await exited, io.err()).toBe(0);
    },
  };
}

async function replay(section: string): Promise<void> {
  const calls = curls(shellCommands(GUIDE, section));
  expect(calls.length, `curls in "${section}"`).toBeGreaterThan(0);
  const server = await start();
  try {
    for (const curl of calls) await expectCurl(server.port, curl);
  } finally {
    await server.stop();
  }
}

/** The one ```<lang> block of a section that holds `marker`. */
function block(lang: string, section: string, marker: string): string {
  const found = codeBlocks(GUIDE, lang, section).filter((text) => text.includes(marker));
  expect(found, `one ${lang} block with ${marker} in "${section}"`).toHaveLength(1);
  return found[0] ?? '';
}

/** A Go file without its `//` comment lines (the template's files have a few; the guide shows them without). */
const withoutComments = (text: string): string =>
  text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('//'))
    .join('\n')
    .trim();

/** What `npm install` makes of the app's package.json: e2rx linked from the checkout, vitest, their bins. */
async function npmInstall(): Promise<void> {
  const modules = join(app, 'node_modules');
  await mkdir(join(modules, '.bin'), { recursive: true });
  const link = async (path: string, target: string): Promise<void> => {
    if (!existsSync(path)) await symlink(target, path);
  };
  await link(join(modules, 'e2rx'), ROOT);
  await link(join(modules, 'vitest'), join(ROOT, 'node_modules', 'vitest'));
  await link(join(modules, '.bin', 'e2rx'), '../e2rx/bin/e2rx.js');
  await link(join(modules, '.bin', 'vitest'), '../vitest/vitest.mjs');
}

/** The app's `npm test`, run by npm. */
async function npmTest(): Promise<{ code: number; output: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(VITEST|TEST$|NODE_ENV$|NODE_OPTIONS$|npm_)/.test(name)));
  try {
    const { stdout, stderr } = await promisify(execFile)('npm', ['test'], {
      cwd: app,
      env: { ...env, NO_COLOR: '1', CI: '1', npm_config_update_notifier: 'false' },
      timeout: 180_000,
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describeWithGo('the Go guide (docs/guides/go-functions.md)', () => {
  it('go guide - sections 1 to 4 name init --lang go, npm install, build, start, the curl, npm test', () => {
    const commands = ['1. Create an app', '2. Build', '3. Run', '4. Test'].flatMap((section) => shellCommands(GUIDE, section)).map((command) => command.words.join(' '));
    expect(commands).toEqual([
      'npx e2rx init ../hello-go --lang go',
      'cd ../hello-go',
      'npm install',
      'npx e2rx build',
      'npx e2rx start',
      'curl -d world http://localhost:8080/hello',
      'npm test',
    ]);
  });

  it('go guide - e2rx init --lang go writes the files listed, and main.go, go.mod and main_test.go are what the guide shows', async () => {
    const { code, out, err } = await e2rx(['init', 'hello-go', '--lang', 'go'], workDir);
    expect(err).toBe('');
    expect(code).toBe(0);
    const listed = /```\nhello-go\/\n([\s\S]*?)```/.exec(markdownSection(GUIDE, '1. Create an app'))?.[1] ?? '';
    const files = listed
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[0] ?? '')
      .filter((file) => file !== '');
    expect(files.length).toBe(10);
    for (const file of files) expect(out, file).toContain(`  ${file}\n`);
    expect(withoutComments(await readFile(join(app, 'hello/main.go'), 'utf8'))).toBe(withoutComments(block('go', '1. Create an app', 'func hello')));
    expect((await readFile(join(app, 'hello/go.mod'), 'utf8')).trim()).toBe(block('text', '1. Create an app', 'require e2rx').replace('<your checkout>/sdk/go', GO_SDK_DIR).trim());
    expect(withoutComments(await readFile(join(app, 'hello/main_test.go'), 'utf8'))).toBe(withoutComments(block('go', '4. Test', 'func TestHello')));
  });

  it('go guide - npm install, npx e2rx build (the guide\'s output), the curl of section 3, then unchanged', async () => {
    await npmInstall();
    const build = await e2rx(['build'], app);
    expect(build.err).toBe('');
    const line = /^building 1 function in \.\n {2}hello {2}built {6}hello\.wasm \(\d+\.\d kB, \d+ ms\)\n$/;
    expect(build.out).toMatch(line);
    expect(`${block('text', '2. Build', 'built')}`).toMatch(line);
    await replay('3. Run');
    const again = await e2rx(['build'], app);
    expect(again.out).toBe(block('text', '2. Build', 'unchanged'));
  }, 120_000);

  it('go guide - npm test passes: go test in hello/, then the end-to-end test', async () => {
    const test = await npmTest();
    expect(test.code, test.output).toBe(0);
    expect(test.output).toMatch(/^ok\s+hello-go\/hello\s/m);
    expect(test.output).toMatch(/Tests\s+1 passed/);
  }, 180_000);

  it('go guide - section 5: the new function, its test and expectation; build, npm test, start, the curls', async () => {
    const section = '5. Use the host';
    await writeFile(join(app, 'hello/main.go'), block('go', section, 'func hello'));
    await writeFile(join(app, 'hello/main_test.go'), block('go', section, 'func TestHelloCountsGreetings'));
    const spec = join(app, 'tests/hello.spec.ts');
    const before = await readFile(spec, 'utf8');
    expect(before).toContain("expect(await response.text()).toBe('hello world');");
    await writeFile(spec, before.replace("expect(await response.text()).toBe('hello world');", block('ts', section, 'toBe(').trim()));
    expect(shellCommands(GUIDE, section).map((command) => command.line).slice(0, 3)).toEqual(['npx e2rx build', 'npm test', 'npx e2rx start']);
    const build = await e2rx(['build'], app);
    expect(build.out, build.err).toMatch(/ {2}hello {2}built {6}hello\.wasm/);
    const test = await npmTest();
    expect(test.code, test.output).toBe(0);
    expect(test.output).toMatch(/^ok\s+hello-go\/hello\s/m);
    await replay(section);
  }, 240_000);

  it('go guide - a compile error is printed as "How e2rx builds Go" says, and the build exits 1', async () => {
    const source = await readFile(join(app, 'hello/main.go'), 'utf8');
    try {
      await writeFile(join(app, 'hello/main.go'), source.replace('count := 1', 'count := x'));
      const build = await e2rx(['build'], app);
      expect(build.code).toBe(1);
      expect(build.err).toMatch(/^hello: hello\/main\.go:\d+:\d+ - error GO: undefined: x\n/);
      expect(markdownSection(GUIDE, 'How e2rx builds Go')).toContain('`hello: hello/main.go:12:5 - error GO: undefined: x`');
    } finally {
      await writeFile(join(app, 'hello/main.go'), source);
    }
  }, 120_000);

  it('go guide - the Go example of the CLI reference is this path: init --lang go, npm install, npm run build, npm test', async () => {
    const cli = await readFile(join(ROOT, 'docs/reference/cli.md'), 'utf8');
    const go = codeBlocks(cli, 'sh', '`e2rx init`').find((text) => text.includes('--lang go')) ?? '';
    expect(go).toBe('e2rx init my-go-app --lang go\ncd my-go-app && npm install && npm run build && npm test\n');
    // npm run build is the app's "build" script, e2rx build, which the tests above run, as npm test.
    expect((JSON.parse(await readFile(join(app, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['build']).toBe('e2rx build');
  });

  it('go guide - the SDK table lists every package of the SDK, and only those', async () => {
    const documented = [...markdownSection(GUIDE, 'The SDK').matchAll(/^\| `(e2rx(?:\/\w+)?)` \|/gm)].map((match) => match[1]);
    const packages = ['e2rx', ...(await readdir(GO_SDK_DIR, { withFileTypes: true })).filter((entry) => entry.isDirectory() && entry.name !== 'internal').map((entry) => `e2rx/${entry.name}`)];
    expect([...documented].sort()).toEqual(packages.sort());
  });
});
