/**
 * An operator that serves every job of a source to its end, all at once: the engine's form of `mergeMap` for jobs
 * that already hold their in-flight slot (the sources bound them), with no inner Observable per job.
 *
 * @module
 */
import { Observable, type OperatorFunction } from 'rxjs';

/**
 * Serves one job; calls `done` once when it is over (possibly before returning). Returns the function that cancels
 * the job, or `undefined` when it was over before returning.
 */
export type Serve<T> = (job: T, done: () => void) => (() => void) | undefined;

/**
 * Serves each job of the source with `serve`, concurrently. Completes when the source has completed and every job is
 * over (so an engine that stops its sources waits for the jobs in flight); unsubscribing cancels the jobs still
 * running. Emits nothing.
 *
 * @example
 * ```ts
 * fromHttpRoute(http, options).pipe(serveEach((job, done) => { reply(job); done(); return undefined; })).subscribe();
 * ```
 */
export function serveEach<T>(serve: Serve<T>): OperatorFunction<T, never> {
  return (source) =>
    new Observable<never>((subscriber) => {
      const running = new Set<() => void>();
      let sourceDone = false;
      const subscription = source.subscribe({
        next: (job) => {
          let over = false;
          // A `let`: `done` may run inside `serve`, before the assignment (a const would throw there).
          let cancel: (() => void) | undefined;
          // eslint-disable-next-line prefer-const
          cancel = serve(job, () => {
            if (over) return;
            over = true;
            if (cancel !== undefined) running.delete(cancel);
            if (sourceDone && running.size === 0) subscriber.complete();
          });
          if (!over && cancel !== undefined) running.add(cancel);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          if (running.size === 0) subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        for (const cancel of [...running]) cancel();
        running.clear();
      };
    });
}
