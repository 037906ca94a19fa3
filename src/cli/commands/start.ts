/**
 * `e2rx start [app]`: loads an app and serves it.
 *
 * @module
 */
import { join, relative, resolve } from 'node:path';
import type { ReloadingEngine, ReloadOutcome } from '../../engine/reload.js';
import { E2rxError } from '../../errors.js';
import type { Logger, LogLevel } from '../../logging/logger.js';
import { parseBooleanSetting } from '../boolean-setting.js';
import type { Command, CommandIo, EnvironmentSetting } from '../command.js';
import { CLI_LOG_LEVELS, isCliLogLevel } from '../log-levels.js';

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
  /** Whether to log one line per HTTP request (`E2RX_ACCESS_LOG`, default true). */
  readonly accessLog: boolean;
}

/**
 * Every environment variable `start` reads, in the order of its help. {@link resolveStartSettings} reads these and
 * no other; `e2rx start --help` and docs/reference/cli.md list them all (a spec checks both).
 */
export const START_ENVIRONMENT = {
  port: { names: ['E2RX_HTTP_PORT', 'ATMO_HTTP_PORT'], description: `the HTTP port, as --port (default ${DEFAULT_HTTP_PORT})` },
  host: { names: ['E2RX_HTTP_HOST'], description: 'the address to listen on, as --host (default: all interfaces)' },
  logLevel: { names: ['E2RX_LOG_LEVEL', 'ATMO_LOG_LEVEL'], description: 'the log level, as --log-level (default info)' },
  headless: { names: ['E2RX_HEADLESS', 'ATMO_HEADLESS'], description: 'true or false (or 1 or 0): as --headless (default false)' },
  runSchedules: {
    names: ['E2RX_RUN_SCHEDULES', 'ATMO_RUN_SCHEDULES'],
    description: 'true or false (or 1 or 0): false keeps this instance from running schedules (default true)',
  },
  accessLog: { names: ['E2RX_ACCESS_LOG'], description: 'true or false (or 1 or 0): false turns off the access log, one info line per HTTP request (default true)' },
} as const satisfies Record<string, EnvironmentSetting>;

/**
 * Resolves the settings: flags win over environment variables (`E2RX_*`, then Atmo's `ATMO_*`), which win over
 * defaults. An empty variable counts as unset.
 *
 * @throws {@link E2rxError} `E2RX_CLI_USAGE` for a port, level, format or boolean variable that is not valid.
 */
export function resolveStartSettings(
  values: Readonly<Record<string, string | boolean | undefined>>,
  positionals: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): StartSettings {
  // The first of a setting's variables that is set and not empty (`E2RX_LOG_LEVEL=` in a compose file must not fail
  // the start), with its name for error messages.
  const fromEnv = (setting: EnvironmentSetting): { readonly name: string; readonly value: string } | undefined => {
    for (const name of setting.names) {
      const value = env[name];
      if (value !== undefined && value !== '') return { name, value };
    }
    return undefined;
  };
  const portText = (values['port'] as string | undefined) ?? fromEnv(START_ENVIRONMENT.port)?.value;
  const port = portText === undefined ? DEFAULT_HTTP_PORT : portText.trim() === '' ? Number.NaN : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new E2rxError('E2RX_CLI_USAGE', `port '${portText ?? ''}' is not a valid port`, { hint: 'use a number from 0 to 65535 (0 picks a free port)' });
  }
  const levelText = (values['log-level'] as string | undefined) ?? fromEnv(START_ENVIRONMENT.logLevel)?.value ?? 'info';
  if (!isCliLogLevel(levelText)) {
    throw new E2rxError('E2RX_CLI_USAGE', `log level '${levelText}' is not valid`, { hint: `use one of ${CLI_LOG_LEVELS.join(', ')}` });
  }
  const formatText = values['log-format'] as string | undefined;
  if (formatText !== undefined && formatText !== 'json' && formatText !== 'pretty') {
    throw new E2rxError('E2RX_CLI_USAGE', `log format '${formatText}' is not valid`, { hint: 'use json or pretty' });
  }
  const boolean = (setting: EnvironmentSetting, fallback: boolean): boolean => {
    const found = fromEnv(setting);
    return found === undefined ? fallback : parseBooleanSetting(found.name, found.value);
  };
  const headlessFromEnv = boolean(START_ENVIRONMENT.headless, false);
  return {
    app: positionals[0],
    port,
    host: (values['host'] as string | undefined) ?? fromEnv(START_ENVIRONMENT.host)?.value,
    logLevel: levelText,
    logFormat: formatText,
    headless: values['headless'] === true || headlessFromEnv,
    runSchedules: boolean(START_ENVIRONMENT.runSchedules, true),
    accessLog: boolean(START_ENVIRONMENT.accessLog, true),
  };
}

