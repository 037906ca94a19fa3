/**
 * The calling thread's latest clock reading, shared on the request path: a read of `performance.now()` costs about
 * 50 ns here, and a request used to read it seven times.
 *
 * Code that times something reads the clock through {@link readClock}. A handler run *holds* the reading while its
 * steps run synchronously ({@link holdReading} … {@link releaseReading}): in that window only step code and function
 * calls run, and every call reads the clock when it ends, so the latest reading is at most the step code's few
 * microseconds old; a call that starts there takes it ({@link currentReading}) instead of reading again, and a run
 * that ends there ended at it ({@link latestReading}).
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
 * Reads the clock and holds the reading: {@link currentReading} gives it (or a later one) until the matching
 * {@link releaseReading}. Holds nest; release each one exactly once (in a `finally`).
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
  return readClock();
}

/** Ends a {@link holdReading}. */
export function releaseReading(): void {
  held -= 1;
}
