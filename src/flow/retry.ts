/**
 * The retry policy of a failed stream run, the same on every path that retries one (core NATS and Kafka in process,
 * JetStream by redelivery, the marble kit and `e2rx test`): run again after a delay that doubles from a base (or a
 * fixed one), until the attempts are used up; then the message is given up (give-up.ts).
 *
 * @module
 */
import { backoffDelay } from './backoff.js';

/** How often a failed run is tried, and how long to wait in between. */
export interface RetryPolicy {
  /** Attempts at most, the first one included (core NATS, Kafka: `retries.max + 1`; JetStream: `maxDeliver`). */
  readonly attempts: number;
  /** The first delay; it doubles with each attempt (no jitter: the Directive promises these delays). */
  readonly backoffMs: number;
  /** A fixed delay instead of the doubling one (JetStream `nakDelayMs`). */
  readonly fixedDelayMs?: number | undefined;
}

/**
 * After `failures` failed attempts: the delay before the next attempt, or `undefined` when the message is given up.
 *
 * @example
 * ```ts
 * retryDelay({ attempts: 3, backoffMs: 100 }, 1); // 100
 * retryDelay({ attempts: 3, backoffMs: 100 }, 2); // 200
 * retryDelay({ attempts: 3, backoffMs: 100 }, 3); // undefined: given up
 * retryDelay({ attempts: 5, backoffMs: 100, fixedDelayMs: 250 }, 3); // 250
 * ```
 */
export function retryDelay(policy: RetryPolicy, failures: number): number | undefined {
  if (failures >= policy.attempts) return undefined;
  return policy.fixedDelayMs ?? backoffDelay(failures, { baseMs: policy.backoffMs });
}
