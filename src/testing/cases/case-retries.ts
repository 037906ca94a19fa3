/**
 * The retries of a message case: a failed run is run again after the handler's doubling delay, as the stream
 * pipelines do, on the case's (virtual) clock.
 *
 * @module
 */
import { catchError, last, mergeMap, of, timer, type Observable, type SchedulerLike } from 'rxjs';
import { backoffDelay } from '../../flow/backoff.js';
import type { RunResult } from '../../steps/steps.js';

/** How the runs of one message ended: its result, or the last failure (a failed result, or the error thrown). */
export type Attempted =
  | { readonly kind: 'done'; readonly value: Extract<RunResult, { kind: 'ok' }>; readonly attempts: number }
  | { readonly kind: 'failed'; readonly failure: unknown; readonly attempts: number };

/** How many times to run again, and the first delay (it doubles). */
export interface CaseRetryPolicy {
  readonly retries: number;
  readonly backoffMs: number;
  readonly scheduler?: SchedulerLike;
}

/**
 * Runs `attempt` (given the attempt number, from 1) until it succeeds, at most `1 + retries` times, waiting
 * `backoffMs`, then twice that, and so on between runs. Never errors: the end is {@link Attempted}.
 *
 * @example
 * ```ts
 * retryRuns((n) => test.run(id, requestFor(n)), { retries: 3, backoffMs: 100, scheduler });
 * ```
 */
export function retryRuns(attempt: (attemptNumber: number) => Observable<RunResult>, policy: CaseRetryPolicy): Observable<Attempted> {
  const run = (number: number): Observable<Attempted> =>
    attempt(number).pipe(
      last(),
      mergeMap((result): Observable<Attempted> => {
        if (result.kind === 'ok') return of({ kind: 'done', value: result, attempts: number });
        if (number > policy.retries) return of({ kind: 'failed', failure: result, attempts: number });
        const due = backoffDelay(number, { baseMs: policy.backoffMs });
        return (policy.scheduler ? timer(due, policy.scheduler) : timer(due)).pipe(mergeMap(() => run(number + 1)));
      }),
      catchError((error: unknown) => of<Attempted>({ kind: 'failed', failure: error, attempts: number })),
    );
  return run(1);
}
