/**
 * `e2rx start` as a child process, for the specs that run several instances of an app (scale-out, leased schedules):
 * its JSON log lines collected as they come, its stderr, and its exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** One running `e2rx start`. */
export interface Instance {
  readonly name: string;
  readonly child: ChildProcess;
  /** Its log lines, parsed (a line that is not JSON as `{ msg }`). */
  readonly lines: Array<{ readonly msg?: string; readonly level?: number; readonly time?: string; readonly [key: string]: unknown }>;
  stderr: string;
  readonly exited: Promise<number | null>;
}

/**
 * Starts `node bin/e2rx.js start <dir> --port 0` with JSON logs at info, `E2RX_INSTANCE=<name>` and `env` added to
 * the environment.
 */
export function startInstance(name: string, dir: string, env: Readonly<Record<string, string>> = {}): Instance {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'e2rx.js'), 'start', dir, '--port', '0', '--host', '127.0.0.1', '--log-format', 'json', '--log-level', 'info'], {
    cwd: dir,
    env: { ...process.env, ...env, E2RX_INSTANCE: name, E2RX_HTTP_PORT: '', ATMO_HTTP_PORT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const instance: Instance = {
    name,
    child,
    lines: [],
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const part of parts) {
      if (part.trim() === '') continue;
      try {
        instance.lines.push(JSON.parse(part) as Instance['lines'][number]);
      } catch {
        instance.lines.push({ msg: part });
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (instance.stderr += chunk.toString('utf8')));
  return instance;
}

/** The warnings and errors the processes logged, for a failure message. */
export function problems(...list: Instance[]): string {
  return list
    .map((instance) => {
      const lines = instance.lines.filter((line) => (line.level ?? 0) >= 40).slice(-20);
      return `instance ${instance.name}: ${lines.map((line) => JSON.stringify(line)).join('\n')}\n${instance.stderr}`;
    })
    .join('\n');
}
