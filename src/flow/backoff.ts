/**
 * The one backoff of e2rx: every delay between attempts doubles from a base, capped, optionally spread by jitter.
 * The retries of a failed stream run and the nak delays of JetStream redeliveries use it without jitter (the delays
 * the Directive's `retries` and `nakDelayMs` promise); reaching a server (broker, Redis, SQL, a JetStream pull that
 * failed) uses it with {@link CONNECT_JITTER}, so that many instances retrying one server spread out.
 *
 * @module
 */

/** The cap of every doubling delay, by default: 30 s. */
export const DEFAULT_MAX_BACKOFF_MS = 30_000;

/** The jitter of attempts to reach a server: each delay is between 80 % and 100 % of the doubling one. */
export const CONNECT_JITTER = 0.2;

/** Options of {@link backoffDelay}. */
export interface BackoffOptions {
  /** The first delay, in milliseconds. */
  readonly baseMs: number;
  /** The largest delay (default {@link DEFAULT_MAX_BACKOFF_MS}). */
  readonly maxMs?: number;
  /** The fraction of each delay taken off at random, 0 (default: none) to 1 ("full jitter"). */
  readonly jitter?: number;
  /** A number in [0, 1) (default `Math.random`): specs fix it. */
  readonly random?: () => number;
}

/**
 * The delay before retry number `attempt` (1 for the first retry): `baseMs`, then twice that, and so on, never
 * more than `maxMs`; with `jitter`, up to that fraction of it is taken off at random. A base of 0 gives 0.
 *
 * @example
 * ```ts
 * backoffDelay(1, { baseMs: 100 }); // 100
 * backoffDelay(3, { baseMs: 100 }); // 400
 * backoffDelay(20, { baseMs: 100, maxMs: 5_000 }); // 5000
 * backoffDelay(3, { baseMs: 100, jitter: 0.2 }); // between 320 and 400
 * ```
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const maxMs = options.maxMs ?? DEFAULT_MAX_BACKOFF_MS;
  if (options.baseMs <= 0) return 0;
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  // 2^31 overflows nothing in a double, but keep the exponent small so the product stays finite and exact.
  const delay = Math.min(maxMs, options.baseMs * 2 ** Math.min(exponent, 40));
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0));
  if (jitter === 0) return delay;
  return Math.round(delay * (1 - jitter * (options.random ?? Math.random)()));
}
