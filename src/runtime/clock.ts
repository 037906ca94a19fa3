/**
 * The calling thread's latest clock reading, shared on the request path: a read of `performance.now()` costs about
 * 40-50 ns here, and a request used to read it seven times.
 *
 * Code that times something reads the clock through {@link readClock}. Code that runs a piece of work synchronously
 * *holds* the reading while it does ({@link holdReading} … {@link releaseReading}): an HTTP request from its body's
 * end through its admission, its run and its reply when these end at once; a handler run while its steps run
 * synchronously. In that window only that work runs, and every function call reads the clock when it ends, so the
 * latest reading is at most a few microseconds old: a call or a run that starts there takes it
 * ({@link currentReading}, or an inner {@link holdReading}) instead of reading again, and one that ends there ended at
 * it ({@link latestReading}).
 *
 * @module
 */

let latest = 0;
let held = 0;

/**
 * `performance.now()`, remembered as the latest reading.
 *
 * @example
 * ```ts
 * const ended = readClock();
 * ```
 */
export function readClock(): number {
  latest = performance.now();
  return latest;
}

/**
 * The latest reading made through {@link readClock} on this thread (0 before any).
 *
 * @example
 * ```ts
 * const ms = latestReading() - started;
 * ```
 */
export function latestReading(): number {
  return latest;
}

/**
 * The latest reading while one is held, else a new one ({@link readClock}).
 *
 * @example
 * ```ts
 * const started = currentReading();
 * ```
 */
export function currentReading(): number {
  return held > 0 ? latest : readClock();
}

/**
 * Holds a reading: {@link currentReading} gives it (or a later one) until the matching {@link releaseReading}. The
 * clock is read unless a reading is held already (holds nest: an inner one takes the latest reading). Release each
 * hold exactly once (in a `finally`).
 *
 * @example
 * ```ts
 * const started = holdReading();
 * try {
 *   runSteps();
 * } finally {
 *   releaseReading();
 * }
 * ```
 */
export function holdReading(): number {
  held += 1;
  return held > 1 ? latest : readClock();
}

/** Ends a {@link holdReading}. */
export function releaseReading(): void {
  held -= 1;
}
