/**
 * What the step operators share: skip stopped runs, turn a failure into a stopped run instead of an error (one
 * run's failure never errors the stream), and run runs concurrently; and the same rules for a whole list of steps
 * applied to one run, without an operator chain per run.
 *
 * @module
 */
import { catchError, mergeMap, Observable, of, type OperatorFunction, type Subscription } from 'rxjs';
import type { RunState } from './run-state.js';

/** One step for one run: the state after the step, once. */
export type StepFunction = (state: RunState) => Observable<RunState>;

/**
 * Builds a step operator from `execute`, which runs the step for one run. Runs already stopped pass through; an
 * error of `execute` stops that run as a `failure`. `concurrency` bounds how many runs execute the step at once.
 */
export function stepOperator(execute: StepFunction, concurrency = Number.POSITIVE_INFINITY): OperatorFunction<RunState, RunState> {
  return mergeMap(
    (state: RunState) =>
      state.stopped ? of(state) : execute(state).pipe(catchError((error: unknown) => of<RunState>(failed(state, error)))),
    concurrency,
  );
}

/** A run stopped by a failure. */
export function failed(state: RunState, error: unknown): RunState {
  return { ...state, stopped: { kind: 'failure', error: error instanceof Error ? error : new Error(String(error)) } };
}

/**
 * Runs `steps` one after the other for one run, with the rules of {@link stepOperator}: emits the final state once.
 * Steps that complete synchronously (functions on the calling thread) run in a loop, not through nested
 * subscriptions; unsubscribing cancels the step in progress.
 *
 * @example
 * ```ts
 * runStepSequence([fnRun(call, runner)], startRun(request)).subscribe((state) => console.log(state.lastKey));
 * ```
 */
export function runStepSequence(steps: readonly StepFunction[], initial: RunState): Observable<RunState>;
/** The same, emitting `project(final state)`. */
export function runStepSequence<R>(steps: readonly StepFunction[], initial: RunState, project: (state: RunState) => R): Observable<R>;
export function runStepSequence<R>(steps: readonly StepFunction[], initial: RunState, project?: (state: RunState) => R): Observable<R | RunState> {
  return new Observable<R | RunState>((subscriber) => {
    let state = initial;
    let index = 0;
    let current: Subscription | undefined;
    const advance = (): void => {
      while (index < steps.length && state.stopped === undefined) {
        const step = steps[index] as StepFunction;
        index += 1;
        let synchronous = true;
        let completedSynchronously = false;
        let produced = false;
        const input = state;
        current = step(input).subscribe({
          next: (next) => {
            state = next;
            produced = true;
          },
          error: (error: unknown) => {
            state = failed(input, error);
            if (synchronous) completedSynchronously = true;
            else advance();
          },
          complete: () => {
            if (!produced) state = failed(input, new Error('a step completed without a result'));
            if (synchronous) completedSynchronously = true;
            else advance();
          },
        });
        synchronous = false;
        if (!completedSynchronously) return;
      }
      current = undefined;
      subscriber.next(project === undefined ? state : project(state));
      subscriber.complete();
    };
    advance();
    return () => current?.unsubscribe();
  });
}