/** The start command. */
export const startCommand: Command = {
  name: 'start',
  summary: 'serve an app (a directory with a Directive.yaml, or a runnables.wasm.zip bundle)',
  usage: '[app] [options]',
  description: [
    'app defaults to ./runnables.wasm.zip when it exists, else the current directory.',
    'GET /health answers {"healthy":true,"connections":{}} once the app is loaded and ready (503 before).',
    'SIGHUP reloads the app (as --watch does on a change): the new version is validated, started beside the old one and',
    'swapped in without closing the port; the old one finishes what it took. An invalid version is reported and the old keeps serving.',
    'SIGTERM or SIGINT stops it gracefully; a second signal exits at once. Under a supervisor, run the bin itself',
    '(node_modules/.bin/e2rx start; exec e2rx start in an npm script), not npx, so that the signal reaches it.',
  ].join('\n'),
  options: {
    port: { type: 'string', short: 'p', description: `HTTP port (default ${DEFAULT_HTTP_PORT})`, placeholder: '<port>' },
    host: { type: 'string', description: 'address to listen on (default: all interfaces)', placeholder: '<address>' },
    'log-level': { type: 'string', description: `one of ${CLI_LOG_LEVELS.join(', ')} (default info)`, placeholder: '<level>' },
    'log-format': { type: 'string', description: 'json or pretty (default: pretty on a terminal, else json)', placeholder: '<format>' },
    headless: { type: 'boolean', description: 'serve every function at POST /<identifier>/<namespace>/<fn>/<version> instead of the handlers' },
    watch: { type: 'boolean', short: 'w', description: 'reload the app when its Directive, modules, bundle or static files change' },
  },
  environment: Object.values(START_ENVIRONMENT),
  maxPositionals: 1,
  examples: ['e2rx start examples/hello', 'e2rx start --watch examples/hello', 'e2rx start --port 3000 runnables.wasm.zip', 'E2RX_LOG_LEVEL=debug e2rx start ./my-app'],
  run: async ({ values, positionals }, io) => {
    const settings = resolveStartSettings(values, positionals, io.env);
    if (values['watch'] !== true) return serveApp(settings, io);
    return serveApp(settings, io, {
      serving: async ({ app, logger, reload }) => {
        const { watchApp } = await import('../../app/watch.js');
        const watch = await watchApp(app, {
          onChange: (paths) => {
            logger.info({ files: paths }, `changed: ${paths.join(', ')}; reloading`);
            void reload();
          },
          onError: (error) => logger.error({ code: error.code }, error.message),
        });
        logger.info(`watching ${relative(io.cwd, app) || '.'} for changes (Directive, modules, static files)`);
        return watch;
      },
    });
  },
};

/** What a command built on `start` (dev) adds to it. */
export interface ServeHooks {
  /** Serve the app directory even when a bundle is beside it, and say so (dev: the modules just built run). */
  readonly directoryOnly?: boolean;
  /** Once serving: watches what it needs to and reloads; returns what stops watching. */
  readonly serving?: (context: ServingContext) => Promise<{ close(): void }>;
}

