/**
 * Where the doc tests run a document's shell commands: a temporary directory holding `e2rx`, a stand-in for the
 * checkout (its top-level entries are links to this repository's, but `examples/` is a copy, so that commands may
 * build and write there), with the command `e2rx` (and `npx e2rx`) running this checkout's `bin/e2rx.js`.
 *
 * A session keeps the working directory from one command to the next (`cd ../my-app`), runs a command that starts a
 * server (`e2rx start`, `e2rx dev`, `npx e2rx start`, `npm start`) in the background on a free port until `/health` answers
 * 200, and points `localhost:8080` in later commands at that port (`E2RX_HTTP_PORT` is set for the session, so every
 * `e2rx start` listens there). npm runs with `ignore-scripts` (the only install script in play, e2rx's `prepare`,
 * would rebuild this checkout's dist/ under the running specs) and prefers its cache.
 *
 * @example
 * ```ts
 * const session = await openSandbox();
 * const result = await session.run('npx e2rx validate examples/hello');
 * await session.close();
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { ROOT } from './markdown.js';

/** What a command did. */
export interface CommandResult {
  readonly code: number;
  /** stdout and stderr, interleaved as written. */
  readonly output: string;
}

/** A shell session in a sandbox. */
export interface Sandbox {
  /** The stand-in checkout, where a session starts. */
  readonly checkout: string;
  /** The port every `e2rx start` of the session listens on. */
  readonly port: number;
  /** The session's working directory now. */
  readonly cwd: string;
  /**
   * Runs one command line with bash in the session's directory; a command that starts a server runs in the
   * background (see the module) unless `foreground` is set (a transcript's `e2rx start` that must fail).
   */
  run(line: string, options?: { readonly foreground?: boolean }): Promise<CommandResult>;
  /** Writes a file, relative to the session's directory. */
  writeFile(path: string, text: string | Uint8Array): Promise<void>;
  /** `localhost:8080` and `127.0.0.1:8080` of a command, pointed at the session's port. */
  localize(line: string): string;
  /** Stops the servers and removes the sandbox. */
  close(): Promise<void>;
}

/**
 * Top-level directories of the checkout that the stand-in copies instead of linking (commands write there). Files
 * at the top level are copied too, so that a command that rewrites one (`npm pkg set`, `> tsconfig.json`) cannot
 * reach the checkout through a link.
 */
const COPIED = new Set(['examples']);
/** The checkout, without links or a trailing separator. */
const REAL_ROOT = realpathSync(ROOT);

/** Top-level entries left out of the stand-in. */
const LEFT_OUT = new Set(['.git', '.cache', '.scratch']);

/** Whether a command (after `NAME=value` assignments) starts a server that runs until stopped. */
export function startsServer(line: string): boolean {
  const words = line.replace(/\s+#\s.*$/, '').trim().split(/\s+/);
  while (/^[A-Z_][A-Z0-9_]*=/.test(words[0] ?? '')) words.shift();
  const command = words.join(' ');
  return /^(npx e2rx start|e2rx start|npx e2rx dev|e2rx dev|npm start|npm run start)(\s|$)/.test(command);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The bash functions and settings every command of a session gets. */
function prelude(bin: string): string {
  return [
    'set -o pipefail',
    `e2rx() { node ${JSON.stringify(bin)} "$@"; }`,
    `npx() { if [ "\${1:-}" = e2rx ]; then shift; node ${JSON.stringify(bin)} "$@"; else command npx "$@"; fi; }`,
    'export -f e2rx npx',
  ].join('\n');
}

/** Opens a session in a new sandbox. */
export async function openSandbox(): Promise<Sandbox> {
  const base = await mkdtemp(join(tmpdir(), 'e2rx-doc-'));
  const checkout = join(base, 'e2rx');
  await mkdir(checkout);
  for (const entry of await readdir(ROOT, { withFileTypes: true })) {
    if (LEFT_OUT.has(entry.name)) continue;
    if (COPIED.has(entry.name) || entry.isFile()) await cp(join(ROOT, entry.name), join(checkout, entry.name), { recursive: true });
    else await symlink(join(ROOT, entry.name), join(checkout, entry.name));
  }
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(VITEST|TEST$|NODE_ENV$|NODE_OPTIONS$|npm_|E2RX_)/.test(name))),
    E2RX_HTTP_PORT: String(port),
    NO_COLOR: '1',
    CI: '1',
    npm_config_ignore_scripts: 'true',
    npm_config_prefer_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_loglevel: 'error',
  };
  const setup = prelude(join(ROOT, 'bin', 'e2rx.js'));
  const cwdFile = join(base, '.cwd');
  let cwd = checkout;
  let lastCode = 0;
  const servers: ChildProcess[] = [];

  const localize = (line: string): string => line.replace(/\b(localhost|127\.0\.0\.1):8080\b/g, `127.0.0.1:${port}`);

  const stopServers = async (): Promise<void> => {
    for (const server of servers.splice(0)) {
      if (server.exitCode !== null || server.signalCode !== null) continue;
      const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
      try {
        process.kill(-(server.pid ?? 0), 'SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-(server.pid ?? 0), 'SIGKILL');
        } catch {
          // already gone
        }
      }, 10_000);
      await exited;
      clearTimeout(timer);
    }
  };

  const startServer = async (line: string): Promise<CommandResult> => {
    await stopServers();
    let output = '';
    const child = spawn('bash', ['-c', `${setup}\ncd ${JSON.stringify(cwd)}\n${line}`], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    servers.push(child);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode ?? 1, output: `the server exited:\n${output}` };
      const status = await fetch(`http://127.0.0.1:${port}/health`).then((response) => response.status, () => 0);
      if (status === 200) return { code: 0, output };
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { code: 1, output: `no 200 from /health within 60 s:\n${output}` };
  };

  const runLine = (line: string): Promise<CommandResult> =>
    new Promise((resolve) => {
      const script = `${setup}\ncd ${JSON.stringify(cwd)}\n(exit ${lastCode})\n${line}\n__status=$?\npwd > ${JSON.stringify(cwdFile)}\nexit $__status`;
      const child = spawn('bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? 1, output });
      });
    });

  return {
    checkout,
    port,
    get cwd() {
      return cwd;
    },
    async run(line, options = {}) {
      const command = localize(line);
      if (startsServer(command) && options.foreground !== true) {
        const result = await startServer(command);
        lastCode = result.code;
        return result;
      }
      const result = await runLine(command);
      lastCode = result.code;
      cwd = (await readFile(cwdFile, 'utf8').catch(() => cwd)).trim() || cwd;
      return result;
    },
    async writeFile(path, text) {
      const target = join(cwd, path);
      await mkdir(dirname(target), { recursive: true });
      const parent = await realpath(dirname(target));
      if (parent === REAL_ROOT || parent.startsWith(`${REAL_ROOT}${sep}`)) throw new Error(`sandbox: ${path} would be written into the checkout (${parent})`);
      await writeFile(target, text);
    },
    localize,
    async close() {
      await stopServers();
      await rm(base, { recursive: true, force: true });
    },
  };
}
