/**
 * The names and defaults e2rx gives JetStream streams and consumers (no client code: planning reads them).
 *
 * @module
 */

/** JetStream's own default: how long a delivered message may go unacknowledged before it is redelivered. */
export const DEFAULT_ACK_WAIT_MS = 30_000;
/** e2rx's default for `jetstream.maxDeliver`, when neither it nor `retries` is set. */
export const DEFAULT_MAX_DELIVER = 5;
/**
 * A NATS name (stream, consumer) from any text: characters other than letters, digits, `_` and `-` become `_`.
 *
 * @example
 * ```ts
 * natsName('com.example.app_orders.*'); // 'com_example_app_orders__'
 * ```
 */
export function natsName(text: string): string {
  const name = text.replace(/[^A-Za-z0-9_-]/g, '_');
  return name === '' ? '_' : name;
}

/**
 * The stream e2rx creates for a subject no stream stores.
 *
 * @example
 * ```ts
 * defaultStreamName('orders.created'); // 'E2RX_orders_created'
 * ```
 */
export function defaultStreamName(subject: string): string {
  return `E2RX_${natsName(subject)}`;
}

/**
 * The default durable name of a handler: `<identifier>_<resource>`, made a valid NATS name.
 *
 * @example
 * ```ts
 * defaultDurableName('com.example.shop', 'orders.created'); // 'com_example_shop_orders_created'
 * ```
 */
export function defaultDurableName(identifier: string, resource: string): string {
  return natsName(`${identifier}_${resource}`);
}
