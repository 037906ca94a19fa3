/**
 * The fn step: one function call.
 *
 * @module
 */
import type { OperatorFunction } from 'rxjs';
import type { Call } from '../directive/model.js';
import type { GuestPublish } from '../runtime/guest-publish.js';
import type { FunctionRequest } from '../runtime/request.js';
import { applyCallOutcome, startCall } from './call.js';
import type { FunctionOutcome, FunctionRunner } from './function-runner.js';
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
      (outcome) => next(stateAfterCall(state.request, state.publishes, call, outcome)),
      (error) => next(failed(state, error)),
    );
}

/**
 * The run's state after a fn step: `request` is the run's request before the call and `publishes` the messages its
 * earlier steps published; `outcome` is the call's as the step sees it (from {@link startCall}: `onErr` applied). The
 * output goes into state under the call's key; a Runnable error left stops the run.
 *
 * @example
 * ```ts
 * const state = stateAfterCall(request, undefined, call, { kind: 'output', output, request });
 * ```
 */
export function stateAfterCall(request: FunctionRequest, publishes: readonly GuestPublish[] | undefined, call: Call, outcome: FunctionOutcome): RunState {
  const after = applyCallOutcome(request, request, call.key, outcome);
  if (outcome.kind === 'runError') return { request: after, lastKey: call.key, stopped: { kind: 'runError', error: { code: outcome.code, message: outcome.message }, request: after } };
  // A run that publishes nothing (the common case) skips the spread: a literal with a spread is ~10x slower.
  return publishes === undefined && outcome.publishes === undefined ? { request: after, lastKey: call.key } : { request: after, lastKey: call.key, ...addPublishes(publishes, outcome.publishes) };
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
