/**
 * Where each function runs: on the calling thread (no hand-off, a call costs what the guest costs) or on the worker
 * threads (parallel, and free to block on asynchronous host calls). The policy, measured and explained in
 * docs/decisions/0007-function-placement.md:
 *
 * - A function starts on the calling thread when its module is instrumented with deadline checks and imports no
 *   asynchronous host function; otherwise on the workers.
 * - A call on the calling thread runs under the inline budget. A call that passes it, or that makes a call that would
 *   block the thread, is abandoned and runs again on a worker. A blocking call moves the function to the workers at
 *   once; budget overruns do after {@link BUDGET_STRIKES} of them.
 * - A function whose calls take more than `slowMs` moves to the workers, where long calls run in parallel and leave
 *   the event loop free. "Take" is judged on windows of {@link SLOW_SAMPLES} calls (after the first
 *   {@link WARMUP_CALLS}, which pay for lazy compilation) by their lower quartile, so that a pause in the middle of a
 *   call (a garbage collection, a busy machine) does not count: most of the calls must be slow.
 * - A move is for the life of the runtime, and is logged.
 *
 * @module
 */
import type { Deadline } from './deadline.js';
import type { Relocation } from './instance.js';

/** The placement policy: `auto` as described above, `workers` for every function on the workers. */
export type PlacementMode = 'auto' | 'workers';

/** Where a function runs. */
export type Lane = 'calling-thread' | 'workers';

/** The default inline budget of one call on the calling thread (ms). */
export const DEFAULT_INLINE_BUDGET_MS = 10;
/** The default average call time above which a function moves to the workers (ms). */
export const DEFAULT_SLOW_CALL_MS = 1;
/** Budget overruns after which a function moves to the workers. */
export const BUDGET_STRIKES = 3;
/** Calls not measured at first: they pay for lazy compilation (of the guest and of the host code). */
export const WARMUP_CALLS = 8;
/** The window of call times (after the warm-up) judged at once. */
export const SLOW_SAMPLES = 32;
/** The quantile of a window compared with `slowMs`: a low one, so that pauses (GC, a busy machine) do not count. */
const SLOW_QUANTILE = 0.25;

/** Options of {@link FunctionPlacement}. */
export interface PlacementOptions {
  readonly budgetMs: number;
  readonly slowMs: number;
  /** The time limit of one call (ms): a call on the calling thread never runs past it either. */
  readonly timeoutMs: number;
}

/**
 * The placement of one function.
 *
 * @example
 * ```ts
 * const placement = new FunctionPlacement('calling-thread', 'metered, no asynchronous imports', options);
 * const moved = placement.relocated({ kind: 'relocate', reason: 'blocking', call: 'env.cache_get' });
 * ```
 */
export class FunctionPlacement {
  #lane: Lane;
  #reason: string;
  #strikes = 0;
  #calls = 0;
  /** Calls measured in the current window, and how many of them took more than `slowMs`. */
  #measured = 0;
  #slow = 0;

  constructor(
    lane: Lane,
    reason: string,
    readonly options: PlacementOptions,
  ) {
    this.#lane = lane;
    this.#reason = reason;
  }

  /** The lane calls go to now. */
  get lane(): Lane {
    return this.#lane;
  }

  /** Why the function is on its lane. */
  get reason(): string {
    return this.#reason;
  }

  /** The deadline of a call starting now on the calling thread: the budget, or the time limit when it is shorter. */
  deadline(now: number): Deadline {
    const { budgetMs, timeoutMs } = this.options;
    return timeoutMs <= budgetMs ? { at: now + timeoutMs, reason: 'timeout', from: now } : { at: now + budgetMs, reason: 'budget', from: now };
  }

  /** Records the duration of a call that ended on the calling thread; returns the reason when it moved the function. */
  ran(ms: number): string | undefined {
    this.#calls += 1;
    if (this.#calls <= WARMUP_CALLS) return undefined;
    this.#measured += 1;
    if (ms > this.options.slowMs) this.#slow += 1;
    if (this.#measured < SLOW_SAMPLES) return undefined;
    // The window's lower quartile (the call at index SLOW_SAMPLES * SLOW_QUANTILE once sorted) is above slowMs exactly
    // when at least three quarters of its calls are.
    const slow = this.#slow >= SLOW_SAMPLES * (1 - SLOW_QUANTILE);
    this.#measured = 0;
    this.#slow = 0;
    if (!slow) return undefined;
    return this.#move(`three quarters of its calls take more than ${this.options.slowMs} ms, the limit for the calling thread`);
  }

  /** Records a call abandoned for a worker; returns the reason when it moved the function. */
  relocated(relocation: Relocation): string | undefined {
    if (relocation.reason === 'blocking') return this.#move(`it called ${relocation.call ?? 'a blocking function'}`);
    this.#strikes += 1;
    if (this.#strikes < BUDGET_STRIKES) return undefined;
    return this.#move(`${this.#strikes} of its calls ran past the inline budget of ${this.options.budgetMs} ms`);
  }

  #move(reason: string): string | undefined {
    if (this.#lane === 'workers') return undefined;
    this.#lane = 'workers';
    this.#reason = reason;
    return reason;
  }
}
