/**
 * (e2rx) Sends the messages a successful run's functions published (`RunResult.publishes`, from `e2rx.publish`) on
 * the app's NATS and Kafka connections, and resolves once every one is confirmed: a JetStream publish ack when a
 * stream stores the subject, else a core NATS publish and a flush; the Kafka acks of all in-sync replicas. Each
 * message carries the headers the function gave and `x-request-id` (the run's request id) unless it gave one.
 *
 * Loaded only by apps whose `capabilities.publish` is on (the NATS client is large).
 *
 * @module
 */
import type { KafkaDriver, KafkaOutgoing } from '../connections/kafka-driver.js';
import type { NatsConnectionHandle } from '../connections/nats.js';
import { E2rxError, errorMessage } from '../errors.js';
import type { GuestPublish, PublishConnection } from '../runtime/guest-publish.js';
import { CORRELATION_HEADER, type HeaderEntry } from '../messages/headers.js';
import type { FunctionRequest } from '../runtime/request.js';
import { publishNats } from './respond-to.js';

/** Where the messages go: the app's connections, read when a run's messages are sent (each `undefined` until connected). */
export interface PublishConnections {
  readonly nats: NatsConnectionHandle | undefined;
  readonly kafka: KafkaDriver | undefined;
}

/** Sends the messages of one run; rejects with `E2RX_PUBLISH_FAILED` when one of them could not be sent. */
export type PublishSender = (publishes: readonly GuestPublish[], request: FunctionRequest) => Promise<void>;

/**
 * Creates the sender of an app's published messages. The NATS messages are sent at once and confirmed together; the
 * Kafka records of a run go in one produce, in the order they were published.
 *
 * @example
 * ```ts
 * const send = createPublishSender(streams);
 * if (result.kind === 'ok' && result.publishes) await send(result.publishes, result.request);
 * ```
 */
export function createPublishSender(connections: PublishConnections): PublishSender {
  return async (publishes, request) => {
    const sends: Promise<void>[] = [];
    const records: KafkaOutgoing[] = [];
    for (const message of publishes) {
      if (message.connection === 'kafka') {
        records.push(guestKafkaRecord(message, request.id));
        continue;
      }
      const headers = withRequestId(message.headers, request.id);
      const nats = connected(connections.nats, 'nats', message.target);
      sends.push(guarded(publishNats(nats, message.target, message.body, headers, { confirm: 'auto', jetstreamInput: true }), message));
    }
    if (records.length > 0) {
      const first = publishes.find((message) => message.connection === 'kafka') as GuestPublish;
      sends.push(guarded(connected(connections.kafka, 'kafka', first.target).produce(records), first));
    }
    const results = await Promise.allSettled(sends);
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  };
}

/**
 * The Kafka record of a message a function published with `e2rx.publish` (its headers with the run's request id), as
 * a Kafka handler with `delivery: exactly-once` produces it in its transaction.
 *
 * @example
 * ```ts
 * const record = guestKafkaRecord(message, result.request.id);
 * ```
 */
export function guestKafkaRecord(message: GuestPublish, requestId: string): KafkaOutgoing {
  return { topic: message.target, key: message.key ?? null, value: message.body, headers: withRequestId(message.headers, requestId) };
}

function withRequestId(headers: GuestPublish['headers'], requestId: string): HeaderEntry<string>[] {
  const entries: HeaderEntry<string>[] = [...headers];
  if (!headers.some(([name]) => name.toLowerCase() === CORRELATION_HEADER)) entries.push([CORRELATION_HEADER, requestId]);
  return entries;
}

function connected<T>(handle: T | undefined, connection: PublishConnection, target: string): T {
  if (handle !== undefined) return handle;
  throw new E2rxError('E2RX_PUBLISH_FAILED', `cannot publish to ${target}: the app has no ${connection === 'nats' ? 'NATS' : 'Kafka'} connection`, {
    retriable: true,
    details: { connection, target },
  });
}

function guarded(sending: Promise<void>, message: GuestPublish): Promise<void> {
  return sending.catch((error: unknown) => {
    throw new E2rxError('E2RX_PUBLISH_FAILED', `cannot publish to ${message.target} (${message.connection}): ${errorMessage(error)}`, {
      cause: error,
      retriable: true,
      details: { connection: message.connection, target: message.target },
    });
  });
}
