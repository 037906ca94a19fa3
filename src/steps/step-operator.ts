/**
 * What the step operators share: skip stopped runs, turn a failure into a stopped run instead of an error (one
 * run's failure never errors the stream), and run runs concurrently.
 *
 * @module
 */
import { catchError, mergeMap, of, type Observable, type OperatorFunction } from 'rxjs';
import type { RunState } from './run-state.js';

/**
 * Builds a step operator from `execute`, which runs the step for one run. Runs already stopped pass through; an
 * error of `execute` stops that run as a `failure`. `concurrency` bounds how many runs execute the step at once.
 */
export function stepOperator(execute: (state: RunState) => Observable<RunState>, concurrency = Number.POSITIVE_INFINITY): OperatorFunction<RunState, RunState> {
  return mergeMap(
    (state: RunState) =>
      state.stopped
        ? of(state)
        : execute(state).pipe(catchError((error: unknown) => of<RunState>({ ...state, stopped: { kind: 'failure', error: asError(error) } }))),
    concurrency,
  );
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
