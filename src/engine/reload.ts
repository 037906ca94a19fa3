/**
 * Hot reload: an engine whose app can be swapped while it serves. The HTTP listener stays open; each version of the
 * app runs in an engine of its own (its generation) that routes on a server attached to that listener, and a swap
 * redirects the listener's dispatch from one generation's routes to the next.
 *
 * A reload, in order:
 *
 * 1. The app is loaded and validated again; a problem (the validator's `file:line:col` lines) rejects the reload
 *    and the running generation keeps serving.
 * 2. The new generation starts beside the old one: its worker pool, its connections, its routes (not yet reached),
 *    its NATS subscriptions (same queue groups: both share the messages for a moment) and JetStream pull consumers
 *    (same durables: the server gives each message to one of them).
 * 3. The listener's dispatch switches to the new routes: new requests, and the next request of every keep-alive
 *    connection, go to the new generation.
 * 4. The old generation drains: the requests it took finish on it (up to the shutdown timeout), then it stops: its
 *    schedules stop, its NATS subscriptions end, its Kafka consumers finish their records, commit and leave their
 *    groups, its pool closes.
 * 5. Only then do the new generation's Kafka consumers join their groups: they start at the offsets the old ones
 *    committed, so no record is lost or handled twice (a record the old one could not finish within the timeout is
 *    not committed, and is redelivered: Kafka's at-least-once).
 *
 * @module
 */
import { listenOn } from '../server/listen.js';
import type { Logger } from 'pino';
import { loadApp, type App } from '../app/index.js';
import { E2rxError, errorMessage } from '../errors.js';
import { createLogger } from '../logging/logger.js';
import { createHttpServer, type HealthReport, type HttpServer } from '../server/http-server.js';
import { createMetrics, type EngineMetrics } from '../server/metrics.js';
import { createEngine, DEFAULT_SHUTDOWN_TIMEOUT_MS, type Engine, type EngineOptions } from './engine.js';

/** Options of {@link createReloadingEngine}: an engine's, but the app is a path, loaded again on each reload. */
export type ReloadingEngineOptions = Omit<EngineOptions, 'app' | 'http' | 'metrics' | 'beforeStream'> & {
  /** The app's path (a directory or a bundle); default as {@link EngineOptions.app}. */
  readonly app?: string;
};

/** How a reload ended. */
export type ReloadOutcome =
  /** The new version serves; the old one drained and stopped. */
  | { readonly type: 'reloaded'; readonly generation: number; readonly durationMs: number }
  /** The new version could not be loaded or started: the old one keeps serving. */
  | { readonly type: 'rejected'; readonly error: E2rxError };

