/**
 * The `retries` of a stream handler, defaults applied (pure; used when the handler is planned), and the retry policy
 * they give (the one every retrying path follows: the pipelines, the marble kit, `e2rx test`).
 *
 * @module
 */
import type { RetryPolicy } from '../flow/retry.js';

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

/**
 * The retry policy of a stream handler's failed runs (flow/retry.ts): core NATS and Kafka run again in process,
 * `retries.max` times; JetStream redelivers up to `maxDeliver` deliveries in all, after `nakDelayMs` when set.
 *
 * @example
 * ```ts
 * retryPolicy({ max: 2, backoffMs: 100 }); // { attempts: 3, backoffMs: 100 }
 * retryPolicy({ max: 0, backoffMs: 1000 }, { maxDeliver: 5, nakDelayMs: 250 }); // { attempts: 5, backoffMs: 1000, fixedDelayMs: 250 }
 * ```
 */
export function retryPolicy(retries: Retries, jetstream?: { readonly maxDeliver: number; readonly nakDelayMs: number | undefined }): RetryPolicy {
  if (jetstream === undefined) return { attempts: retries.max + 1, backoffMs: retries.backoffMs };
  return { attempts: jetstream.maxDeliver, backoffMs: retries.backoffMs, fixedDelayMs: jetstream.nakDelayMs };
}

/**
 * The retry policy of a planned handler (a `HandlerPlan`): its stream policy (see {@link retryPolicy}); one attempt for a request or
 * websocket handler.
 *
 * @example
 * ```ts
 * retryPolicyOf(plan); // { attempts: 1, backoffMs: 0 } for `POST /hello`
 * ```
 */
export function retryPolicyOf(plan: {
  readonly nats?: { readonly retries: Retries; readonly jetstream: { readonly maxDeliver: number; readonly nakDelayMs: number | undefined } | undefined };
  readonly kafka?: { readonly retries: Retries };
}): RetryPolicy {
  if (plan.nats) return retryPolicy(plan.nats.retries, plan.nats.jetstream);
  if (plan.kafka) return retryPolicy(plan.kafka.retries);
  return { attempts: 1, backoffMs: 0 };
}
