/**
 * A real app for the end-to-end specs: a temp directory with a Directive, the probe modules and static files, served
 * by `createEngine` over real HTTP on 127.0.0.1 (port 0), with every log line captured.
 *
 * @example
 * ```ts
 * const app = await startApp({ functions: ['cache-probe'], capabilities: 'cache: { rules: { allowSet: false } }' });
 * const reply = await app.call('cache-probe', { op: 'set', key: 'k', value: 'v' });
 * expect(reply).toMatchObject({ status: 500, message: 'the cache refused to store the value' });
 * await app.stop();
 * ```
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { createEngine, type Engine } from '../../../src/engine/engine.js';
import { functionWasm } from './functions.js';

/** One line the server logged, parsed. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly fn?: string;
  readonly request_id?: string;
  readonly ident?: number;
  readonly [key: string]: unknown;
}

/** pino's numeric levels. */
export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** What a function answered over HTTP. */
export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  /** The body as text. */
  readonly text: string;
  /** For an error reply (`{"status":…,"message":…}`), the message; otherwise undefined. */
  readonly message: string | undefined;
}

/** A running app. */
export interface StartedApp {
  readonly engine: Engine;
  /** `http://127.0.0.1:<port>`. */
  readonly base: string;
  readonly dir: string;
  /** Every line logged so far. */
  readonly logs: LogLine[];
  /** POSTs `body` (an object is sent as JSON) to `/<path>`. */
  call(path: string, body: string | Readonly<Record<string, string>>, headers?: Readonly<Record<string, string>>): Promise<Reply>;
  stop(): Promise<void>;
}

/** Options of {@link startApp}. */
export interface AppOptions {
  /** The probes (or other modules, see `modules`) served at `POST /<name>`. */
  readonly functions: readonly string[];
  /** Modules given as bytes instead of being probes (`{ 'hello-rs': bytes }`), with their `lang`. */
  readonly modules?: Readonly<Record<string, { readonly bytes: Uint8Array; readonly lang: string }>>;
  /** YAML under `capabilities:`, indented by the caller as a block (each line is indented by two more spaces). */
  readonly capabilities?: string;
  /** Top-level YAML appended as is (`connections:`, `queries:`, `authentication:`). */
  readonly extra?: string;
  /** Handlers in YAML (replacing the default one per function). */
  readonly handlers?: string;
  /** Files under the app (`static/a.txt`). */
  readonly files?: Readonly<Record<string, string>>;
  /** The environment for `env(VAR)`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** YAML under `runtime:` (each line indented by two spaces); `workers: 1` when absent. */
  readonly runtime?: string;
  /** Serve every function at its FQFN path instead of the handlers. */
  readonly headless?: boolean;
}

const indent = (text: string, by: string): string =>
  text
    .split('\n')
    .map((line) => (line.trim() === '' ? line : by + line))
    .join('\n');

/** The Directive of an app of {@link AppOptions}. */
export function directiveOf(options: AppOptions): string {
  const runtime = options.runtime === undefined ? '  workers: 1' : indent(options.runtime.trim(), '  ');
  const lines = ['identifier: com.e2rx.integration', 'appVersion: v0.1.0', 'atmoVersion: v0.4.7', 'runtime:', runtime, 'runnables:'];
  for (const fn of options.functions) {
    const lang = options.modules?.[fn]?.lang ?? 'assemblyscript';
    lines.push(`  - name: ${fn}`, '    namespace: default', `    lang: ${lang}`);
  }
  lines.push('handlers:');
  if (options.handlers !== undefined) lines.push(indent(options.handlers.trim(), '  '));
  else for (const fn of options.functions) lines.push(`  - type: request`, `    resource: /${fn}`, '    method: POST', '    steps:', `      - fn: ${fn}`);
  if (options.capabilities !== undefined) lines.push('capabilities:', indent(options.capabilities.trim(), '  '));
  if (options.extra !== undefined) lines.push(options.extra.trim());
  return `${lines.join('\n')}\n`;
}

/** Writes the app, starts the engine and waits until it serves. */
export async function startApp(options: AppOptions): Promise<StartedApp> {
  const dir = await mkdtemp(join(tmpdir(), 'e2rx-integration-'));
  await writeFile(join(dir, 'Directive.yaml'), directiveOf(options));
  for (const fn of options.functions) {
    const given = options.modules?.[fn];
    await writeFile(join(dir, `${fn}.wasm`), given?.bytes ?? (await functionWasm(fn)));
  }
  for (const [name, content] of Object.entries(options.files ?? {})) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  const logs: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
  const engine = createEngine({ app: dir, port: 0, host: '127.0.0.1', logger, ...(options.env ? { env: options.env } : {}), ...(options.headless ? { headless: true } : {}) });
  let port: number;
  try {
    port = await engine.start();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const base = `http://127.0.0.1:${port}`;
  return {
    engine,
    base,
    dir,
    logs,
    async call(path, body, headers = {}) {
      const json = typeof body !== 'string';
      const response = await fetch(`${base}/${path.replace(/^\//, '')}`, {
        method: 'POST',
        body: json ? JSON.stringify(body) : body,
        headers: { ...(json ? { 'content-type': 'application/json' } : {}), ...headers },
      });
      const text = await response.text();
      let message: string | undefined;
      if (response.status >= 400) {
        try {
          message = (JSON.parse(text) as { message?: string }).message;
        } catch {
          message = undefined;
        }
      }
      return { status: response.status, headers: response.headers, text, message };
    },
    async stop() {
      await engine.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The lines logged by the guest function `fn` (its `log_msg` calls and its stdout/stderr). */
export function guestLines(logs: readonly LogLine[], fn: string): LogLine[] {
  return logs.filter((line) => line.fn === fn && typeof line.ident === 'number');
}
