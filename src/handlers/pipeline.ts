/**
 * Plan to Observables: each planned handler's kind builds its pipeline (handlers/registry.ts): the source becomes an
 * Observable, the steps become operators, and replies are sinks. The function runner, the HTTP server, the stream
 * connections, the logger and the metrics are injected.
 *
 * @module
 */
import type { Observable } from 'rxjs';
import { currentReading } from '../runtime/clock.js';
import { loopLagMs } from '../runtime/loop-lag.js';
import { createGate, type Gate } from '../flow/gate.js';
import type { BuildContext, PipelineDeps } from './handler-kind.js';
import { createHandlerRun } from './handler-run.js';
import { createAuthenticators } from '../server/auth-registry.js';
import { heldBack } from './held-back.js';
import { plannedHandlers, type HandlerBounds, type HandlerPlan, type Plan, type PlannedHandler } from './plan.js';
import { handlerKind } from './registry.js';

export type { PipelineDeps } from './handler-kind.js';

/** The pipelines of a plan, and the gates of its handlers (for health, metrics and draining). */
export interface Pipelines {
  readonly pipelines: readonly { readonly id: string; readonly pipeline: Observable<unknown> }[];
  readonly gates: ReadonlyMap<string, Gate>;
}

/**
 * Builds one Observable per handler, schedule and headless route, each by its kind. Subscribing starts the source
 * (registers the route, starts the timer, subscribes to the topic); unsubscribing removes it. The kinds of stream
 * handlers must be loaded first (`loadHandlerKinds`).
 *
 * @example
 * ```ts
 * await loadHandlerKinds(plannedHandlers(plan));
 * const { pipelines } = buildPipelines(plan, { runner, http, logger, stopAccepting });
 * merge(...pipelines.map(({ pipeline }) => pipeline)).subscribe();
 * ```
 */
export function buildPipelines(plan: Plan, deps: PipelineDeps): Pipelines {
  const gates = new Map<string, Gate>();
  const pipelines: { id: string; pipeline: Observable<unknown> }[] = [];
  const scheduler = deps.scheduler;
  const streams = new Set<PlannedHandler>(plan.streams);
  const authenticatorFor = createAuthenticators({ env: deps.env ?? process.env, logger: deps.logger });
  for (const planned of plannedHandlers(plan)) {
    const { id } = planned;
    const context: BuildContext = {
      deps,
      gate: (bounds: HandlerBounds): Gate => {
        // Under a test scheduler, virtual time only; otherwise the event loop's lag counts in the age of work, and the
        // gate reads the calling thread's shared clock reading (runtime/clock.ts: the one an HTTP request holds).
        const gate = createGate({ ...bounds, ...(scheduler ? { now: () => scheduler.now() } : { lagMs: loopLagMs, now: currentReading }) });
        gates.set(id, gate);
        deps.metrics?.watchInFlight(id, () => gate.inFlight);
        return gate;
      },
      run: (spec) =>
        createHandlerRun({
          id,
          ...spec,
          runner: deps.runner,
          logger: deps.logger,
          ...(deps.metrics ? { metrics: deps.metrics.handler(id) } : {}),
          ...(deps.scheduler ? { scheduler: deps.scheduler } : {}),
          ...(deps.publish ? { publish: deps.publish } : {}),
        }),
      authenticator: (config) => authenticatorFor(id, config),
    };
    const pipeline = handlerKind(planned.kind).build(planned, context);
    if (pipeline === undefined) continue;
    const held = deps.beforeStream !== undefined && streams.has(planned) ? heldBack(pipeline, deps.beforeStream(planned as HandlerPlan)) : pipeline;
    pipelines.push({ id, pipeline: held });
  }
  return { pipelines, gates };
}
