/**
 * e2rx under a supervisor: the signal must reach the e2rx process. `kill -TERM` to `npm start` (or `npx e2rx
 * start`) used to stop npm and leave the server running, because npm passes the signal to the shell that runs the
 * script. The app `e2rx init` creates runs `exec e2rx start`, and compose.yaml runs the bin in exec form.
 * Run as processes: npm, its shell, e2rx.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/build/build-app.js';
import { createApp } from '../../src/cli/commands/init.js';
import { cleanupApps, makeTempDir } from '../support/apps.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const started: ChildProcess[] = [];

afterAll(async () => {
  for (const child of started) {
    try {
      process.kill(-(child.pid ?? 0), 'SIGKILL');
    } catch {
      // gone
    }
  }
  await cleanupApps();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const health = (port: number): Promise<number> => fetch(`http://127.0.0.1:${port}/health`).then((response) => response.status, () => 0);

/** An app made by `e2rx init`, built, with e2rx in node_modules as `npm install` links it (e2rx and its bin). */
async function scaffoldedApp(): Promise<string> {
  const app = join(await makeTempDir('e2rx-supervisor-'), 'my-app');
  await createApp(app);
  await mkdir(join(app, 'node_modules', '.bin'), { recursive: true });
  await symlink(ROOT, join(app, 'node_modules', 'e2rx'));
  await symlink('../e2rx/bin/e2rx.js', join(app, 'node_modules', '.bin', 'e2rx'));
  expect((await buildApp(app)).ok).toBe(true);
  return app;
}

/** `npm start` in `app` on `port`, in a process group of its own; resolves once /health answers 200. */
async function npmStart(app: string, port: number): Promise<{ npm: ChildProcess; exited: Promise<number | null> }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(npm_|VITEST|NODE_OPTIONS$)/.test(name)));
  const npm = spawn('npm', ['start'], { cwd: app, env: { ...env, E2RX_HTTP_PORT: String(port), E2RX_LOG_LEVEL: 'warn' }, detached: true, stdio: 'ignore' });
  started.push(npm);
  const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
  await expect.poll(() => health(port), { timeout: 30_000, interval: 100 }).toBe(200);
  return { npm, exited };
}

describe('e2rx under a supervisor', () => {
  it("supervisor - the scaffolded app's npm start is exec e2rx start, and SIGTERM to npm stops the server", async () => {
    const app = await scaffoldedApp();
    const scripts = (JSON.parse(await readFile(join(app, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['start']).toBe('exec e2rx start');
    const port = await freePort();
    const { npm, exited } = await npmStart(app, port);
    process.kill(npm.pid ?? 0, 'SIGTERM');
    expect(await exited).toBe(0);
    expect(await health(port)).toBe(0);
  }, 60_000);

  it('supervisor - without exec, SIGTERM to npm start leaves the server running (why the template has exec)', async () => {
    const app = await scaffoldedApp();
    const pkg = JSON.parse(await readFile(join(app, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    pkg.scripts['start'] = 'e2rx start';
    await writeFile(join(app, 'package.json'), JSON.stringify(pkg));
    const port = await freePort();
    const { npm, exited } = await npmStart(app, port);
    process.kill(npm.pid ?? 0, 'SIGTERM');
    await exited;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await health(port)).toBe(200);
    process.kill(-(npm.pid ?? 0), 'SIGTERM');
    await expect.poll(() => health(port), { timeout: 15_000 }).toBe(0);
  }, 60_000);

  it('supervisor - compose.yaml runs e2rx with its bin in exec form, under an init process', async () => {
    const compose = parse(await readFile(join(ROOT, 'compose.yaml'), 'utf8')) as { services: Record<string, { command?: unknown; init?: boolean; stop_signal?: string }> };
    const e2rx = Object.entries(compose.services).filter(([, service]) => JSON.stringify(service.command ?? '').includes('e2rx'));
    expect(e2rx.map(([name]) => name)).toEqual(['hello']);
    for (const [name, service] of e2rx) {
      expect(Array.isArray(service.command), `${name}: exec form`).toBe(true);
      expect((service.command as string[]).slice(0, 3), name).toEqual(['node', 'bin/e2rx.js', 'start']);
      expect(service.init, `${name}: an init process as PID 1`).toBe(true);
      expect(service.stop_signal ?? 'SIGTERM').toBe('SIGTERM');
    }
  });
});
