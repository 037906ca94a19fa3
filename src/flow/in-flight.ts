/**
 * Work that outlives its subscriber. The engine stops a stream pipeline by unsubscribing it
 * (`takeUntil(stopAccepting)`); that must stop the source taking messages, but the runs already started must still
 * finish and be acknowledged or committed, else every stop would redeliver them. {@link InFlight.keep} runs such work
 * on its own subscription, mirrors its values while someone listens, and lets {@link InFlight.drain} wait for it.
 *
 * @module
 */
import { Observable, type Subscription } from 'rxjs';

/** The runs and background tasks (final commits, consumer shutdowns) of the stream handlers. */
export interface InFlight {
  /** Work running now. */
  readonly size: number;
  /**
   * Runs `work` detached: subscribing to the result subscribes to `work` once, on a subscription of its own;
   * unsubscribing from the result stops the mirroring, not the work. An error of `work` is passed on while someone
   * listens, else dropped (the work should catch its own errors).
   */
  keep<T>(work: Observable<T>): Observable<T>;
  /**
   * Tracks a piece of work started by hand (without an Observable) until {@link untrack}: {@link drain} waits for it,
   * and {@link cancel} calls its `cancel()` (which must end it, untracking it).
   */
  track(work: { cancel(): void }): void;
  /** The tracked work is over (idempotent). */
  untrack(work: { cancel(): void }): void;
  /** Tracks a background task (a promise): {@link drain} waits for it too. */
  add(task: Promise<unknown>): void;
  /** Resolves `true` when nothing is left, or `false` when `timeoutMs` passed first. */
  drain(timeoutMs?: number): Promise<boolean>;
  /** Stops every work still running (unsubscribes it); background tasks go on. */
  cancel(): void;
}

/**
 * Creates an in-flight registry.
 *
 * @example
 * ```ts
 * const inFlight = createInFlight();
 * const pipeline = source.pipe(mergeMap((job) => inFlight.keep(process(job))));
 * const subscription = pipeline.subscribe();
 * // on stop:
 * subscription.unsubscribe(); // the source stops; process(job) goes on
 * await inFlight.drain(10_000); // every started job finished
 * ```
 */
export function createInFlight(): InFlight {
  const running = new Set<Subscription>();
  const manual = new Set<{ cancel(): void }>();
  const tasks = new Set<Promise<unknown>>();
  let waiters: Array<() => void> = [];
  const settle = (): void => {
    if (running.size > 0 || manual.size > 0 || tasks.size > 0) return;
    const resolved = waiters;
    waiters = [];
    for (const resolve of resolved) resolve();
  };
  return {
    get size() {
      return running.size + manual.size + tasks.size;
    },
    track(work) {
      manual.add(work);
    },
    untrack(work) {
      if (manual.delete(work)) settle();
    },
    keep<T>(work: Observable<T>): Observable<T> {
      return new Observable<T>((subscriber) => {
        let listening = true;
        let finished = false;
        // Still undefined if `work` finishes synchronously inside subscribe() below.
        let subscription: Subscription | undefined = undefined;
        const finish = (): void => {
          finished = true;
          if (subscription) running.delete(subscription);
          settle();
        };
        subscription = work.subscribe({
          next: (value) => {
            if (listening) subscriber.next(value);
          },
          error: (error: unknown) => {
            finish();
            if (listening) subscriber.error(error);
          },
          complete: () => {
            finish();
            if (listening) subscriber.complete();
          },
        });
        if (!finished) {
          running.add(subscription);
          subscription.add(() => {
            running.delete(subscription);
            settle();
          });
        }
        return () => {
          listening = false;
        };
      });
    },
    add(task) {
      const tracked = task.then(
        () => undefined,
        () => undefined,
      );
      tasks.add(tracked);
      void tracked.then(() => {
        tasks.delete(tracked);
        settle();
      });
    },
    drain(timeoutMs) {
      if (running.size === 0 && manual.size === 0 && tasks.size === 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const done = (): void => {
          if (timer) clearTimeout(timer);
          resolve(true);
        };
        waiters.push(done);
        if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
          timer = setTimeout(() => {
            waiters = waiters.filter((waiter) => waiter !== done);
            resolve(false);
          }, Math.max(0, timeoutMs));
        }
      });
    },
    cancel() {
      for (const subscription of [...running]) subscription.unsubscribe();
      running.clear();
      for (const work of [...manual]) work.cancel();
      settle();
    },
  };
}
