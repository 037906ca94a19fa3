/**
 * The `retries` of a stream handler, defaults applied (pure; used when the handler is planned).
 *
 * @module
 */

/** The first delay before a failed JetStream message is redelivered, when neither `nakDelayMs` nor `retries` says. */
export const DEFAULT_NAK_DELAY_MS = 1_000;

/** How often a failed run is tried again, and the first delay between tries (it doubles). */
export interface Retries {
  readonly max: number;
  readonly backoffMs: number;
}

/**
 * The `retries` of a handler with defaults: without the key, no in-process retries (core NATS, Kafka), and a 1 s
 * base for the JetStream nak delays.
 *
 * @example
 * ```ts
 * retriesOf(undefined); // { max: 0, backoffMs: 1000 }
 * retriesOf({ max: 3, backoffMs: 200 }); // { max: 3, backoffMs: 200 }
 * ```
 */
export function retriesOf(retries: Retries | undefined): Retries {
  return retries ? { max: retries.max, backoffMs: retries.backoffMs } : { max: 0, backoffMs: DEFAULT_NAK_DELAY_MS };
}
