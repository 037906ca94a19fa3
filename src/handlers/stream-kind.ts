/**
 * What the NATS, JetStream and Kafka handler kinds share: their `build` (the gate and run made as for every kind, the
 * connection checked, the pipeline marked failed when it stops on an error) and their lazily loaded pipelines (the
 * clients are large: an app without stream handlers does not load them).
 *
 * @module
 */
import { defer, takeUntil, tap, throwError, type Observable } from 'rxjs';
import { E2rxError } from '../errors.js';
import type { Gate } from '../flow/gate.js';
import type { StreamOutcome } from '../messages/stream-outcome.js';
import type { BuildContext, RunSpec, StreamHandles } from './handler-kind.js';
import type { HandlerRun } from './handler-run.js';
import type { HandlerPlan } from './plan.js';

/** The connection a stream handler uses. */
export type StreamConnectionName = 'nats' | 'kafka';

/**
 * A module loaded once, on `load()`; `get()` throws `E2RX_INTERNAL` before that.
 *
 * @example
 * ```ts
 * const pipelines = loadOnce(() => import('./nats-pipeline.js'));
 * await pipelines.load();
 * pipelines.get().natsPipeline(config, run, gate, deps);
 * ```
 */
export function loadOnce<T>(load: () => Promise<T>): { readonly load: () => Promise<void>; readonly get: () => T } {
  let loaded: T | undefined;
  return {
    load: async () => {
      loaded ??= await load();
    },
    get: () => {
      if (loaded === undefined) throw new E2rxError('E2RX_INTERNAL', 'a stream handler was built before its kind was loaded (loadHandlerKinds)');
      return loaded;
    },
  };
}

/**
 * The pipeline of a stream handler, as the engine builds it: its gate and run, the connection it needs (a handler
 * whose connection is missing is logged and left out), `stopAccepting`.
 */
export function buildStream(
  plan: HandlerPlan,
  context: BuildContext,
  pipeline: (plan: HandlerPlan, run: HandlerRun, gate: Gate, streams: StreamHandles) => Observable<StreamOutcome>,
  runOptions: Pick<RunSpec, 'holdKafkaPublishes'> = {},
): Observable<StreamOutcome> | undefined {
  const { deps } = context;
  const gate = context.gate(plan.bounds);
  const run = context.run({ steps: plan.steps, response: plan.response, groupTimeoutMs: plan.groupTimeoutMs, requestTimeoutMs: plan.bounds.requestTimeoutMs, ...runOptions });
  if (!deps.streams) {
    deps.logger.error({ handler: plan.id }, `handler ${plan.id} needs a ${plan.handler.source} connection, which is not available`);
    return undefined;
  }
  return pipeline(plan, run, gate, deps.streams).pipe(takeUntil(deps.stopAccepting));
}

/**
 * Builds a stream pipeline on subscribe, once its connection is there; a pipeline that stops on an error marks its
 * connection unhealthy.
 */
export function connectedPipeline(
  plan: HandlerPlan,
  streams: StreamHandles,
  connection: StreamConnectionName,
  build: () => Observable<StreamOutcome>,
): Observable<StreamOutcome> {
  return defer(() => {
    if (!streams[connection]) return throwError(() => notConnected(connection === 'nats' ? 'NATS' : 'Kafka', plan.id));
    return build();
  }).pipe(tap<StreamOutcome>({ error: () => streams.failed(connection, plan.id) }));
}

function notConnected(service: string, handler: string): E2rxError {
  return new E2rxError('E2RX_CONNECTION', `${handler} needs ${service}, which is not connected: call connect() first`, { retriable: true });
}
