/**
 * Stream pipelines that wait for a signal before they subscribe: how a hot reload hands a Kafka consumer group over
 * (the new app's consumers join once the old app's committed and left).
 *
 * @module
 */
import { from, switchMap, type Observable } from 'rxjs';
import type { Gate } from './gate.js';
import type { HandlerRun } from './handler-run.js';
import type { HandlerPlan } from './plan.js';

/** Builds the pipeline of a NATS or Kafka handler (the engine's `PipelineDeps.stream`). */
export type StreamBuilder = (plan: HandlerPlan, run: HandlerRun, gate: Gate) => Observable<unknown>;

/**
 * `stream`, with each handler's pipeline held back until the promise `before` returns for it resolves (`undefined`:
 * not held). Unsubscribing while held subscribes nothing. Without `before`, `stream` itself.
 *
 * @example
 * ```ts
 * const stream = heldBack(streams.stream, (handler) => (handler.handler.source === 'kafka' ? oldAppStopped : undefined));
 * ```
 */
export function heldBack(stream: StreamBuilder | undefined, before: ((handler: HandlerPlan) => Promise<void> | undefined) | undefined): StreamBuilder | undefined {
  if (stream === undefined || before === undefined) return stream;
  return (plan, run, gate) => {
    const wait = before(plan);
    return wait === undefined ? stream(plan, run, gate) : from(wait).pipe(switchMap(() => stream(plan, run, gate)));
  };
}
