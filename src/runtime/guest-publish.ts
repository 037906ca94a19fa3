/**
 * (e2rx) A message a function published with the `e2rx.publish` host function (docs/reference/host-abi.md#e2rxpublish):
 * plain data, buffered with the call, carried by the run's result, and sent only when the run succeeds.
 *
 * @module
 */

/** The connections a function can publish on: the Directive's `connections.nats` (core NATS or a JetStream subject) or `connections.kafka`. */
export type PublishConnection = 'nats' | 'kafka';

/**
 * The `connection` argument of `e2rx.publish`, by connection: 1 NATS (a subject a JetStream stream stores is
 * published to the stream and acknowledged by it), 2 Kafka.
 */
export const PUBLISH_CONNECTION_CODES: Readonly<Record<PublishConnection, number>> = { nats: 1, kafka: 2 };

/**
 * One message a function published, as the host buffers it.
 *
 * @example
 * ```ts
 * const message: GuestPublish = { connection: 'kafka', target: 'orders.audit', body: new TextEncoder().encode('{}'), headers: [['kind', 'audit']], key: new TextEncoder().encode('o-1') };
 * ```
 */
export interface GuestPublish {
  readonly connection: PublishConnection;
  /** The NATS subject or the Kafka topic (allowed by `capabilities.publish.allow` when it was buffered). */
  readonly target: string;
  readonly body: Uint8Array;
  /** The headers the function gave, in order. */
  readonly headers: readonly (readonly [name: string, value: string])[];
  /** The Kafka record key; absent for NATS, and for a Kafka record without a key. */
  readonly key?: Uint8Array;
}

/** The bytes a buffered message holds on the host: what counts against `maxBytes` and the call's host budget. */
export function guestPublishBytes(message: GuestPublish): number {
  let bytes = message.target.length + message.body.length + (message.key?.length ?? 0);
  for (const [name, value] of message.headers) bytes += name.length + value.length;
  return bytes;
}
