/**
 * Retries of one stream message: an attempt (run the steps, publish the result) is tried again after a doubling
 * delay while it fails, up to a count; the end is either the attempt's value or the last failure, never an error, so
 * that one failing message never stops its stream.
 *
 * @module
 */
import { catchError, defer, last, map, of, retry, timer, type Observable, type SchedulerLike } from 'rxjs';
import type { RunResult } from '../steps/steps.js';
import { backoffDelay } from '../flow/backoff.js';

/**
 * A run that did not succeed, thrown inside an attempt so that `retry` sees it.
 *
 * @example
 * ```ts
 * run(request).pipe(map((result) => { if (result.kind !== 'ok') throw new RunFailed(result); return result; }));
 * ```
 */
export class RunFailed extends Error {
  override readonly name = 'RunFailed';
  constructor(readonly result: Exclude<RunResult, { kind: 'ok' }>) {
    super(result.error.message);
  }
}

/** How many times to retry, and how long to wait. */
export interface RetryPolicy {
  /** Retries after the first attempt (0: none). */
  readonly retries: number;
  /** The first delay; it doubles each retry. */
  readonly backoffMs: number;
  /** The largest delay (default 30 s). */
  readonly maxBackoffMs?: number;
  /** The scheduler of the delays (a `TestScheduler` in marble tests). */
  readonly scheduler?: SchedulerLike;
}

/** How the attempts of one message ended. */
export type Attempted<T> =
  | { readonly kind: 'done'; readonly value: T; readonly attempts: number }
  | {
      readonly kind: 'failed';
      /** The failed {@link RunResult}, else the error thrown. */
      readonly failure: unknown;
      readonly attempts: number;
    };

/**
 * Tries `attempt` (given the attempt number, from 1) until it emits, at most `1 + retries` times, waiting
 * `backoffMs`, then twice that, and so on between tries. A failed run is thrown as {@link RunFailed}; the failure
 * reported is then its {@link RunResult}, else the error thrown.
 *
 * @example
 * ```ts
 * withRetries((n) => run(makeRequest()).pipe(okOrThrow(), mergeMap(publish)), { retries: 3, backoffMs: 100 })
 *   .subscribe((end) => end.kind === 'done' ? commit() : deadLetter(end.failure));
 * ```
 */
export function withRetries<T>(attempt: (attemptNumber: number) => Observable<T>, policy: RetryPolicy): Observable<Attempted<T>> {
  return defer(() => {
    let attempts = 0;
    return defer(() => {
      attempts += 1;
      return attempt(attempts);
    }).pipe(
      last(),
      retry({
        count: Math.max(0, policy.retries),
        delay: (_error: unknown, retryCount: number) => {
          const due = backoffDelay(retryCount, { baseMs: policy.backoffMs, ...(policy.maxBackoffMs !== undefined ? { maxMs: policy.maxBackoffMs } : {}) });
          return policy.scheduler ? timer(due, policy.scheduler) : timer(due);
        },
      }),
      map((value): Attempted<T> => ({ kind: 'done', value, attempts })),
      catchError((error: unknown) => of<Attempted<T>>({ kind: 'failed', failure: error instanceof RunFailed ? error.result : error, attempts })),
    );
  });
}

/**
 * Passes a successful run on, and throws a failed one as {@link RunFailed} (for {@link withRetries}).
 *
 * @example
 * ```ts
 * withRetries(() => run(cloneRequest(request)).pipe(map(okOrThrow)), { retries: 2, backoffMs: 100 });
 * ```
 */
export function okOrThrow(result: RunResult): Extract<RunResult, { kind: 'ok' }> {
  if (result.kind !== 'ok') throw new RunFailed(result);
  return result;
}
