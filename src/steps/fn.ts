/**
 * The fn step: one function call.
 *
 * @module
 */
import type { OperatorFunction } from 'rxjs';
import type { Call } from '../directive/model.js';
import { applyCallOutcome, startCall } from './call.js';
import type { FunctionRunner } from './function-runner.js';
import { addPublishes, type RunState } from './run-state.js';
import { failed, stepOperator, type StepStart } from './step-operator.js';

/**
 * The fn step for one run: runs `call`; the output is stored under the call's key; an error is handled by its
 * `onErr` (continue stores the error JSON, return stops the run); a failure stops the run.
 */
export function fnStart(call: Call, runner: FunctionRunner): StepStart {
  return (state, next) =>
    startCall(
      call,
      state.request,
      runner,
      undefined,
      (outcome) => {
        const request = applyCallOutcome(state.request, state.request, call.key, outcome);
        next(
          outcome.kind === 'runError'
            ? { request, lastKey: call.key, stopped: { kind: 'runError', error: { code: outcome.code, message: outcome.message }, request } }
            : // A run that publishes nothing (the common case) skips the spread: a literal with a spread is ~10x slower.
              state.publishes === undefined && outcome.publishes === undefined
              ? { request, lastKey: call.key }
              : { request, lastKey: call.key, ...addPublishes(state.publishes, outcome.publishes) },
        );
      },
      (error) => next(failed(state, error)),
    );
}

/**
 * Runs `call` for every run that reaches it: the output is stored under the call's key; an error is handled by its
 * `onErr` (continue stores the error JSON, return stops the run).
 *
 * @example
 * ```ts
 * import { of } from 'rxjs';
 * import { fnStep, startRun } from 'e2rx';
 * of(startRun(request)).pipe(fnStep(call, runner)).subscribe((state) => console.log(state.request.state));
 * ```
 * @see groupStep
 * @see forEachStep
 */
export function fnStep(call: Call, runner: FunctionRunner, concurrency?: number): OperatorFunction<RunState, RunState> {
  return stepOperator(fnStart(call, runner), concurrency);
}
