/**
 * What the step operators share: skip stopped runs, turn a failure into a stopped run instead of an error (one
 * run's failure never errors the stream), and run runs concurrently; and the same rules for a whole list of steps
 * applied to one run, driven by callbacks so that steps that end at once cost no Observable.
 *
 * @module
 */
import { mergeMap, Observable, of, type OperatorFunction } from 'rxjs';
import type { RunState } from './run-state.js';

/**
 * One step for one run, in callback form: `next` gets the state after the step once (a failure comes as a stopped
 * state, never as an error), possibly before `start` returns. Returns the function that cancels the step, or
 * `undefined` when it was over before returning.
 */
export type StepStart = (state: RunState, next: (state: RunState) => void) => (() => void) | undefined;

/** One step for one run, as an Observable of the state after it (a failure is a stopped state). */
export type StepFunction = (state: RunState) => Observable<RunState>;

/** A run stopped by a failure. */
export function failed(state: RunState, error: unknown): RunState {
  return { ...state, stopped: { kind: 'failure', error: error instanceof Error ? error : new Error(String(error)), request: state.request } };
}

/** A step's callback form as an Observable. */
export function stepObservable(start: StepStart): StepFunction {
  return (state) =>
    new Observable<RunState>((subscriber) =>
      start(state, (next) => {
        subscriber.next(next);
        subscriber.complete();
      }),
    );
}

/**
 * A step given as an Observable (group, forEach), in callback form: its error stops the run as a `failure`, and so
 * does completing without a state.
 */
export function stepStartOf(execute: StepFunction): StepStart {
  return (state, next) => {
    let over = false;
    const settle = (result: RunState): void => {
      if (over) return;
      over = true;
      next(result);
    };
    let produced: RunState | undefined;
    const subscription = execute(state).subscribe({
      next: (result) => (produced = result),
      error: (error: unknown) => settle(failed(state, error)),
      complete: () => settle(produced ?? failed(state, new Error('a step completed without a result'))),
    });
    if (over) return undefined;
    return () => {
      over = true;
      subscription.unsubscribe();
    };
  };
}

/**
 * Builds a step operator from `start`, which runs the step for one run. Runs already stopped pass through; a
 * failure stops that run as a `failure`. `concurrency` bounds how many runs execute the step at once.
 */
export function stepOperator(start: StepStart, concurrency = Number.POSITIVE_INFINITY): OperatorFunction<RunState, RunState> {
  const observe = stepObservable(start);
  return mergeMap((state: RunState) => (state.stopped ? of(state) : observe(state)), concurrency);
}

/**
 * Runs `steps` one after the other for one run, with the rules of {@link stepOperator}; `done` gets the final state
 * once (possibly before this returns). Steps that end at once run in a loop, not through nested calls. Returns the
 * function that cancels the step in progress, or `undefined` when the run was over before returning.
 *
 * @example
 * ```ts
 * startStepSequence([fnStart(call, runner)], startRun(request), (state) => console.log(state.lastKey));
 * ```
 */
export function startStepSequence(steps: readonly StepStart[], initial: RunState, done: (state: RunState) => void): (() => void) | undefined {
  let state = initial;
  let index = 0;
  let cancel: (() => void) | undefined;
  let cancelled = false;
  let over = false;
  const advance = (): void => {
    while (index < steps.length && state.stopped === undefined) {
      const step = steps[index] as StepStart;
      index += 1;
      let synchronous = true;
      let ended = false;
      cancel = step(state, (next) => {
        state = next;
        if (synchronous) ended = true;
        else if (!cancelled) advance();
      });
      synchronous = false;
      if (!ended) return;
    }
    cancel = undefined;
    over = true;
    done(state);
  };
  advance();
  if (over) return undefined;
  return () => {
    cancelled = true;
    cancel?.();
  };
}

/**
 * {@link startStepSequence} as an Observable that emits the final state (or `project` of it) once.
 *
 * @example
 * ```ts
 * runStepSequence([fnStart(call, runner)], startRun(request)).subscribe((state) => console.log(state.lastKey));
 * ```
 */
export function runStepSequence(steps: readonly StepStart[], initial: RunState): Observable<RunState>;
/** The same, emitting `project(final state)`. */
export function runStepSequence<R>(steps: readonly StepStart[], initial: RunState, project: (state: RunState) => R): Observable<R>;
export function runStepSequence<R>(steps: readonly StepStart[], initial: RunState, project?: (state: RunState) => R): Observable<R | RunState> {
  return new Observable<R | RunState>((subscriber) =>
    startStepSequence(steps, initial, (state) => {
      subscriber.next(project === undefined ? state : project(state));
      subscriber.complete();
    }),
  );
}
