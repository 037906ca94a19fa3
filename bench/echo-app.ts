/**
 * The one-step echo app the HTTP benchmarks serve, and the servers that serve it: `e2rx start`, the bare node:http
 * baseline and Atmo v0.4.7 (when built with ../shared/tools/atmo-peer/build.sh).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { functionWasm } from '../specs/integration/support/functions.js';
import { startServer, type ServerProcess } from './load.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The request body every load sends: 64 bytes. */
export const ECHO_BODY = 'hello, world: a small request body of about 64 bytes, like JSON!';

/** One handler, `POST /echo` → `echo` (specs/fixtures/functions/stream-echo: it returns its input). */
export const ECHO_DIRECTIVE =
  'identifier: com.e2rx.bench\nappVersion: v1.0.0\natmoVersion: v0.4.7\nrunnables:\n  - name: echo\n    namespace: default\n    lang: assemblyscript\nhandlers:\n  - type: request\n    resource: /echo\n    method: POST\n    steps:\n      - fn: echo\n';

/** A server of the benchmarks: how to start it, and the path it answers the echo on. */
export interface Contender {
  readonly name: string;
  readonly path: string;
  start(port: number): Promise<ServerProcess>;
}

/** Writes the echo app into `dir` (created if missing), with `extra` appended to its Directive. */
export async function writeEchoApp(dir: string, extra = ''): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'echo.wasm'), await functionWasm('stream-echo'));
  await writeFile(join(dir, 'Directive.yaml'), `${ECHO_DIRECTIVE}${extra}`);
}

/** `e2rx start <app>` (the built dist/, or another build's bin), at log level warn. */
export function e2rxServer(name: string, app: string, bin = join(ROOT, 'bin', 'e2rx.js')): Contender {
  return {
    name,
    path: '/echo',
    start: (port) => startServer([process.execPath, bin, 'start', app, '--port', String(port), '--host', '127.0.0.1', '--log-level', 'warn'], port, '/health'),
  };
}

/** bench/servers/bare-http.mjs on the app's module: the hand-written baseline. */
export function bareServer(name: string, app: string): Contender {
  return { name, path: '/', start: (port) => startServer([process.execPath, join(ROOT, 'bench', 'servers', 'bare-http.mjs'), join(app, 'echo.wasm'), String(port)], port, '/') };
}

/** The name Atmo's rows carry. */
export const ATMO_NAME = 'Atmo v0.4.7 (Go)';

/** Where the Atmo peer's binary is looked for. */
export const ATMO_BIN = join(process.env['ATMO_PEER'] ?? join(homedir(), '.cache', 'atmo-peer'), 'atmo-src', '.bin', 'atmo');

/** Atmo v0.4.7 serving the app directory through the peer's wrapper (`E2RX_ATMO_PEER`), or undefined when not built. */
export function atmoServer(app: string): Contender | undefined {
  const wrapper = process.env['E2RX_ATMO_PEER'] ?? findUp(join('shared', 'tools', 'atmo-peer', 'wrapper.sh'));
  if (!existsSync(wrapper) || !existsSync(ATMO_BIN)) return undefined;
  return { name: ATMO_NAME, path: '/echo', start: (port) => startServer(['bash', wrapper, 'start', app, '--port', String(port)], port, '/health', { ATMO_LOG_LEVEL: 'warn' }) };
}

/** `<dir>/<relative>` for the nearest parent dir of the repository that has it (a worktree may sit deeper than ../). */
function findUp(relative: string): string {
  for (let dir = join(ROOT, '..'); ; dir = dirname(dir)) {
    if (existsSync(join(dir, relative))) return join(dir, relative);
    if (dirname(dir) === dir) return join(ROOT, '..', relative);
  }
}
