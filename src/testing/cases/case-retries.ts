/**
 * The retries of a message case: a failed run is run again as the handler's retry policy says (flow/retry.ts, the
 * one the stream pipelines follow), on the case's (virtual) clock.
 *
 * @module
 */
import { catchError, last, mergeMap, of, timer, type Observable, type SchedulerLike } from 'rxjs';
import { retryDelay, type RetryPolicy } from '../../flow/retry.js';
import type { RunResult } from '../../steps/steps.js';

/** How the runs of one message ended: its result, or the last failure (a failed result, or the error thrown). */
export type Attempted =
  | { readonly kind: 'done'; readonly value: Extract<RunResult, { kind: 'ok' }>; readonly attempts: number }
  | { readonly kind: 'failed'; readonly failure: unknown; readonly attempts: number };

/** The handler's retry policy, and the clock its delays run on. */
export interface CaseRetryPolicy extends RetryPolicy {
  readonly scheduler?: SchedulerLike;
}

/**
 * Runs `attempt` (given the attempt number, from 1) until it succeeds, at most `policy.attempts` times, waiting
 * between runs as {@link retryDelay} says. Never errors: the end is {@link Attempted}.
 *
 * @example
 * ```ts
 * retryRuns((n) => test.run(id, requestFor(n)), { attempts: 4, backoffMs: 100, scheduler });
 * ```
 */
export function retryRuns(attempt: (attemptNumber: number) => Observable<RunResult>, policy: CaseRetryPolicy): Observable<Attempted> {
  const run = (number: number): Observable<Attempted> =>
    attempt(number).pipe(
      last(),
      mergeMap((result): Observable<Attempted> => {
        if (result.kind === 'ok') return of({ kind: 'done', value: result, attempts: number });
        const due = retryDelay(policy, number);
        if (due === undefined) return of({ kind: 'failed', failure: result, attempts: number });
        return (policy.scheduler ? timer(due, policy.scheduler) : timer(due)).pipe(mergeMap(() => run(number + 1)));
      }),
      catchError((error: unknown) => of<Attempted>({ kind: 'failed', failure: error, attempts: number })),
    );
  return run(1);
}
