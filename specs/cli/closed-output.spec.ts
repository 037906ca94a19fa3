/**
 * A closed stdout never crashes the CLI nor stops it halfway: `e2rx build … | head -1` used to die with an unhandled
 * EPIPE stack trace after the first function. Run as processes, with a reader that leaves after the first line.
 */
import { spawn } from 'node:child_process';
import { cp, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupApps, makeTempDir } from '../support/apps.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/e2rx.js');

afterAll(cleanupApps);

interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly firstLine: string;
  readonly stderr: string;
}

/**
 * Runs `e2rx <args>` and closes its stdout after the first line, as `| head -1` does; `afterFirstLine` runs then
 * (with that line). Resolves when the process has exited.
 */
function runClosingAfterFirstLine(args: readonly string[], cwd: string, afterFirstLine: (line: string, pid: number) => Promise<void> = () => Promise.resolve()): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let firstLine: string | undefined;
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (firstLine !== undefined || !stdout.includes('\n')) return;
      firstLine = stdout.slice(0, stdout.indexOf('\n'));
      child.stdout.destroy();
      afterFirstLine(firstLine, child.pid ?? 0).catch(reject);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, firstLine: firstLine ?? '', stderr }));
  });
}

describe('a closed stdout', () => {
  it('closed output - build | head -1 builds every function and exits 0, without a stack trace', async () => {
    const app = join(await makeTempDir('e2rx-epipe-'), 'hello');
    await cp(join(ROOT, 'examples/hello'), app, { recursive: true });
    const started = Date.now();
    const run = await runClosingAfterFirstLine(['build', '--force', '.'], app);
    expect(run.firstLine).toBe('building 2 functions in .');
    expect(run.stderr).toBe('');
    expect(run).toMatchObject({ code: 0, signal: null });
    for (const fn of ['hello', 'greet']) expect((await stat(join(app, `${fn}.wasm`))).mtimeMs, fn).toBeGreaterThanOrEqual(started - 1000);
  }, 60_000);

  it('closed output - start keeps serving after its reader left, and stops on SIGTERM with exit 0', async () => {
    const run = await runClosingAfterFirstLine(['start', '--port', '0', '--host', '127.0.0.1', '--log-format', 'json', 'examples/hello'], ROOT, async (line, pid) => {
      const port = Number(/"port":(\d+)/.exec(line)?.[1]);
      // The server logs "loaded …" after its reader left: that write fails with EPIPE, and must not stop it.
      await expect.poll(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status, { timeout: 15_000 }).toBe(200);
      const reply = await fetch(`http://127.0.0.1:${port}/hello`, { method: 'POST', body: 'pipe' });
      expect(await reply.text()).toBe('hello pipe');
      process.kill(pid, 'SIGTERM');
    });
    expect(run.stderr).toBe('');
    expect(run).toMatchObject({ code: 0, signal: null });
  }, 60_000);
});
