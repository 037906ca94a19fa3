/**
 * The give-up policy, the same on NATS, JetStream and Kafka (docs/guides/streams.md, "Dead letters"): a message that failed for
 * good goes to its handler's `deadLetter`, which is tried {@link DEAD_LETTER_ATTEMPTS} times at most, the delays
 * doubling from {@link DEFAULT_DEAD_LETTER_BACKOFF_MS}; a message without a dead letter, or whose dead letter could
 * not be published, is dropped (logged at error). Either way the message is settled: a JetStream message is
 * terminated, a Kafka record committed, a NATS request answered with the error.
 *
 * @module
 */
import { backoffDelay } from './backoff.js';

/** How many times a dead letter is published at most before the message is dropped. */
export const DEAD_LETTER_ATTEMPTS = 5;

/** The first delay between attempts to publish a dead letter (it doubles). */
export const DEFAULT_DEAD_LETTER_BACKOFF_MS = 500;

/**
 * After `failures` failed attempts to publish a dead letter: the delay before the next one, or `undefined` when the
 * message is to be dropped.
 *
 * @example
 * ```ts
 * deadLetterRetryDelay(1); // 500
 * deadLetterRetryDelay(4); // 4000
 * deadLetterRetryDelay(5); // undefined: dropped
 * ```
 */
export function deadLetterRetryDelay(failures: number, baseMs: number = DEFAULT_DEAD_LETTER_BACKOFF_MS): number | undefined {
  return failures >= DEAD_LETTER_ATTEMPTS ? undefined : backoffDelay(failures, { baseMs });
}

/**
 * Publishes a dead letter under the policy: tries `publish` until it resolves, waiting `wait(delay)` between
 * attempts, {@link DEAD_LETTER_ATTEMPTS} times at most. Resolves with `undefined` once published, else with the last
 * error (the message is then dropped).
 *
 * @example
 * ```ts
 * const error = await publishDeadLetter(() => deadLetterNats(nats, 'orders.dlq', job, failure, 3, id), (ms) => sleep(ms));
 * if (error !== undefined) logger.error({ err: error }, 'dropped');
 * ```
 */
export async function publishDeadLetter(
  publish: () => Promise<void>,
  wait: (ms: number) => Promise<void>,
  baseMs: number = DEFAULT_DEAD_LETTER_BACKOFF_MS,
): Promise<unknown> {
  for (let failures = 0; ; ) {
    try {
      await publish();
      return undefined;
    } catch (error) {
      failures += 1;
      const delay = deadLetterRetryDelay(failures, baseMs);
      if (delay === undefined) return error ?? new Error('the dead letter could not be published');
      await wait(delay);
    }
  }
}
