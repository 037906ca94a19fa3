/**
 * The runtime of one app: its host services (cache, http, db… per the Directive's capabilities) and the Wasm
 * runtime with every function registered.
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { App } from '../app/index.js';
import { createHostServices } from '../capabilities/host-services-impl.js';
import { resolveCapabilities } from '../directive/index.js';
import { createRuntime, type Runtime, type RuntimeStats } from '../runtime/runtime.js';
import type { EngineMetrics } from '../server/metrics.js';
import type { FunctionRequest } from '../runtime/request.js';
import type { Ticket } from '../runtime/pool.js';
import type { RunOutcome } from '../runtime/outcome.js';
import type { Lane } from '../runtime/placement.js';
import { traceHostServices } from '../telemetry/host-spans.js';

/** An app's runtime, as the engine uses it. */
export interface AppRuntime {
  /** See `Runtime.execute`. */
  execute(name: string, request: FunctionRequest, done: (outcome: RunOutcome) => void): Ticket | undefined;
  /** Where the calls of a function go now (see `Runtime.laneOf`). */
  readonly laneOf: (name: string) => Lane | undefined;
  /** How many calls can run at once (one per worker): the default in-flight bound. */
  readonly capacity: number;
  /** Pool sizes, busy workers and queued calls (for `/metrics`). */
  stats(): RuntimeStats;
  /** Whether each configured connection (redis, sql) answers. */
  health(): Promise<Record<string, boolean>>;
  close(): Promise<void>;
}

/** Options of {@link createAppRuntime}. */
export interface AppRuntimeOptions {
  readonly logger: Logger;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly metrics?: EngineMetrics;
}

/**
 * Creates the host services and the runtime of an app, connects what the capabilities need (failing with a clear
 * `E2RX_CONNECTION` error naming the address when a server is unreachable), and registers every function.
 */
export async function createAppRuntime(app: App, options: AppRuntimeOptions): Promise<AppRuntime> {
  const { directive } = app;
  const capabilities = resolveCapabilities(directive, options.env);
  const services = traceHostServices(createHostServices(capabilities, { staticFiles: app.staticFiles, logger: options.logger }));
  try {
    const report = await services.start();
    for (const query of report.queries) {
      if (query.error) options.logger.warn({ query: query.name }, `query ${query.name} could not be prepared: ${query.error}`);
    }
  } catch (error) {
    await services.close();
    throw error;
  }
  const workers = directive.runtime.workers ?? Math.max(1, availableParallelism());
  const instancesPerWorker = directive.runtime.instancesPerWorker ?? 1;
  const limits = directive.limits;
  let runtime: Runtime;
  try {
    runtime = createRuntime({
      capabilities,
      services,
      logger: options.logger,
      workers,
      instancesPerWorker,
      freshInstancePerCall: directive.runtime.freshInstancePerCall ?? false,
      ...(directive.runtime.placement !== undefined ? { placement: directive.runtime.placement } : {}),
      ...(directive.runtime.inlineBudgetMs !== undefined ? { inlineBudgetMs: directive.runtime.inlineBudgetMs } : {}),
      env: options.env,
      ...(options.metrics ? { onCall: callRecorder(options.metrics) } : {}),
      limits: {
        ...(limits.timeoutMs !== undefined ? { timeoutMs: limits.timeoutMs } : {}),
        ...(limits.maxMemoryMb !== undefined ? { maxMemoryMb: limits.maxMemoryMb } : {}),
        ...(limits.maxInputBytes !== undefined ? { maxInputBytes: limits.maxInputBytes } : {}),
        ...(limits.maxOutputBytes !== undefined ? { maxOutputBytes: limits.maxOutputBytes } : {}),
      },
    });
    for (const [fqfn, fn] of app.functions) await runtime.register(fqfn, fn.bytes, fn.sourceMap === undefined ? {} : { sourceMap: fn.sourceMap });
  } catch (error) {
    await services.close();
    throw error;
  }
  return {
    capacity: workers,
    // The runtime's own functions (closures, no `this`): no layer between a call and the runtime.
    execute: runtime.execute,
    laneOf: runtime.laneOf,
    stats: () => runtime.stats(),
    health: async () => {
      const state = await services.health();
      const result: Record<string, boolean> = {};
      if (state.redis !== undefined) result['redis'] = state.redis;
      if (state.sql !== undefined) result['database'] = state.sql;
      return result;
    },
    close: async () => {
      await runtime.close();
      await services.close();
    },
  };
}

/** Records function calls in the metrics: `run_error` for a Runnable error, `failure` for anything else that failed. */
function callRecorder(metrics: EngineMetrics): (name: string, outcome: RunOutcome['kind'], ms: number) => void {
  return (name, outcome, ms) => metrics.recordCall(name, outcome === 'failure' ? 'failure' : outcome === 'runError' ? 'run_error' : 'ok', ms / 1000);
}
