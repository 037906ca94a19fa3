/**
 * The calling thread's share of each turn of the event loop, once the thread falls behind. A call placed on the
 * calling thread runs at once while the calls of the current turn have taken less than `sliceMs`, or while the event
 * loop keeps time (its lag under `lagLimitMs`: a long turn of useful work, a burst of stream messages, is the cheapest
 * way to serve them). Past both, calls wait here, in order, and run in slices of `sliceMs`, one slice per turn. So a
 * saturated calling thread still accepts connections, reads sockets and fires timers between slices, and the time
 * calls wait shows up as latency to the admission gates, which then refuse by time what could not be served in time
 * (docs/reference/admission.md). Without it, a function that keeps the thread busy leaves the waiting work in the
 * kernel's socket and accept queues, where nothing can see or refuse it.
 *
 * @example
 * ```ts
 * const turns = new InlineTurns(5, { lagLimitMs: 50 });
 * if (turns.mayRunNow()) runIt();
 * else ticket = turns.defer(runIt);
 * ```
 */
import { loopLagMs } from './loop-lag.js';
import type { Ticket } from './pool.js';

/** The default share of one turn of the event loop that calls on the calling thread take before others wait (ms). */
export const DEFAULT_INLINE_SLICE_MS = 5;
/** The event loop lag from which the slices apply (ms). */
export const DEFAULT_LAG_LIMIT_MS = 50;

interface Deferred {
  readonly run: () => void;
  cancelled: boolean;
}

/** See the module comment. */
export class InlineTurns {
  readonly #sliceMs: number;
  readonly #lagLimitMs: number;
  readonly #lagMs: () => number;
  /** When the first call of this turn started (ms), or -1 when none ran yet. */
  #turnStart = -1;
  #queue: Array<Deferred | undefined> = [];
  #head = 0;
  #scheduled = false;

  constructor(sliceMs: number = DEFAULT_INLINE_SLICE_MS, options: { readonly lagLimitMs?: number; readonly lagMs?: () => number } = {}) {
    this.#sliceMs = sliceMs;
    this.#lagLimitMs = options.lagLimitMs ?? DEFAULT_LAG_LIMIT_MS;
    this.#lagMs = options.lagMs ?? loopLagMs;
  }

  /** Calls waiting for a slice. */
  get waiting(): number {
    return this.#queue.length - this.#head;
  }

  /**
   * Whether a call may run now: nothing waits, and the loop keeps time or this turn's calls have not used up the
   * slice. The slice counts from the first call of the turn made while the loop is behind (the lag is measured between
   * turns, so that is the turn's first call): while the loop keeps time, a call costs no clock read and no turn is
   * tracked (an immediate per turn was a measurable share of a short request).
   */
  mayRunNow(): boolean {
    if (this.#head < this.#queue.length) return false;
    if (this.#lagMs() < this.#lagLimitMs) return true;
    if (this.#turnStart < 0) {
      this.#turnStart = performance.now();
      this.#schedule();
      return true;
    }
    return performance.now() - this.#turnStart < this.#sliceMs;
  }

  /** Queues a call for a later slice; its ticket's `cancel()` drops it if it has not run yet. */
  defer(run: () => void): Ticket {
    const entry: Deferred = { run, cancelled: false };
    this.#queue.push(entry);
    this.#schedule();
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#turn);
  }

  /** Once per turn (the check phase, after I/O): a new slice begins, and the calls waiting run for up to one slice. */
  readonly #turn = (): void => {
    this.#scheduled = false;
    this.#turnStart = -1;
    if (this.#head === this.#queue.length) return;
    const start = performance.now();
    while (this.#head < this.#queue.length) {
      const entry = this.#queue[this.#head];
      this.#queue[this.#head] = undefined;
      this.#head += 1;
      if (entry !== undefined && !entry.cancelled) entry.run();
      if (performance.now() - start >= this.#sliceMs) break;
    }
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else {
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      this.#schedule();
    }
  };
}
