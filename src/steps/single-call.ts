/**
 * The run of the most common handler, one `fn` step whose call has no `with`, without the step machinery: the call
 * is started (through the runner's callback form when it has one) and its outcome becomes the run's result, with the
 * same rules as the general path (docs/decisions/0016-single-call-runs.md). The step sequence, the fn step and the
 * call wrappers cost a dozen closures and objects per run, a measurable share of a request answered on the calling
 * thread.
 *
 * @module
 */
import type { Step } from '../directive/model.js';
import type { FunctionRequest } from '../runtime/request.js';
import { hasAliases, stepOutcome } from './call.js';
import { stateAfterCall } from './fn.js';
import { startFunction, type FunctionRunner } from './function-runner.js';
import { resultOf, startRun, type RunResult, type RunStart } from './run-state.js';
import { failed } from './step-operator.js';

/**
 * The start of a run of `steps` when they are a single `fn` step whose call has no `with`; otherwise `undefined`
 * (the general path runs them). The result is the one the general path gives: the call's output (or
 * `state[response]`), a Runnable error handled by `onErr`, a failure; its publishes.
 *
 * @example
 * ```ts
 * const start = singleCallStart(handler.steps, handler.response, runner);
 * start?.(request, (result) => console.log(result.kind));
 * ```
 */
export function singleCallStart(steps: readonly Step[], response: string | undefined, runner: FunctionRunner): RunStart | undefined {
  const step = steps[0];
  if (steps.length !== 1 || step === undefined || step.kind !== 'fn' || hasAliases(step.call.with)) return undefined;
  const call = step.call;
  return (request: FunctionRequest, done: (result: RunResult) => void) =>
    startFunction(
      runner,
      call,
      request,
      (outcome) => done(resultOf(stateAfterCall(request, undefined, call, stepOutcome(call, request, outcome, false, false)), response)),
      (error) => done(resultOf(failed(startRun(request), error), response)),
    );
}