/** What {@link ServeHooks.serving} gets. */
export interface ServingContext {
  readonly engine: ReloadingEngine;
  readonly logger: Logger;
  /** The app's path, absolute: its directory, or its bundle. */
  readonly app: string;
  /** The URL the app answers on (`http://localhost:<port>`). */
  readonly url: string;
  /** Reloads the app, and warns again about modules older than their sources. */
  readonly reload: () => Promise<ReloadOutcome>;
}

/**
 * Serves an app as `e2rx start` does: checks it, starts a {@link ReloadingEngine} (SIGHUP reloads it), runs the
 * hooks, and stops gracefully on SIGTERM or SIGINT. Resolves with the exit code.
 */
export async function serveApp(settings: StartSettings, io: CommandIo, hooks: ServeHooks = {}): Promise<number> {
  const [{ chooseApp }, { readDirectiveSource }, { findUnsetEnv, describeUnsetEnv }] = await Promise.all([
    import('../app-choice.js'),
    import('../directive-source.js'),
    import('../unset-env.js'),
  ]);
  // Before anything listens: an app that does not exist is a mistake to report at once, not after "serving on".
  const choice = hooks.directoryOnly ? await chooseAppDirectory(io.cwd, settings.app) : await chooseApp(io.cwd, settings.app);
  // An address that is env(VAR) with VAR unset can only fail, and later, with a message that names neither.
  const source = await readDirectiveSource(io.cwd, choice.app);
  const unset = source ? findUnsetEnv(source.text, source.file, io.env) : [];
  const required = unset.filter((reference) => reference.required);
  if (required.length > 0) {
    const names = [...new Set(required.map((reference) => reference.name))];
    throw new E2rxError('E2RX_ENV_UNSET', required.map(describeUnsetEnv).join('\n'), {
      hint: `set ${names.join(', ')} in the environment of e2rx start, for example: ${names.map((name) => `${name}=<value>`).join(' ')} e2rx start`,
      details: { variables: names },
    });
  }
  // The engine (and with it every driver) is loaded only now: `e2rx --help` stays fast.
  const [{ createReloadingEngine }, { createLogger }, { formatProblem }, { staleModules }, { existsSync }, { BUNDLE_FILE_NAME }] = await Promise.all([
    import('../../engine/reload.js'),
    import('../../logging/logger.js'),
    import('../../directive/problem.js'),
    import('../../build/stale-modules.js'),
    import('node:fs'),
    import('../../app/load-app.js'),
  ]);
  const logger = createLogger({ level: settings.logLevel, destination: io.stdout as NodeJS.WritableStream, ...(settings.logFormat ? { format: settings.logFormat } : {}) });
  if (choice.notice !== undefined) logger.warn(choice.notice);
  for (const reference of unset) logger.warn({ variable: reference.name }, describeUnsetEnv(reference));
  // The path the engine loads: as given, else the loader's default.
  const appPath = resolve(io.cwd, choice.app ?? (existsSync(resolve(io.cwd, BUNDLE_FILE_NAME)) ? BUNDLE_FILE_NAME : '.'));
  // The modules that run are the ones built: a function whose sources changed since is named, at start and reload.
  const warnStaleModules = async (): Promise<void> => {
    if (appPath.endsWith('.zip')) return;
    for (const stale of await staleModules(appPath)) {
      const what = stale.newer === undefined ? `${stale.module} was never built` : `${stale.newer} is newer than ${stale.module}`;
      logger.warn({ function: stale.name }, `${what}: ${stale.name} runs its last build, not your latest edit; run e2rx build (or e2rx dev, which builds on save)`);
    }
  };
  await warnStaleModules();
  const engine = createReloadingEngine({
    cwd: io.cwd,
    logger: withListenAddress(logger, settings.host),
    port: settings.port,
    headless: settings.headless,
    runSchedules: settings.runSchedules,
    accessLog: settings.accessLog,
    env: io.env,
    ...(choice.app !== undefined ? { app: choice.app } : {}),
    ...(settings.host !== undefined ? { host: settings.host } : {}),
  });
  const stop = watchStopSignals(io);
  let port: number;
  try {
    port = await engine.start();
  } catch (error) {
    stop.dispose();
    throw error;
  }
  for (const warning of engine.current?.warnings ?? []) logger.warn(formatProblem(warning));
  const reload = async (): Promise<ReloadOutcome> => {
    const outcome = await engine.reload();
    if (outcome.type === 'reloaded') {
      for (const warning of engine.current?.warnings ?? []) logger.warn(formatProblem(warning));
      await warnStaleModules();
    }
    return outcome;
  };
  // SIGHUP reloads (a terminal closing no longer stops the server: run it under a supervisor, or with nohup).
  const onHangUp = (): void => {
    logger.info('SIGHUP: reloading the app');
    void reload();
  };
  process.on('SIGHUP', onHangUp);
  const local = settings.host === undefined || settings.host === '' || settings.host === '0.0.0.0' || settings.host === '::';
  const url = `http://${local ? `localhost:${port}` : listenAddress(settings.host, port)}`;
  const watching = await hooks.serving?.({ engine, logger, app: appPath, url, reload });
  await stop.requested;
  watching?.close();
  process.off('SIGHUP', onHangUp);
  logger.info('shutting down');
  await engine.stop();
  stop.dispose();
  logger.info('stopped');
  return 0;
}

