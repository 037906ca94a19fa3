/**
 * How many runs of a handler hold a slot at once: a limit that follows the handler's latency (a gradient limit, as
 * in TCP Vegas and Netflix's concurrency-limits). While runs take as long as they do unloaded, the limit grows, up
 * to `maxInFlight`; when they take longer (they wait for a worker, a database, a downstream service), it shrinks
 * towards what is served in parallel, and the excess waits in the gate's queue, where admission can see how long
 * the wait is and refuse what could not finish in time (docs/reference/admission.md).
 *
 * Functions on the calling thread end before the next run starts, so for them the limit never binds.
 *
 * @module
 */

/** The limit a gate starts with (or `maxInFlight`, when smaller). */
export const INITIAL_LIMIT = 32;
/** Latency up to this multiple of the unloaded latency, plus {@link SLACK_MS}, counts as unloaded. */
const TOLERANCE = 2;
/**
 * Latency differences this small (ms) are noise, not queueing: a run that ends on the calling thread takes a few
 * microseconds, and a ratio of two such figures says nothing about load.
 */
const SLACK_MS = 1;
/** Measured runs between two updates of the limit. */
const UPDATE_EVERY = 8;
/** The weight of the newest measured run in the short-term latency. */
const SHORT_WEIGHT = 1 / 8;
/** Measured runs after which the unloaded latency is measured afresh (the handler may have become slower). */
const BASELINE_RESET = 2_000;

/**
 * A gradient concurrency limit.
 *
 * @example
 * ```ts
 * const limit = new ConcurrencyLimit(1024);
 * limit.measured(12.5); // a run took 12.5 ms
 * if (inFlight < limit.current) start();
 * ```
 */
export class ConcurrencyLimit {
  #limit: number;
  #short = 0;
  #unloaded = Number.POSITIVE_INFINITY;
  #measured = 0;
  #sinceReset = 0;
  #pressed = false;

  constructor(readonly max: number) {
    this.#limit = Math.min(max, INITIAL_LIMIT);
  }

  /** Runs allowed at once now (at least 1). */
  get current(): number {
    return Math.max(1, Math.floor(this.#limit));
  }

  /**
   * A source had more work than free slots (work queued, or a pull came back full): the limit may grow if the
   * latency allows.
   */
  pressed(): void {
    this.#pressed = true;
  }

  /** Records the latency of a finished run (ms) and, every few runs, moves the limit. */
  measured(ms: number): void {
    this.#short = this.#measured === 0 ? ms : this.#short + (ms - this.#short) * SHORT_WEIGHT;
    this.#measured += 1;
    this.#sinceReset += 1;
    if (ms < this.#unloaded) this.#unloaded = ms;
    if (this.#sinceReset >= BASELINE_RESET) {
      this.#sinceReset = 0;
      this.#unloaded = this.#short;
    }
    if (this.#measured % UPDATE_EVERY !== 0) return;
    // Latency at (or near) the unloaded latency: room to grow. Above it, the runs wait for something: shrink in
    // proportion. The square root leaves room for a queue of a few runs, so that the limit can find its way back up.
    const gradient = Math.max(0.5, Math.min(1, (TOLERANCE * this.#unloaded + SLACK_MS) / Math.max(this.#short, 0.001)));
    const pressed = this.#pressed;
    this.#pressed = false;
    // Under pressure at the unloaded latency, double (smoothed: x1.2 an update); otherwise follow the gradient,
    // keeping room for a short queue.
    const next = gradient >= 1 ? (pressed ? this.#limit * 2 : this.#limit) : this.#limit * gradient + Math.sqrt(this.#limit);
    this.#limit = Math.max(1, Math.min(this.max, this.#limit * 0.8 + next * 0.2));
  }
}
