/**
 * Delays that double: the retries of a failed stream run, the nak delays of JetStream redeliveries and the attempts
 * to reach a broker at start-up all wait `base × 2^(attempt − 1)`, capped.
 *
 * @module
 */

/** The cap of every doubling delay, by default: 30 s. */
export const DEFAULT_MAX_BACKOFF_MS = 30_000;

/** Options of {@link backoffDelay}. */
export interface BackoffOptions {
  /** The first delay, in milliseconds. */
  readonly baseMs: number;
  /** The largest delay (default {@link DEFAULT_MAX_BACKOFF_MS}). */
  readonly maxMs?: number;
}

/**
 * The delay before retry number `attempt` (1 for the first retry): `baseMs`, then twice that, and so on, never
 * more than `maxMs`. A base of 0 gives 0.
 *
 * @example
 * ```ts
 * backoffDelay(1, { baseMs: 100 }); // 100
 * backoffDelay(3, { baseMs: 100 }); // 400
 * backoffDelay(20, { baseMs: 100, maxMs: 5_000 }); // 5000
 * ```
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const maxMs = options.maxMs ?? DEFAULT_MAX_BACKOFF_MS;
  if (options.baseMs <= 0) return 0;
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  // 2^31 overflows nothing in a double, but keep the exponent small so the product stays finite and exact.
  const delay = options.baseMs * 2 ** Math.min(exponent, 40);
  return Math.min(maxMs, delay);
}
