/**
 * The engine: loads an app, compiles it, runs its pipelines, and owns start, drain and stop.
 *
 * @module
 */
import { listenOn } from '../server/listen.js';
import { EMPTY, Subject, catchError, merge, type Subscription } from 'rxjs';
import type { Logger } from 'pino';
import { loadApp, type App } from '../app/index.js';
import type { Problem } from '../directive/index.js';
import { E2rxError, errorMessage } from '../errors.js';
import { createLogger } from '../logging/logger.js';
import { createHttpServer, type HealthReport, type HttpServer } from '../server/http-server.js';
import { createMetrics, type EngineMetrics } from '../server/metrics.js';
import { REQUEST_ID_HEADER, requestIdOf } from '../server/request-id.js';
import type { FunctionRunner } from '../steps/function-runner.js';
import type { StreamConnections } from '../handlers/stream-connections.js';
import type { StreamHandles } from '../handlers/handler-kind.js';
import { plannedHandlers } from '../handlers/plan.js';
import { loadHandlerKinds } from '../handlers/registry.js';
import type { OpenScheduleLeases } from '../connections/open-schedule-leases.js';
import { createAppRuntime, type AppRuntime } from './app-runtime.js';
import { compileDirective } from './compile.js';
import { publishConnections } from '../directive/capabilities.js';
import type { Gate } from '../flow/gate.js';
import { buildPipelines } from '../handlers/pipeline.js';
import type { HandlerPlan, Plan } from '../handlers/plan.js';
import { runtimeRunner } from './runtime-runner.js';
import { startTracing } from '../telemetry/start-tracing.js';
import type { Tracing } from '../telemetry/tracing.js';
import { startMetricsExport, type MetricsExport } from '../telemetry/metrics-export.js';

/** How often the health of Redis and SQL connections is checked again. */
export const HEALTH_REFRESH_MS = 5_000;

/** The default time in-flight runs get to finish on stop. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/** Options of {@link createEngine}. */
export interface EngineOptions {
  /**
   * The app: a loaded {@link App}, or a path for {@link loadApp} (a directory or a bundle); when absent,
   * `./runnables.wasm.zip` if it exists, else the working directory.
   */
  readonly app?: App | string;
  /** The directory a relative app path is resolved against (default `process.cwd()`). */
  readonly cwd?: string;
  readonly logger?: Logger;
  /** The HTTP port (default 8080; 0 picks a free one). */
  readonly port?: number;
  readonly host?: string;
  /** Serve every function at its FQFN path instead of the handlers (docs/reference/cli.md (`--headless`)). */
  readonly headless?: boolean;
  /** Whether this instance runs schedules (default true; `ATMO_RUN_SCHEDULES=false` turns them off). */
  readonly runSchedules?: boolean;
  /** How long in-flight runs get to finish on stop (default 10 s). */
  readonly shutdownTimeoutMs?: number;
  /** The environment for `env(VAR)` values (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Replaces the Wasm runtime: every function call goes to this runner (tests, custom hosts). */
  readonly runner?: FunctionRunner;
  /**
   * The NATS and Kafka connections of the app's stream handlers, connected by the caller (who also drains and closes
   * them); by default the engine creates, connects, drains and closes them (`createStreamConnections`).
   */
  readonly streams?: StreamHandles;
  /**
   * Whether to log one line per HTTP request, when its response ends (default true): at info, at debug for
   * `/health` and `/metrics`. `E2RX_ACCESS_LOG=false` turns it off for `e2rx start`.
   */
  readonly accessLog?: boolean;
  /**
   * The HTTP server to route on instead of creating one (hot reload: a server made with `listener`, whose `listen()`
   * binds nothing). The engine's `stop()` closes it as its own.
   */
  readonly http?: HttpServer;
  /** The metrics to record into instead of new ones (hot reload: the counters go on across a swap). */
  readonly metrics?: EngineMetrics;
  /**
   * Called as each NATS or Kafka handler's pipeline is subscribed; a promise returned holds the pipeline back until
   * it resolves (hot reload: Kafka consumers join their group once the old app's consumers committed and left).
   */
  readonly beforeStream?: (handler: HandlerPlan) => Promise<void> | undefined;
}

