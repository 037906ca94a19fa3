/**
 * The `nats` handler kind (`type: stream`, source `nats`, no `jetstream`): a core NATS subscription in a queue group,
 * at-most-once; results published to `respondTo` (or the message's reply subject), failures retried in process,
 * then given up (docs/guides/streams.md, "Dead letters").
 *
 * @module
 */
import type { Observable } from 'rxjs';
import type { Handler } from '../directive/model.js';
import type { Gate } from '../flow/gate.js';
import type { StreamOutcome } from '../messages/stream-outcome.js';
import type { StreamHandles, StreamHandlerKind } from './handler-kind.js';
import type { HandlerRun } from './handler-run.js';
import type { NatsHandlerConfig } from './nats-config.js';
import type { HandlerPlan } from './plan.js';
import { retriesOf } from './retries.js';
import { buildStream, connectedPipeline, loadOnce } from './stream-kind.js';
import { natsKeys } from '../directive/handler-keys/nats.js';

/** The NATS pipelines, loaded with the NATS client when an app has NATS handlers. */
export const natsPipelines = loadOnce(() => import('./nats-pipeline.js'));

/**
 * The part of a NATS or JetStream handler's config that core NATS reads, defaults applied: the queue group is the
 * app's identifier unless `queueGroup` says.
 */
export function natsConfig(handler: Handler, id: string, identifier: string, jetstream: NatsHandlerConfig['jetstream']): NatsHandlerConfig {
  return {
    id,
    subject: handler.resource,
    queue: handler.queueGroup ?? identifier,
    respondTo: handler.respondTo,
    deadLetter: handler.deadLetter,
    retries: retriesOf(handler.retries),
    jetstream,
  };
}

/** The `nats` kind. */
export const natsKind: StreamHandlerKind = {
  name: 'nats',
  keys: natsKeys.names,
  list: 'streams',
  accepts: (handler) => handler.source === 'nats' && !handler.jetstream,
  plan: (handler, context): HandlerPlan => {
    const id = `nats ${handler.resource}`;
    return {
      kind: 'nats',
      id,
      handler,
      steps: handler.steps,
      response: handler.response,
      bounds: context.bounds(handler.limits),
      groupTimeoutMs: context.groupTimeoutMs,
      nats: natsConfig(handler, id, context.directive.identifier, undefined),
    };
  },
  load: natsPipelines.load,
  build: (plan, context) => buildStream(plan, context, natsKind.pipeline),
  pipeline: (plan, run, gate, streams) => natsPipeline(plan, run, gate, streams),
};

/** The pipeline of a NATS or JetStream handler (see `natsPipeline`). */
export function natsPipeline(plan: HandlerPlan, run: HandlerRun, gate: Gate, streams: StreamHandles): Observable<StreamOutcome> {
  return connectedPipeline(plan, streams, 'nats', () =>
    natsPipelines.get().natsPipeline(plan.nats as NatsHandlerConfig, run, gate, {
      nats: streams.nats as NonNullable<typeof streams.nats>,
      inFlight: streams.inFlight,
      logger: streams.logger,
      ...(streams.scheduler ? { scheduler: streams.scheduler } : {}),
      ...(streams.observe?.jetStreamPull ? { onPull: (batch: number) => streams.observe?.jetStreamPull?.(plan.id, batch) } : {}),
    }),
  );
}
