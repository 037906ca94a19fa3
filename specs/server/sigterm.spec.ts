/**
 * SIGTERM on a real `node bin/e2rx.js start` child process: the request in flight finishes, new requests get 503,
 * the process exits 0, and its JSON log lines carry request ids. `dist/` is built first when it is missing or older
 * than `src/`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupApps, makeAppDir } from '../support/apps.js';
import { httpRequest, specDirective, waitFor, type LogLine } from '../engine/support/engine.js';
import { specFunctions } from '../engine/support/functions.js';
import { isStaleBuild } from '../support/dist.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');

const children: ChildProcess[] = [];

beforeAll(async () => {
  if (isStaleBuild(MAIN)) {
    const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
    // tsc writes its output even when another part of src/ has type errors; only a missing CLI is fatal here.
    if (!existsSync(MAIN)) throw new Error(`npx tsc -p tsconfig.build.json did not produce dist/: ${build.stdout}${build.stderr}`);
  }
  await specFunctions();
}, 180_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await cleanupApps();
});

describe('e2rx start as a child process', () => {
  it('sigterm - the in-flight request finishes, new ones get 503, the process exits 0; logs are JSON with request ids', async () => {
    const modules = await specFunctions();
    const dir = await makeAppDir({
      directive: specDirective(['sleep', 'echo'], 'handlers:\n  - type: request\n    resource: /slow\n    method: GET\n    steps:\n      - fn: sleep\n  - type: request\n    resource: /echo\n    method: POST\n    steps:\n      - fn: echo\n'),
      files: { 'sleep.wasm': modules.sleep, 'echo.wasm': modules.echo },
    });
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'e2rx.js'), 'start', dir, '--port', '0', '--host', '127.0.0.1', '--log-format', 'json', '--log-level', 'debug'], {
      cwd: dir,
      env: { ...process.env, E2RX_HTTP_PORT: '', ATMO_HTTP_PORT: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const lines: LogLine[] = [];
    let stderr = '';
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const part of parts) if (part.trim() !== '') lines.push(JSON.parse(part) as LogLine);
    });
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    await waitFor(() => lines.some((line) => line.msg.startsWith('loaded ')), 20_000, `the app to load (stderr: ${stderr})`);
    const port = Number(lines.find((line) => typeof line['port'] === 'number')?.['port']);
    expect(port).toBeGreaterThan(0);
    expect((await httpRequest(port, { method: 'POST', path: '/echo', body: 'up' })).body).toBe('up');

    const slow = httpRequest(port, { path: '/slow', headers: { 'x-sleep-ms': '1200' } });
    await waitFor(() => lines.some((line) => line.msg === 'sleeping 1200'), 10_000, 'the slow run to start');
    child.kill('SIGTERM');
    await waitFor(() => lines.some((line) => line.msg === 'shutting down'), 5_000, 'the shutdown to begin');
    const late = await httpRequest(port, { method: 'POST', path: '/echo', body: 'late' });
    expect(late.status).toBe(503);
    const reply = await slow;
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('slept 1200');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    expect(lines.some((line) => line.msg === 'stopped')).toBe(true);

    const fnLine = lines.find((line) => line.msg === 'sleeping 1200');
    expect(fnLine?.request_id).toMatch(/^[0-9a-f-]{36}$/);
    const runLine = lines.find((line) => line['handler'] === 'GET /slow' && line.request_id === fnLine?.request_id);
    expect(runLine?.msg).toBe('GET /slow completed');
    for (const line of lines) expect(typeof line.time).toBe('string');
  }, 60_000);
});