/** A running (or startable) engine. */
export interface Engine {
  /** The compiled plan (after start). */
  readonly plan: Plan | undefined;
  /** The Directive's warnings (unknown keys…), after start. */
  readonly warnings: readonly Problem[];
  /** The bound HTTP port (after start). */
  readonly port: number | undefined;
  readonly metrics: EngineMetrics;
  /** In-flight bounds per handler. */
  readonly gates: ReadonlyMap<string, Gate>;
  /** Loads, compiles, starts every source and listens; resolves with the port. */
  start(): Promise<number>;
  /** Stops accepting, lets in-flight runs finish (up to the shutdown timeout), then closes everything. */
  stop(): Promise<void>;
  /** Ready or not, and each connection. */
  health(): HealthReport;
  /** `await using engine = createEngine(...)` stops it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Creates an engine.
 *
 * @example
 * ```ts
 * import { createEngine } from 'e2rx';
 * const engine = createEngine({ app: 'examples/hello', port: 8080 });
 * await engine.start();
 * process.once('SIGTERM', () => void engine.stop());
 * ```
 */
export function createEngine(options: EngineOptions): Engine {
  const logger = options.logger ?? createLogger();
  const metrics = options.metrics ?? createMetrics();
  const stopAccepting = new Subject<void>();
  let ready = false;
  let plan: Plan | undefined;
  let port: number | undefined;
  let http: HttpServer | undefined;
  let runtime: AppRuntime | undefined;
  let gates: ReadonlyMap<string, Gate> = new Map();
  let subscription: Subscription | undefined;
  let completed: Promise<void> = Promise.resolve();
  let connectionHealth: Record<string, boolean> = {};
  let stopping: Promise<void> | undefined;
  let warnings: readonly Problem[] = [];
  let streams: StreamConnections | undefined;
  let leases: OpenScheduleLeases | undefined;
  let healthTimer: NodeJS.Timeout | undefined;
  let tracing: Tracing | undefined;
  let metricsExport: MetricsExport | undefined;

  const health = (): HealthReport => {
    const connections = { ...connectionHealth, ...streams?.health(), ...leases?.health() };
    return { healthy: ready && Object.values(connections).every(Boolean), connections };
  };
  const refreshConnectionHealth = async (): Promise<void> => {
    if (runtime) connectionHealth = await runtime.health();
  };

  /** `stop()` may be called while `start()` awaits: then start releases what it created since, and fails. */
  const throwIfStopped = (): void => {
    if (stopping) throw new E2rxError('E2RX_STOPPED', 'the engine was stopped while it was starting');
  };

  const start = async (): Promise<number> => {
    http = options.http ?? createHttpServer({ logger, health, metrics, ...(options.accessLog === undefined ? {} : { accessLog: options.accessLog }) });
    metrics.watchPool(() => runtime?.stats().functions ?? {});
    http.route(
      'GET',
      '/metrics',
      async (request, response) => {
        const text = await metrics.text();
        response.writeHead(200, { 'content-type': metrics.contentType, [REQUEST_ID_HEADER]: requestIdOf(request) });
        response.end(text);
      },
      { quiet: true },
    );
    port = await listenOn(http, options.port ?? 8080, options.host);
    // A server given by the caller listens on the caller's listener, which the caller announced.
    if (!options.http) logger.info({ port }, `serving on :${port}`);
    try {
      const app =
        options.app === undefined || typeof options.app === 'string'
          ? await loadApp(options.app, options.cwd === undefined ? {} : { cwd: options.cwd })
          : options.app;
      warnings = app.warnings;
      // Before the runtime and the pipelines: they are traced, or not, as they are built.
      tracing = startTracing(options.env ?? process.env, { name: app.directive.identifier, version: app.directive.appVersion }, logger);
      runtime = options.runner ? undefined : await createAppRuntime(app, { logger, env: options.env ?? process.env, metrics });
      throwIfStopped();
      const runner = options.runner ?? runtimeRunner(runtime as AppRuntime);
      if (tracing !== undefined && runtime !== undefined) tracing.lanes = runtime.laneOf;
      plan = compileDirective(app.directive, {
        headless: options.headless ?? false,
        runSchedules: options.runSchedules ?? true,
      });
      const publishing = publishConnections(app.directive);
      if (!options.streams && (plan.streams.length > 0 || publishing.nats || publishing.kafka)) {
        // Loaded only for apps with stream handlers: the NATS and Kafka clients are large.
        const { createStreamConnections } = await import('../handlers/stream-connections.js');
        streams = createStreamConnections(app.directive, { logger, env: options.env ?? process.env });
        await streams.connect();
        throwIfStopped();
      }
      const leaseKinds = new Set(plan.schedules.flatMap((schedule) => (schedule.schedule.lease === undefined ? [] : [schedule.schedule.lease])));
      if (leaseKinds.size > 0) {
        // Loaded only for apps with leased schedules (e2rx `lease:`).
        const { openScheduleLeases } = await import('../connections/open-schedule-leases.js');
        leases = await openScheduleLeases(app.directive, leaseKinds, { logger, env: options.env ?? process.env });
        throwIfStopped();
      }
      // A request (headers and body) must arrive within the longest request time limit of the app's handlers.
      const receive = Math.max(0, ...[...plan.requests, ...plan.websockets].map((handler) => handler.bounds.requestTimeoutMs), ...plan.headlessRoutes.map((route) => route.bounds.requestTimeoutMs));
      if (receive > 0) http.setReceiveTimeout(receive);
      if (app.directive.limits?.maxHeaderBytes !== undefined) http.setMaxHeaderBytes(app.directive.limits.maxHeaderBytes);
      await loadHandlerKinds(plannedHandlers(plan));
      throwIfStopped();
      const handles = options.streams ?? streams;
      // (e2rx) Loaded only for apps whose functions publish (capabilities.publish).
      const publish =
        handles !== undefined && (publishing.nats || publishing.kafka)
          ? (await import('../sinks/guest-publishes.js')).createPublishSender(handles)
          : undefined;
      const built = buildPipelines(plan, {
        runner,
        http,
        logger,
        metrics,
        stopAccepting,
        env: options.env ?? process.env,
        ...(handles ? { streams: handles } : {}),
        ...(publish ? { publish } : {}),
        ...(options.beforeStream ? { beforeStream: options.beforeStream } : {}),
        ...(leases ? { leases: { stores: leases.stores, owner: leases.owner } } : {}),
      });
      gates = built.gates;
      completed = new Promise<void>((resolve) => {
        subscription = merge(
          ...built.pipelines.map(({ id, pipeline }) =>
            pipeline.pipe(
              catchError((error: unknown) => {
                logger.error({ err: error, handler: id }, `pipeline ${id} stopped: ${errorMessage(error)}`);
                return EMPTY;
              }),
            ),
          ),
        ).subscribe({ complete: resolve });
      });
      await streams?.subscribed();
      await refreshConnectionHealth();
      healthTimer = setInterval(() => {
        refreshConnectionHealth().catch((error: unknown) => logger.warn({ err: error }, 'connection health check failed'));
      }, HEALTH_REFRESH_MS);
      healthTimer.unref();
      // The OTLP export of /metrics, when configured (its SDK is loaded only then).
      metricsExport = await startMetricsExport(options.env ?? process.env, { name: app.directive.identifier, version: app.directive.appVersion }, () => metrics.text(), logger);
      ready = true;
      logger.info(
        {
          app: app.directive.identifier,
          version: app.directive.appVersion,
          functions: [...app.functions.keys()],
          handlers: [...plan.requests, ...plan.websockets, ...plan.streams].map((handler) => handler.id),
          schedules: plan.schedules.map((schedule) => schedule.schedule.name),
          headless: plan.headless,
        },
        `loaded ${app.path}`,
      );
      return port;
    } catch (error) {
      await closeAll();
      throw error;
    }
  };

  const closeAll = async (): Promise<void> => {
    clearInterval(healthTimer);
    subscription?.unsubscribe();
    await http?.close();
    await streams?.close();
    await leases?.close();
    await runtime?.close();
    // Last: the spans of the runs that finished while draining are exported (this engine's hold released once).
    const held = tracing;
    tracing = undefined;
    await held?.stop();
    await metricsExport?.stop();
    metricsExport = undefined;
  };

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      ready = false;
      http?.setDraining(true);
      stopAccepting.next();
      const timeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const started = Date.now();
      const drained = completed.then(async () => {
        if (streams && !(await streams.drain(Math.max(0, timeoutMs - (Date.now() - started))))) return 'timeout' as const;
        return 'drained' as const;
      });
      const outcome = await Promise.race([drained, deadline]);
      clearTimeout(timer);
      if (outcome === 'timeout') logger.warn({ timeoutMs }, 'shutdown deadline reached: cancelling the runs still in flight');
      await closeAll();
    })();
    return stopping;
  };

  return {
    get plan() {
      return plan;
    },
    get port() {
      return port;
    },
    get warnings() {
      return warnings;
    },
    get gates() {
      return gates;
    },
    metrics,
    start,
    stop,
    health,
    [Symbol.asyncDispose]: stop,
  };
}
