/**
 * The `jetstream` handler kind (`type: stream`, source `nats` with a `jetstream` key): a durable pull consumer,
 * at-least-once; a message is acknowledged once its result is published, failures are redelivered with a delay
 * until `maxDeliver`, then given up (docs/guides/streams.md, "Dead letters").
 *
 * @module
 */
import { DEFAULT_ACK_WAIT_MS, DEFAULT_MAX_DELIVER, defaultDurableName } from '../connections/jetstream-names.js';
import type { JetStreamTarget } from '../connections/jetstream.js';
import type { StreamHandlerKind } from './handler-kind.js';
import { natsConfig, natsPipeline, natsPipelines } from './nats.js';
import type { HandlerPlan } from './plan.js';
import { buildStream } from './stream-kind.js';
import { jetstreamKeys } from '../directive/handler-keys/jetstream.js';

/** The `jetstream` kind. */
export const jetstreamKind: StreamHandlerKind = {
  name: 'jetstream',
  keys: jetstreamKeys.names,
  list: 'streams',
  accepts: (handler) => handler.source === 'nats' && handler.jetstream !== undefined,
  plan: (handler, context): HandlerPlan => {
    const id = `nats ${handler.resource}`;
    const js = handler.jetstream ?? {};
    const { identifier } = context.directive;
    return {
      kind: 'jetstream',
      id,
      handler,
      steps: handler.steps,
      response: handler.response,
      bounds: context.bounds(handler.limits),
      groupTimeoutMs: context.groupTimeoutMs,
      nats: natsConfig(handler, id, identifier, {
        stream: js.stream,
        durable: js.durable ?? defaultDurableName(identifier, handler.resource),
        ackWaitMs: js.ackWaitMs ?? DEFAULT_ACK_WAIT_MS,
        maxDeliver: js.maxDeliver ?? (handler.retries ? handler.retries.max + 1 : DEFAULT_MAX_DELIVER),
        nakDelayMs: js.nakDelayMs,
      }),
    };
  },
  load: natsPipelines.load,
  build: (plan, context) => buildStream(plan, context, natsPipeline),
  pipeline: natsPipeline,
};

/**
 * The stream and consumer a planned JetStream handler reads from, as prepared at start (`provisionJetStream`);
 * `undefined` for any other handler. Pure: the defaults were applied when the handler was planned.
 *
 * @example
 * ```ts
 * jetStreamTarget(plan); // { subject: 'orders', durable: 'com_example_shop_orders', ackWaitMs: 30000, maxDeliver: 5 }
 * ```
 */
export function jetStreamTarget(plan: HandlerPlan): JetStreamTarget | undefined {
  const js = plan.kind === 'jetstream' ? plan.nats?.jetstream : undefined;
  if (!js) return undefined;
  return { subject: plan.handler.resource, durable: js.durable, ...(js.stream !== undefined ? { stream: js.stream } : {}), ackWaitMs: js.ackWaitMs, maxDeliver: js.maxDeliver };
}