/** An engine that can swap its app while serving. */
export interface ReloadingEngine {
  /** The bound HTTP port (after start). */
  readonly port: number | undefined;
  /** The generation serving now (`undefined` before start); its plan, gates and warnings. */
  readonly current: Engine | undefined;
  /** How many times the app was loaded (1 after start). */
  readonly generation: number;
  readonly metrics: EngineMetrics;
  /** Listens, loads the app and serves it; throws as {@link Engine.start} when the first load fails. */
  start(): Promise<number>;
  /**
   * Loads the app again and swaps it in (see the module's description); resolves once the old generation stopped.
   * Never throws: a new version that fails is `rejected`. Reloads run one at a time; calls made while one runs
   * share the next one.
   */
  reload(): Promise<ReloadOutcome>;
  /** Stops the current generation (as {@link Engine.stop}) and closes the listener. */
  stop(): Promise<void>;
  health(): HealthReport;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Creates an engine whose app can be reloaded without closing its port (what `e2rx start --watch`, SIGHUP and
 * `e2rx dev` use).
 *
 * @example
 * ```ts
 * import { createReloadingEngine } from 'e2rx';
 * const engine = createReloadingEngine({ app: 'examples/hello', port: 8080 });
 * await engine.start();
 * process.on('SIGHUP', () => void engine.reload());
 * ```
 */
export function createReloadingEngine(options: ReloadingEngineOptions): ReloadingEngine {
  const logger: Logger = options.logger ?? createLogger();
  const metrics = createMetrics();
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  const accessLog = options.accessLog === undefined ? {} : { accessLog: options.accessLog };
  let current: { readonly engine: Engine; readonly http: HttpServer } | undefined;
  let generation = 0;
  let port: number | undefined;
  let stopping: Promise<void> | undefined;
  /** The reload running now, and the one asked for while it runs. */
  let running: Promise<ReloadOutcome> | undefined;
  let queued: Promise<ReloadOutcome> | undefined;

  const front = createHttpServer({ logger, metrics, health: () => current?.engine.health() ?? { healthy: false, connections: {} }, ...accessLog });

  /** Loads the app and starts it as a new generation beside the current one; `previousStopped` frees its Kafka consumers. */
  const launch = async (previousStopped: Promise<void>): Promise<{ readonly engine: Engine; readonly http: HttpServer }> => {
    const app: App = await loadApp(options.app, options.cwd === undefined ? {} : { cwd: options.cwd });
    const http = createHttpServer({ logger, metrics, listener: front, health: () => engine.health(), ...accessLog });
    const engine = createEngine({
      ...options,
      app,
      logger,
      http,
      metrics,
      beforeStream: (handler) => (handler.handler.source === 'kafka' ? previousStopped : undefined),
    });
    await engine.start();
    return { engine, http };
  };

  /** Lets the requests the old generation took finish, then stops it. */
  const retire = async (old: { readonly engine: Engine; readonly http: HttpServer }): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const started = Date.now();
    await Promise.race([old.http.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, shutdownTimeoutMs)))]);
    clearTimeout(timer);
    // Its requests are over (or had their time): the stop ends its sources and gives its stream runs their own timeout.
    await old.engine.stop();
    logger.debug({ generation: generation - 1, ms: Date.now() - started }, 'the previous version drained and stopped');
  };

  const swap = async (): Promise<ReloadOutcome> => {
    if (stopping) return { type: 'rejected', error: new E2rxError('E2RX_POOL_CLOSED', 'the engine is stopping') };
    const started = Date.now();
    let release: () => void = () => undefined;
    const previousStopped = new Promise<void>((resolve) => (release = resolve));
    let next;
    try {
      next = await launch(previousStopped);
    } catch (error) {
      release();
      const rejected = E2rxError.is(error) ? error : new E2rxError('E2RX_INTERNAL', errorMessage(error), { cause: error });
      logger.error({ code: rejected.code }, `reload rejected, the running version keeps serving:\n${rejected.message}`);
      return { type: 'rejected', error: rejected };
    }
    const old = current;
    current = next;
    front.dispatchTo(next.http);
    generation += 1;
    try {
      if (old) await retire(old);
    } finally {
      release();
    }
    const durationMs = Date.now() - started;
    logger.info({ generation, ms: durationMs }, `reloaded: version ${generation} of the app serves`);
    return { type: 'reloaded', generation, durationMs };
  };

  const reload = (): Promise<ReloadOutcome> => {
    if (running === undefined) {
      running = swap().finally(() => {
        running = undefined;
      });
      return running;
    }
    queued ??= running.then(() => {
      queued = undefined;
      return reload();
    });
    return queued;
  };

  const start = async (): Promise<number> => {
    port = await listenOn(front, options.port ?? 8080, options.host);
    logger.info({ port }, `serving on :${port}`);
    try {
      current = await launch(Promise.resolve());
    } catch (error) {
      await front.close();
      throw error;
    }
    front.dispatchTo(current.http);
    generation = 1;
    return port;
  };

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await running?.catch(() => undefined);
      await current?.engine.stop();
      await front.close();
    })();
    return stopping;
  };

  return {
    get port() {
      return port;
    },
    get current() {
      return current?.engine;
    },
    get generation() {
      return generation;
    },
    metrics,
    start,
    reload,
    stop,
    health: () => current?.engine.health() ?? { healthy: false, connections: {} },
    [Symbol.asyncDispose]: stop,
  };
}
