/**
 * The path of a new user, as README.md and docs/guides/writing-functions.md tell it, in a directory outside the
 * repository: `e2rx init`, `e2rx build`, `e2rx start`, the guide's curls; the edit of section 4, rebuild, the new
 * answers; the second function of section 5, rebuild, its answers. Every code block the guide asks to write is
 * taken from the guide, and every curl's output is checked against it. The CLI commands run in process (`main`),
 * `start` included (stopped through its abort signal).
 *
 * The scaffolded app's own test (`npm test`) and editor support (hello/tsconfig.json) run too, with the app's
 * node_modules made of links to this repository's packages, as `npm install` would make them (its package.json
 * links e2rx as `file:<checkout>`; assemblyscript and vitest come from the registry).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo, cleanupApps, makeTempDir } from '../support/apps.js';
import { httpRequest, waitFor } from '../engine/support/engine.js';
import { ROOT, codeBlocks, curls, expectCurl, markdownSection, shellCommands } from './support.js';

const GUIDE = await readFile(join(ROOT, 'docs/guides/writing-functions.md'), 'utf8');
const README = await readFile(join(ROOT, 'README.md'), 'utf8');

let workDir = '';
let app = '';

beforeAll(async () => {
  workDir = await makeTempDir('e2rx-new-user-');
  expect(resolve(workDir).startsWith(resolve(ROOT))).toBe(false);
  app = join(workDir, 'hello-app');
});

afterAll(cleanupApps);

/** Runs `e2rx <argv>` in process, in `cwd`. */
async function e2rx(argv: readonly string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo({ cwd, env: {} });
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

/** `e2rx start --port 0` in process, in the app; resolves once it answers, with its port and a way to stop it. */
async function start(): Promise<{ port: number; stop: () => Promise<void> }> {
  const controller = new AbortController();
  const io = captureIo({ cwd: app, env: {}, signal: controller.signal });
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

/** Starts the app, replays every curl of the guide's `section`, stops it. */
async function replayGuide(section: string): Promise<void> {
  const calls = curls(shellCommands(GUIDE, section));
  expect(calls.length, `curls in "${section}"`).toBeGreaterThan(0);
  const server = await start();
  try {
    for (const curl of calls) await expectCurl(server.port, curl);
  } finally {
    await server.stop();
  }
}

/** The one ```ts block of a guide section that holds `marker`. */
function tsBlock(section: string, marker: string): string {
  const blocks = codeBlocks(GUIDE, 'ts', section).filter((block) => block.includes(marker));
  expect(blocks, `one ts block with ${marker} in "${section}"`).toHaveLength(1);
  return blocks[0] ?? '';
}

/** Drops the `//` comment lines (the template's sources have some; the guide shows them without). */
const withoutComments = (text: string): string =>
  text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#') && !line.trimStart().startsWith('//'))
    .join('\n')
    .trim();

/** Links `node_modules/<name>` of the app to this repository's copy (or to the repository itself for e2rx). */
async function linkModule(name: string, target: string): Promise<void> {
  await mkdir(join(app, 'node_modules'), { recursive: true });
  const link = join(app, 'node_modules', name);
  if (!existsSync(link)) await symlink(target, link, 'dir');
}

/** Runs the app's `npm test` (vitest run) with this repository's vitest, in a clean environment. */
async function npmTest(): Promise<{ code: number; output: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(VITEST|TEST$|NODE_ENV$|NODE_OPTIONS$)/.test(name)));
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run'], {
      cwd: app,
      env: { ...env, NO_COLOR: '1', CI: '1' },
      timeout: 120_000,
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('the new-user path (README.md, docs/guides/writing-functions.md)', () => {
  it('new user - README and guide name the same commands: init from the checkout, npm install, build, start', () => {
    const readme = shellCommands(README, 'Your own app').map((command) => command.words.join(' '));
    expect(readme).toEqual(['npx e2rx init ../my-app', 'cd ../my-app', 'npm install', 'npx e2rx build', 'npx e2rx start', 'npm test']);
    const guide = [
      ...shellCommands(GUIDE, '1. Create an app'),
      ...shellCommands(GUIDE, '2. Build'),
      ...shellCommands(GUIDE, '3. Run'),
    ].map((command) => command.words.join(' '));
    expect(guide).toEqual(['npx e2rx init ../hello-app', 'cd ../hello-app', 'npm install', 'npx e2rx build', 'npx e2rx start', "curl -d world http://localhost:8080/hello"]);
  });

  it('new user - e2rx init writes the files the guide lists, with the Directive and the function it shows', async () => {
    const { code, out, err } = await e2rx(['init', 'hello-app'], workDir);
    expect(err).toBe('');
    expect(code).toBe(0);
    const listed = /```\nhello-app\/\n([\s\S]*?)```/.exec(markdownSection(GUIDE, '1. Create an app'))?.[1] ?? '';
    const files = listed
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[0] ?? '')
      .filter((file) => file !== '');
    for (const file of files) expect(out, file).toContain(`  ${file}\n`);
    expect(out).toContain('  npm install ');
    expect(withoutComments(await readFile(join(app, 'Directive.yaml'), 'utf8'))).toBe(withoutComments(codeBlocks(GUIDE, 'yaml', '1. Create an app')[0] ?? ''));
    expect(withoutComments(await readFile(join(app, 'hello/index.ts'), 'utf8'))).toBe(withoutComments(codeBlocks(GUIDE, 'ts', '1. Create an app')[0] ?? ''));
  });

  it('new user - package.json lists only what npm install can get: e2rx linked from this checkout, registry packages', async () => {
    const pkg = JSON.parse(await readFile(join(app, 'package.json'), 'utf8')) as { devDependencies: Record<string, string>; dependencies?: unknown };
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.devDependencies).toEqual({
      assemblyscript: expect.stringMatching(/^\^0\.28\.\d+$/) as string,
      e2rx: `file:${resolve(ROOT).replace(/\/$/, '')}`,
      vitest: expect.stringMatching(/^\^4\./) as string,
    });
  });

  it('new user - e2rx build, e2rx start, the curl of section 3 (without npm install)', async () => {
    expect(existsSync(join(app, 'node_modules'))).toBe(false);
    const build = await e2rx(['build'], app);
    expect(build.err).toBe('');
    expect(build.out).toMatch(/^building 1 function in \.\n {2}hello {2}built {6}hello\.wasm \(\d+\.\d kB, \d+ ms\)\n$/);
    await replayGuide('3. Run');
    const again = await e2rx(['build'], app);
    expect(again.out).toBe('building 1 function in .\n  hello  unchanged  hello.wasm\n');
  }, 60_000);

  it("new user - the app's own test passes (npm test), and its editor config resolves the SDK", async () => {
    await linkModule('e2rx', ROOT);
    await linkModule('vitest', join(ROOT, 'node_modules/vitest'));
    await linkModule('assemblyscript', join(ROOT, 'node_modules/assemblyscript'));
    const test = await npmTest();
    expect(test.output).toMatch(/Tests\s+1 passed/);
    expect(test.code, test.output).toBe(0);
    const tsc = await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', 'hello/tsconfig.json'], { cwd: app }).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? 'tsc failed',
    );
    expect(tsc).toBe('');
  }, 120_000);

  it('new user - section 4: the edited function, rebuilt, gives the new answers', async () => {
    await writeFile(join(app, 'hello/index.ts'), tsBlock('4. Change it', 'export function run'));
    const build = await e2rx(['build'], app);
    expect(build.err).toBe('');
    expect(build.out).toMatch(/ {2}hello {2}built {6}hello\.wasm/);
    await replayGuide('4. Change it');
  }, 60_000);

  it('new user - section 4: a compile error names the function and the place, and the build exits 1', async () => {
    const source = await readFile(join(app, 'hello/index.ts'), 'utf8');
    try {
      await writeFile(join(app, 'hello/index.ts'), source.replace('const name = String.UTF8.decode(input);', 'const name: string = 42;'));
      const build = await e2rx(['build'], app);
      expect(build.code).toBe(1);
      expect(build.out).toContain('  hello  failed\n');
      expect(build.err).toMatch(/^hello: hello\/index\.ts:\d+:\d+ - error TS2322: Type 'i32' is not assignable to type '~lib\/string\/String'\.\n/);
      expect(build.err).toContain('e2rx: a function failed to build: hello\nhint: fix the compile errors shown\n');
    } finally {
      await writeFile(join(app, 'hello/index.ts'), source);
    }
  }, 60_000);

  it('new user - section 5: a second step, greeting, read by hello from the state', async () => {
    const section = '5. More than one step';
    await mkdir(join(app, 'greeting'));
    await writeFile(join(app, 'greeting/index.ts'), tsBlock(section, 'accept-language'));
    await writeFile(join(app, 'hello/index.ts'), tsBlock(section, 'req.state("greeting")'));
    const directive = await readFile(join(app, 'Directive.yaml'), 'utf8');
    const yaml = codeBlocks(GUIDE, 'yaml', section)[0] ?? '';
    await writeFile(join(app, 'Directive.yaml'), `${directive.slice(0, directive.indexOf('runnables:'))}${yaml}`);
    const build = await e2rx(['build'], app);
    expect(build.err).toBe('');
    expect(build.out).toMatch(/^building 2 functions in \.\n {2}greeting {2}built/);
    await replayGuide(section);
  }, 60_000);

  it("new user - section 6: with the guide's new expectation, the app's test passes again", async () => {
    const expectation = (codeBlocks(GUIDE, 'ts', '6. Test')[0] ?? '').trim();
    expect(expectation).toContain('toBe(');
    const test = join(app, 'tests/hello.spec.ts');
    const before = await readFile(test, 'utf8');
    expect(before).toContain("expect(await response.text()).toBe('hello world');");
    await writeFile(test, before.replace("expect(await response.text()).toBe('hello world');", expectation));
    const run = await npmTest();
    expect(run.code, run.output).toBe(0);
  }, 120_000);

  it('new user - section 7: e2rx build --bundle writes runnables.wasm.zip, which e2rx validate accepts', async () => {
    const bundle = await e2rx(['build', '--bundle'], app);
    expect(bundle.code, bundle.err).toBe(0);
    expect(bundle.out).toMatch(/bundle runnables\.wasm\.zip \(3 entries, /);
    expect((await readdir(app)).filter((file) => file.endsWith('.wasm') || file.endsWith('.zip')).sort()).toEqual(['greeting.wasm', 'hello.wasm', 'runnables.wasm.zip']);
    const validate = await e2rx(['validate', 'runnables.wasm.zip'], app);
    expect(validate.code, validate.err).toBe(0);
  }, 60_000);
});
