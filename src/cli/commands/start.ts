/**
 * `e2rx start [app]`: loads an app and serves it.
 *
 * @module
 */
import { E2rxError } from '../../errors.js';
import type { LogLevel } from '../../logging/logger.js';
import { CLI_LOG_LEVELS, isCliLogLevel } from '../log-levels.js';
import type { Command, CommandIo } from '../command.js';

/** The default HTTP port (as Atmo). */
export const DEFAULT_HTTP_PORT = 8080;

/** The settings of `start`, from flags, then environment variables, then defaults. */
export interface StartSettings {
  readonly app: string | undefined;
  readonly port: number;
  readonly host: string | undefined;
  readonly logLevel: LogLevel;
  readonly logFormat: 'json' | 'pretty' | undefined;
  readonly headless: boolean;
  /** Whether this instance runs schedules (`E2RX_RUN_SCHEDULES` / `ATMO_RUN_SCHEDULES`, default true). */
  readonly runSchedules: boolean;
}

/**
 * Resolves the settings: flags win over environment variables (`E2RX_*`, then Atmo's `ATMO_*`), which win over
 * defaults.
 *
 * @throws {@link E2rxError} `E2RX_CLI_USAGE` for a port or level that is not valid.
 */
export function resolveStartSettings(
  values: Readonly<Record<string, string | boolean | undefined>>,
  positionals: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): StartSettings {
  // An empty variable counts as unset (`E2RX_LOG_LEVEL=` in a compose file must not fail the start).
  const fromEnv = (...names: string[]): string | undefined => names.map((name) => env[name]).find((value) => value !== undefined && value !== '');
  const portText = (values['port'] as string | undefined) ?? fromEnv('E2RX_HTTP_PORT', 'ATMO_HTTP_PORT');
  const port = portText === undefined ? DEFAULT_HTTP_PORT : portText.trim() === '' ? Number.NaN : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new E2rxError('E2RX_CLI_USAGE', `port '${portText ?? ''}' is not a valid port`, { hint: 'use a number from 0 to 65535 (0 picks a free port)' });
  }
  const levelText = (values['log-level'] as string | undefined) ?? fromEnv('E2RX_LOG_LEVEL', 'ATMO_LOG_LEVEL') ?? 'info';
  if (!isCliLogLevel(levelText)) {
    throw new E2rxError('E2RX_CLI_USAGE', `log level '${levelText}' is not valid`, { hint: `use one of ${CLI_LOG_LEVELS.join(', ')}` });
  }
  const formatText = values['log-format'] as string | undefined;
  if (formatText !== undefined && formatText !== 'json' && formatText !== 'pretty') {
    throw new E2rxError('E2RX_CLI_USAGE', `log format '${formatText}' is not valid`, { hint: 'use json or pretty' });
  }
  const headlessText = fromEnv('E2RX_HEADLESS', 'ATMO_HEADLESS');
  return {
    app: positionals[0],
    port,
    host: (values['host'] as string | undefined) ?? fromEnv('E2RX_HTTP_HOST'),
    logLevel: levelText,
    logFormat: formatText,
    headless: values['headless'] === true || headlessText === 'true' || headlessText === '1',
    runSchedules: (fromEnv('E2RX_RUN_SCHEDULES', 'ATMO_RUN_SCHEDULES') ?? 'true') !== 'false',
  };
}

/** The start command. */
export const startCommand: Command = {
  name: 'start',
  summary: 'serve an app (a directory with a Directive.yaml, or a runnables.wasm.zip bundle)',
  usage: '[app] [options]',
  description: [
    'app defaults to ./runnables.wasm.zip when it exists, else the current directory.',
    'GET /health answers {"healthy":true} once the app is loaded and ready (503 before).',
    'Environment: E2RX_HTTP_PORT (or ATMO_HTTP_PORT), E2RX_LOG_LEVEL (or ATMO_LOG_LEVEL), E2RX_HEADLESS (or ATMO_HEADLESS).',
    'SIGTERM or SIGINT stops it gracefully; a second signal exits at once.',
  ].join('\n'),
  options: {
    port: { type: 'string', short: 'p', description: 'HTTP port (default 8080)', placeholder: '<port>' },
    host: { type: 'string', description: 'address to listen on (default: all interfaces)', placeholder: '<address>' },
    'log-level': { type: 'string', description: `one of ${CLI_LOG_LEVELS.join(', ')} (default info)`, placeholder: '<level>' },
    'log-format': { type: 'string', description: 'json or pretty (default: pretty on a terminal, else json)', placeholder: '<format>' },
    headless: { type: 'boolean', description: 'serve every function at POST /<identifier>/<namespace>/<fn>/<version> instead of the handlers' },
  },
  maxPositionals: 1,
  examples: ['e2rx start examples/hello', 'e2rx start --port 3000 runnables.wasm.zip', 'E2RX_LOG_LEVEL=debug e2rx start ./my-app'],
  run: ({ values, positionals }, io) => runStart(resolveStartSettings(values, positionals, io.env), io),
};

async function runStart(settings: StartSettings, io: CommandIo): Promise<number> {
  // The engine (and with it every driver) is loaded only now: `e2rx --help` stays fast.
  const [{ createEngine }, { createLogger }, { formatProblem }] = await Promise.all([
    import('../../engine/engine.js'),
    import('../../logging/logger.js'),
    import('../../directive/problem.js'),
  ]);
  const logger = createLogger({ level: settings.logLevel, destination: io.stdout as NodeJS.WritableStream, ...(settings.logFormat ? { format: settings.logFormat } : {}) });
  const engine = createEngine({
    cwd: io.cwd,
    logger,
    port: settings.port,
    headless: settings.headless,
    runSchedules: settings.runSchedules,
    env: io.env,
    ...(settings.app !== undefined ? { app: settings.app } : {}),
    ...(settings.host !== undefined ? { host: settings.host } : {}),
  });
  const stop = watchStopSignals(io);
  try {
    await engine.start();
  } catch (error) {
    stop.dispose();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      const hint = code === 'EADDRINUSE' ? 'another process uses that port: pass --port <port> or stop it' : 'check --host and --port';
      throw new E2rxError('E2RX_CLI_USAGE', `cannot listen on port ${settings.port}: ${(error as Error).message}`, { cause: error, hint });
    }
    throw error;
  }
  for (const warning of engine.warnings) logger.warn(formatProblem(warning));
  await stop.requested;
  logger.info('shutting down');
  await engine.stop();
  stop.dispose();
  logger.info('stopped');
  return 0;
}

/**
 * `requested` resolves on the first SIGTERM or SIGINT (or when `io.signal` aborts); a second signal exits at once,
 * until `dispose()` removes the listeners.
 */
function watchStopSignals(io: CommandIo): { readonly requested: Promise<void>; dispose(): void } {
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  let stopping = false;
  let resolveRequested: () => void = () => undefined;
  const requested = new Promise<void>((resolve) => {
    resolveRequested = resolve;
  });
  const onSignal = (): void => {
    if (stopping) process.exit(130);
    stopping = true;
    resolveRequested();
  };
  for (const signal of signals) process.on(signal, onSignal);
  io.signal?.addEventListener('abort', onSignal, { once: true });
  if (io.signal?.aborted) onSignal();
  return {
    requested,
    dispose: () => {
      for (const signal of signals) process.off(signal, onSignal);
      io.signal?.removeEventListener('abort', onSignal);
    },
  };
}