/** The app directory, even with a bundle beside it (which is then named, not served). */
async function chooseAppDirectory(cwd: string, app: string | undefined): Promise<{ readonly app: string; readonly notice?: string }> {
  const { chooseApp } = await import('../app-choice.js');
  const chosen = await chooseApp(cwd, app ?? '.');
  const dir = resolve(cwd, chosen.app ?? '.');
  if (dir.endsWith('.zip')) {
    throw new E2rxError('E2RX_CLI_USAGE', `${chosen.app ?? dir} is a bundle: e2rx dev builds and serves an app directory`, { hint: 'pass the app directory (the one holding Directive.yaml and the function sources)' });
  }
  const { existsSync } = await import('node:fs');
  const { BUNDLE_FILE_NAME } = await import('../../app/load-app.js');
  return existsSync(join(dir, BUNDLE_FILE_NAME))
    ? { app: chosen.app ?? '.', notice: `serving the app directory and the modules just built, not ${BUNDLE_FILE_NAME} beside it (e2rx build --bundle updates it)` }
    : { app: chosen.app ?? '.' };
}

/**
 * `host:port` as people write it: `127.0.0.1:8080`, `[::1]:8080`, and `:8080` for every interface.
 *
 * @example
 * ```ts
 * listenAddress('::1', 8080); // '[::1]:8080'
 * ```
 */
export function listenAddress(host: string | undefined, port: number): string {
  if (host === undefined || host === '') return `:${port}`;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The logger handed to the engine, with one line changed: the engine logs `serving on :<port>` whatever it listens
 * on; with `--host` the line names the address (`serving on 127.0.0.1:8080`, with a `host` field). Every other line,
 * and the loggers the engine derives with `child()`, are untouched.
 */
export function withListenAddress(logger: Logger, host: string | undefined): Logger {
  if (host === undefined || host === '') return logger;
  const wrapped = Object.create(logger) as Logger;
  const info = logger.info;
  const rewritten: Logger['info'] = function (this: Logger, ...args: unknown[]) {
    const [fields, message] = args;
    const port = typeof fields === 'object' && fields !== null ? (fields as { port?: unknown }).port : undefined;
    if (typeof port === 'number' && message === `serving on :${port}`) {
      Reflect.apply(info, this, [{ host, port }, `serving on ${listenAddress(host, port)}`]);
      return;
    }
    Reflect.apply(info, this, args);
  };
  wrapped.info = rewritten;
  return wrapped;
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
