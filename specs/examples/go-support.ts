/**
 * What the specs of the Go examples share: a copy of an example whose `go.mod` finds the Go SDK where it is (the
 * copy lives outside the repository, so the example's relative `replace` is made absolute), and long-running
 * README commands (`node examples/go-books/ratings-server.mjs`) started as child processes.
 *
 * @example
 * ```ts
 * const app = await copyGoExample('go-books');
 * const ratings = await startCommand(['node', 'examples/go-books/ratings-server.mjs'], { PORT: '0' }, /on (http:\S+)/);
 * await ratings.stop();
 * ```
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GO_SDK_DIR } from '../support/go.js';
import { ROOT, copyExample } from './support.js';

/**
 * Copies `examples/<name>` (see {@link copyExample}, `edit` included) and points the `replace e2rx => ../../sdk/go`
 * of its `go.mod` at this repository's SDK.
 */
export async function copyGoExample(name: string, edit: Parameters<typeof copyExample>[1] = {}): Promise<string> {
  const copy = await copyExample(name, edit);
  const goMod = join(copy, 'go.mod');
  const text = await readFile(goMod, 'utf8');
  if (!text.includes('=> ../../sdk/go')) throw new Error(`examples/${name}/go.mod does not replace e2rx with ../../sdk/go`);
  await writeFile(goMod, text.replace('=> ../../sdk/go', `=> ${GO_SDK_DIR}`));
  return copy;
}

/** A command started by {@link startCommand}. */
export interface StartedCommand {
  /** The first capture group of `ready` in its output. */
  readonly found: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Runs `words` (a README command) from the repository root with extra environment variables, and resolves once its
 * stdout matches `ready`, with the first capture group; rejects when it exits first or after 20 s.
 */
export function startCommand(words: readonly string[], env: Readonly<Record<string, string>>, ready: RegExp): Promise<StartedCommand> {
  const [command = '', ...args] = words;
  const child = spawn(command === 'node' ? process.execPath : command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${words.join(' ')} did not print ${String(ready)} within 20 s: ${output}`));
    }, 20_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const match = ready.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ found: match[1] ?? match[0], child, stop });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${words.join(' ')} exited with ${String(code)} before it was ready: ${output}`));
    });
  });
}
