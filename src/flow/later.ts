/**
 * Timers of pipelines on an RxJS scheduler when one is given (a `TestScheduler` in marble tests drives them in
 * virtual time), else on Node.js timers.
 *
 * @module
 */
import type { SchedulerAction, SchedulerLike } from 'rxjs';

/**
 * Runs `work` after `ms` on `scheduler` (or a Node.js timer); returns its cancel.
 *
 * @example
 * ```ts
 * const cancel = later(undefined, 100, () => console.log('a tenth of a second later'));
 * ```
 */
export function later(scheduler: SchedulerLike | undefined, ms: number, work: () => void): () => void {
  if (scheduler) {
    const action = scheduler.schedule(work, ms);
    return () => action.unsubscribe();
  }
  const timer = setTimeout(work, ms);
  return () => clearTimeout(timer);
}

/**
 * Resolves after `ms` on `scheduler` (or a Node.js timer).
 *
 * @example
 * ```ts
 * await waitFor(undefined, 100);
 * ```
 */
export function waitFor(scheduler: SchedulerLike | undefined, ms: number): Promise<void> {
  return new Promise<void>((resolve) => void later(scheduler, ms, resolve));
}

/**
 * Runs `work` every `ms` on `scheduler` (or a Node.js interval, which does not keep the process alive) until the
 * returned cancel is called.
 *
 * @example
 * ```ts
 * const cancel = every(undefined, 1_000, () => console.log('a second passed'));
 * ```
 */
export function every(scheduler: SchedulerLike | undefined, ms: number, work: () => void): () => void {
  if (scheduler) {
    const action = scheduler.schedule(function (this: SchedulerAction<undefined>) {
      work();
      if (!this.closed) this.schedule(undefined, ms);
    }, ms);
    return () => action.unsubscribe();
  }
  const timer = setInterval(work, ms);
  timer.unref();
  return () => clearInterval(timer);
}
