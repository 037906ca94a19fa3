/**
 * Engine specs through real sockets: an app directory holding a Directive and real Wasm modules, an engine on
 * 127.0.0.1 port 0, a logger whose JSON lines are kept, and a small node:http client.
 *
 * @example
 * ```ts
 * const app = await startApp({ directive: handlers('- type: request ...'), functions: ['echo'] });
 * const reply = await httpRequest(app.port, { method: 'POST', path: '/echo', body: 'hi' });
 * await app.stop();
 * ```
 */
import { request as httpRequestRaw, type IncomingHttpHeaders } from 'node:http';
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createEngine, type Engine, type EngineOptions } from '../../../src/engine/engine.js';
import { createLogger } from '../../../src/logging/logger.js';
import { makeAppDir } from '../../support/apps.js';
import { specFunctions, type SpecFunction } from './functions.js';

/** The identifier and version of spec apps. */
export const SPEC_IDENTIFIER = 'com.e2rx.spec';
export const SPEC_VERSION = 'v1.0.0';

/**
 * A Directive: the header, a `runnables` entry per function, then `body` (top-level YAML: `handlers:`,
 * `schedules:`, `limits:`, `runtime:`…) as written.
 */
export function specDirective(functions: readonly SpecFunction[], body: string): string {
  const lines = [`identifier: ${SPEC_IDENTIFIER}`, `appVersion: ${SPEC_VERSION}`, 'atmoVersion: v0.4.7', 'runnables:'];
  for (const fn of functions) lines.push(`  - name: ${fn}`, '    namespace: default', '    lang: assemblyscript');
  return `${lines.join('\n')}\n${body.replace(/^\n/, '')}`;
}

/** One parsed JSON log line. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly request_id?: string;
  readonly [key: string]: unknown;
}

/** A JSON logger at `level` whose lines are kept (parsed) in `lines`. */
export function captureLogger(level: 'debug' | 'info' | 'trace' = 'debug'): { readonly logger: Logger; readonly lines: LogLine[]; readonly raw: string[] } {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  let pending = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      pending += chunk.toString('utf8');
      let index = pending.indexOf('\n');
      while (index >= 0) {
        const line = pending.slice(0, index);
        pending = pending.slice(index + 1);
        if (line.trim() !== '') {
          raw.push(line);
          lines.push(JSON.parse(line) as LogLine);
        }
        index = pending.indexOf('\n');
      }
      callback();
    },
  });
  return { logger: createLogger({ level, format: 'json', destination }), lines, raw };
}

/** A started engine on a spec app. */
export interface RunningApp {
  readonly engine: Engine;
  readonly port: number;
  readonly dir: string;
  readonly logs: LogLine[];
  /** `http://127.0.0.1:<port><path>` */
  url(path: string): string;
  stop(): Promise<void>;
}

const running = new Set<RunningApp>();

/** Options of {@link startApp}. */
export interface StartAppOptions {
  readonly directive: string;
  /** The functions whose modules go into the app directory. */
  readonly functions: readonly SpecFunction[];
  /** More engine options (headless, runSchedules, shutdownTimeoutMs…). */
  readonly engine?: Partial<EngineOptions>;
  /** Start the engine (default true); false leaves it to the spec. */
  readonly start?: boolean;
}

/** Writes the app, creates the engine on 127.0.0.1:0 with a capturing logger and starts it. */
export async function startApp(options: StartAppOptions): Promise<RunningApp> {
  const modules = await specFunctions();
  const files: Record<string, Uint8Array> = {};
  for (const fn of options.functions) files[`${fn}.wasm`] = modules[fn];
  const dir = await makeAppDir({ directive: options.directive, files });
  const { logger, lines } = captureLogger();
  const engine = createEngine({ app: dir, port: 0, host: '127.0.0.1', logger, ...options.engine });
  let port = 0;
  const app: RunningApp = {
    engine,
    get port() {
      return port;
    },
    dir,
    logs: lines,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    stop: async () => {
      running.delete(app);
      await engine.stop();
    },
  };
  running.add(app);
  if (options.start ?? true) port = await engine.start();
  return app;
}

/** Stops every app still running (call in `afterEach` or `afterAll`). */
export async function stopApps(): Promise<void> {
  await Promise.all([...running].map((app) => app.stop()));
}

/** A reply as read by {@link httpRequest}. */
export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Options of {@link httpRequest}. */
export interface RequestOptions {
  readonly method?: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
}

/** One request on a fresh connection (`Connection: close`), read to its end. */
export function httpRequest(port: number, options: RequestOptions): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : typeof options.body === 'string' ? Buffer.from(options.body) : Buffer.from(options.body);
    const req = httpRequestRaw(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path,
        agent: false,
        headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every 25 ms until it returns true, or rejects after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(25);
  }
}
