/**
 * `e2rx start` reloading: SIGHUP to a real `node bin/e2rx.js start` process, `--watch` on a changed Directive and
 * module, an invalid change reported with file:line:col while the old version keeps serving, and the warning for
 * sources newer than their module. `dist/` is built first when it is missing or older than `src/`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { captureIo, cleanupApps, makeAppDir, type CapturedIo } from '../../support/apps.js';
import { httpRequest, specDirective, waitFor, type LogLine } from '../../engine/support/engine.js';
import { specFunctions } from '../../engine/support/functions.js';
import { isStaleBuild } from '../../support/dist.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');

/** GET /who runs `typed` ("typed") or `tag` ("tagged"). */
const version = (step: string): string => specDirective(['typed', 'tag'], `handlers:\n  - type: request\n    resource: /who\n    method: GET\n    steps:\n      - fn: ${step}\n`);

const children: ChildProcess[] = [];
const inProcess: { controller: AbortController; exit: Promise<number> }[] = [];

beforeAll(async () => {
  if (isStaleBuild(MAIN)) {
    const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
    if (!existsSync(MAIN)) throw new Error(`npx tsc -p tsconfig.build.json did not produce dist/: ${build.stdout}${build.stderr}`);
  }
  await specFunctions();
}, 180_000);

afterEach(async () => {
  for (const run of inProcess.splice(0)) {
    run.controller.abort();
    await run.exit;
  }
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await cleanupApps();
});

async function appWith(directive: string): Promise<string> {
  const modules = await specFunctions();
  return makeAppDir({ directive, files: { 'typed.wasm': modules.typed, 'tag.wasm': modules.tag } });
}

function logLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** `e2rx start` in this process with JSON logs; stopped after the test. */
function startInProcess(args: readonly string[], cwd: string): CapturedIo {
  const controller = new AbortController();
  const io = captureIo({ cwd, env: {}, signal: controller.signal });
  inProcess.push({ controller, exit: main(['start', '--log-format', 'json', '--port', '0', '--host', '127.0.0.1', ...args], io) });
  return io;
}

async function portOf(lines: () => LogLine[]): Promise<number> {
  await waitFor(() => lines().some((line) => line.msg.startsWith('loaded ')), 20_000, 'the app to load');
  const serving = lines().find((line) => /^serving on /.test(line.msg));
  return Number(/:(\d+)$/.exec(serving?.msg ?? '')?.[1]);
}

describe('e2rx start reloads', () => {
  it('start - SIGHUP reloads the app in a running process; an invalid Directive is reported and the old version serves', async () => {
    const dir = await appWith(version('typed'));
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'e2rx.js'), 'start', dir, '--port', '0', '--host', '127.0.0.1', '--log-format', 'json'], {
      cwd: dir,
      env: { ...process.env, E2RX_HTTP_PORT: '', ATMO_HTTP_PORT: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const port = await portOf(() => logLines(stdout));
    expect((await httpRequest(port, { path: '/who' })).body).toBe('typed');

    await writeFile(join(dir, 'Directive.yaml'), version('tag'));
    child.kill('SIGHUP');
    await waitFor(() => logLines(stdout).some((line) => line.msg.startsWith('reloaded')), 20_000, `the reload (stderr: ${stderr})`);
    expect((await httpRequest(port, { path: '/who' })).body).toBe('tagged');

    await writeFile(join(dir, 'Directive.yaml'), version('nowhere'));
    child.kill('SIGHUP');
    await waitFor(() => logLines(stdout).some((line) => line.msg.startsWith('reload rejected')), 20_000, 'the rejected reload');
    const rejected = logLines(stdout).find((line) => line.msg.startsWith('reload rejected'));
    expect(rejected?.msg).toMatch(/Directive\.yaml:\d+:\d+/);
    expect(rejected?.msg).toMatch(/nowhere/);
    expect(rejected?.['code']).toBe('E2RX_DIRECTIVE_INVALID');
    expect(await httpRequest(port, { path: '/who' })).toMatchObject({ status: 200, body: 'tagged' });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);

  it('start - --watch reloads when the Directive changes, and when a module is replaced', async () => {
    const dir = await appWith(version('typed'));
    const io = startInProcess(['--watch', '.'], dir);
    const lines = (): LogLine[] => logLines(io.out());
    const port = await portOf(lines);
    await waitFor(() => lines().some((line) => line.msg.startsWith('watching ')), 5_000, 'the watch');

    await writeFile(join(dir, 'Directive.yaml'), version('tag'));
    await waitFor(async () => (await httpRequest(port, { path: '/who' })).body === 'tagged', 10_000, 'the new Directive to serve');
    const changed = lines().find((line) => line.msg.startsWith('changed: '));
    expect(changed?.['files']).toEqual(['Directive.yaml']);

    // The module behind `tag` replaced by `typed`'s: the same Directive now answers "typed".
    const modules = await specFunctions();
    await writeFile(join(dir, 'tag.wasm'), modules.typed);
    await waitFor(async () => (await httpRequest(port, { path: '/who' })).body === 'typed', 10_000, 'the new module to serve');
    expect(lines().filter((line) => line.msg.startsWith('reloaded')).length).toBe(2);
  }, 60_000);

  it('start - --watch reports an invalid change with file:line:col and keeps serving the old version', async () => {
    const dir = await appWith(version('typed'));
    const io = startInProcess(['--watch', '.'], dir);
    const lines = (): LogLine[] => logLines(io.out());
    const port = await portOf(lines);
    await waitFor(() => lines().some((line) => line.msg.startsWith('watching ')), 5_000, 'the watch');
    await writeFile(join(dir, 'Directive.yaml'), `${version('typed')}\nhandlers: [\n`);
    await waitFor(() => lines().some((line) => line.msg.startsWith('reload rejected')), 10_000, 'the rejection');
    expect(lines().find((line) => line.msg.startsWith('reload rejected'))?.msg).toMatch(/Directive\.yaml:\d+:\d+/);
    expect(await httpRequest(port, { path: '/who' })).toMatchObject({ status: 200, body: 'typed' });
  }, 60_000);

  it('start - warns when a function source is newer than its module (the module is what runs)', async () => {
    const dir = await appWith(version('typed'));
    await mkdir(join(dir, 'typed'));
    await writeFile(join(dir, 'typed', 'index.ts'), 'export function run(input: ArrayBuffer): ArrayBuffer { return input; }\n');
    const past = new Date(Date.now() - 60_000);
    await utimes(join(dir, 'typed.wasm'), past, past);
    const io = startInProcess(['.'], dir);
    await portOf(() => logLines(io.out()));
    const warning = logLines(io.out()).find((line) => line.msg.includes('is newer than typed.wasm'));
    expect(warning?.msg).toBe('typed/index.ts is newer than typed.wasm: typed runs its last build, not your latest edit; run e2rx build (or e2rx dev, which builds on save)');
    expect(warning?.level).toBe(40);
  }, 60_000);
});
