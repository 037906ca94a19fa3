/**
 * JetStream provisioning: the streams and the durable pull consumers JetStream handlers read from, created or updated
 * at start (the names and defaults e2rx gives them: jetstream-names.ts; the targets are planned with the handlers).
 *
 * @module
 */
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { E2rxError, errorMessage } from '../errors.js';
import { DEFAULT_ACK_WAIT_MS, DEFAULT_MAX_DELIVER, defaultStreamName } from './jetstream-names.js';
import type { NatsConnectionHandle } from './nats.js';

/** Where a JetStream handler reads: its stream and durable consumer, and their settings. */
export interface JetStreamTarget {
  /** The subject (the handler's resource). */
  readonly subject: string;
  /** The stream; by default the one that stores the subject, else a new one named after it ({@link defaultStreamName}). */
  readonly stream?: string;
  /** The durable consumer's name. */
  readonly durable: string;
  /** Redelivery after this long without an ack (default {@link DEFAULT_ACK_WAIT_MS}). */
  readonly ackWaitMs?: number;
  /** Deliveries at most (default {@link DEFAULT_MAX_DELIVER}). */
  readonly maxDeliver?: number;
}

/**
 * Prepares the streams and consumers of an app's JetStream handlers, one after the other (see {@link ensureJetStream}):
 * fails with `E2RX_CONNECTION` (retriable) naming the subject and the server when one cannot be prepared.
 *
 * @example
 * ```ts
 * await provisionJetStream(nats, [{ subject: 'orders', durable: 'shop_orders', maxDeliver: 5 }]);
 * ```
 */
export async function provisionJetStream(nats: NatsConnectionHandle, targets: readonly JetStreamTarget[]): Promise<void> {
  for (const target of targets) {
    try {
      await ensureJetStream(nats, target);
    } catch (error) {
      throw E2rxError.is(error)
        ? error
        : new E2rxError('E2RX_CONNECTION', `cannot prepare the JetStream consumer of ${target.subject} at ${nats.address}: ${errorMessage(error)}`, {
            cause: error,
            retriable: true,
            details: { subject: target.subject, durable: target.durable },
          });
    }
  }
}

/**
 * Makes sure the stream and the durable pull consumer of a JetStream handler exist: finds the stream that stores
 * the subject, or creates the named one (subjects `[subject]`, file storage, limits retention); creates the consumer
 * (explicit acks, deliver all, filtered on the subject), or updates its `ack_wait` and `max_deliver`. Resolves with
 * the stream's name.
 *
 * @example
 * ```ts
 * const stream = await ensureJetStream(nats, { subject: 'orders', durable: 'shop_orders', maxDeliver: 5 });
 * ```
 */
export async function ensureJetStream(nats: NatsConnectionHandle, target: JetStreamTarget): Promise<string> {
  let jsm;
  try {
    jsm = await nats.manager();
  } catch (error) {
    throw new E2rxError('E2RX_CONNECTION', `JetStream is not available at ${nats.address}: ${errorMessage(error)}`, {
      cause: error,
      retriable: true,
      details: { address: nats.address },
      hint: 'start nats-server with JetStream enabled (-js), or remove the `jetstream` key of the handler',
    });
  }
  let stream = target.stream;
  if (stream === undefined) stream = await nats.streamOf(target.subject);
  stream ??= defaultStreamName(target.subject);
  try {
    await jsm.streams.info(stream);
  } catch (error) {
    if (!/stream not found/i.test(errorMessage(error))) throw error;
    await jsm.streams.add({ name: stream, subjects: [target.subject] });
  }
  const ackWait = nanos(target.ackWaitMs ?? DEFAULT_ACK_WAIT_MS);
  const maxDeliver = target.maxDeliver ?? DEFAULT_MAX_DELIVER;
  try {
    const info = await jsm.consumers.info(stream, target.durable);
    if (info.config.ack_wait !== ackWait || info.config.max_deliver !== maxDeliver) {
      await jsm.consumers.update(stream, target.durable, { ack_wait: ackWait, max_deliver: maxDeliver });
    }
  } catch (error) {
    if (!/consumer not found/i.test(errorMessage(error))) throw error;
    await jsm.consumers.add(stream, {
      durable_name: target.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: target.subject,
      ack_wait: ackWait,
      max_deliver: maxDeliver,
    });
  }
  return stream;
}
