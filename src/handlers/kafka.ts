/**
 * The `kafka` handler kind (`type: stream`, source `kafka`): a consumer in a group (the app's identifier unless
 * `consumerGroup` says), records run in order per partition and committed once their results are produced;
 * failures retried in process, then given up (docs/guides/streams.md, "Dead letters").
 *
 * @module
 */
import type { StreamHandlerKind } from './handler-kind.js';
import type { KafkaHandlerConfig } from './kafka-pipeline.js';
import type { HandlerPlan } from './plan.js';
import { retriesOf } from './retries.js';
import { buildStream, connectedPipeline, loadOnce } from './stream-kind.js';
import { kafkaKeys } from '../directive/handler-keys/kafka.js';

/** The Kafka pipeline, loaded when an app has Kafka handlers. */
const kafkaPipelines = loadOnce(() => import('./kafka-pipeline.js'));

/** The `kafka` kind. */
export const kafkaKind: StreamHandlerKind = {
  name: 'kafka',
  keys: kafkaKeys.names,
  list: 'streams',
  accepts: (handler) => handler.source === 'kafka',
  plan: (handler, context): HandlerPlan => {
    const id = `kafka ${handler.resource}`;
    return {
      kind: 'kafka',
      id,
      handler,
      steps: handler.steps,
      response: handler.response,
      bounds: context.bounds(handler.limits),
      groupTimeoutMs: context.groupTimeoutMs,
      kafka: {
        id,
        topic: handler.resource,
        groupId: handler.consumerGroup ?? context.directive.identifier,
        ordering: handler.ordering,
        delivery: handler.delivery,
        respondTo: handler.respondTo,
        deadLetter: handler.deadLetter,
        retries: retriesOf(handler.retries),
      },
    };
  },
  load: kafkaPipelines.load,
  // (e2rx) Under exactly-once, what functions publish to Kafka goes in the record's transaction (kafka-lane.ts).
  build: (plan, context) =>
    buildStream(plan, context, kafkaKind.pipeline, (plan.kafka as KafkaHandlerConfig).delivery === 'exactly-once' ? { holdKafkaPublishes: true } : {}),
  pipeline: (plan, run, gate, streams) =>
    connectedPipeline(plan, streams, 'kafka', () =>
      kafkaPipelines.get().kafkaPipeline(
        {
          ...(plan.kafka as KafkaHandlerConfig),
          fromBeginning: streams.kafkaFromBeginning ?? true,
          ...(streams.kafkaPartitionBytes !== undefined ? { partitionBytes: streams.kafkaPartitionBytes } : {}),
        },
        run,
        gate,
        {
          driver: streams.kafka as NonNullable<typeof streams.kafka>,
          inFlight: streams.inFlight,
          logger: streams.logger,
          ...(streams.scheduler ? { scheduler: streams.scheduler } : {}),
          ...(streams.observe?.kafkaFlow ? { onFlow: (event) => streams.observe?.kafkaFlow?.(plan.id, event) } : {}),
        },
      ),
    ),
};
