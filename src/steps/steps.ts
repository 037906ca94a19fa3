/**
 * A list of steps as one operator, and a run from request to result (spec §2.2, §2.3).
 *
 * @module
 */
import { identity, map, of, pipe, type Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { Step } from '../directive/model.js';
import type { FunctionRequest } from '../runtime/request.js';
import { forEachStep } from './for-each.js';
import { fnStep } from './fn.js';
import type { FunctionRunner } from './function-runner.js';
import { groupStep } from './group.js';
import type { RunError, RunState } from './run-state.js';

/** Options shared by the step operators. */
export interface StepOptions {
  /** The group timeout (default 30 s). */
  readonly groupTimeoutMs?: number;
  /** The scheduler for timeouts (a `TestScheduler` in marble tests). */
  readonly scheduler?: SchedulerLike;
}

/** How a run ended. `respHeaders` are the headers functions set, for every outcome. */
export type RunResult =
  | { readonly kind: 'ok'; readonly body: Uint8Array; readonly request: FunctionRequest }
  | { readonly kind: 'runError'; readonly error: RunError; readonly request: FunctionRequest }
  | { readonly kind: 'failure'; readonly error: Error; readonly request: FunctionRequest };

/** The state a run starts in. */
export function startRun(request: FunctionRequest): RunState {
  return { request, lastKey: undefined };
}

/** One step as an operator. */
export function stepToOperator(step: Step, runner: FunctionRunner, options: StepOptions = {}): OperatorFunction<RunState, RunState> {
  switch (step.kind) {
    case 'fn':
      return fnStep(step.call, runner);
    case 'group':
      return groupStep(step.calls, runner, {
        ...(options.groupTimeoutMs !== undefined ? { timeoutMs: options.groupTimeoutMs } : {}),
        ...(options.scheduler ? { scheduler: options.scheduler } : {}),
      });
    case 'forEach':
      return forEachStep(step.in, step.call, runner, step.concurrency);
  }
}

/**
 * Every step in order, as one operator.
 *
 * @example
 * ```ts
 * of(startRun(request)).pipe(stepsOperator(handler.steps, runner), toRunResult(handler.response));
 * ```
 */
export function stepsOperator(steps: readonly Step[], runner: FunctionRunner, options: StepOptions = {}): OperatorFunction<RunState, RunState> {
  return steps.map((step) => stepToOperator(step, runner, options)).reduce<OperatorFunction<RunState, RunState>>((chain, next) => pipe(chain, next), identity);
}

/**
 * The end of a run as a {@link RunResult}: the body is `state[response]` when `response` is set (empty when
 * absent), else empty after a group, else the last step's output (spec §2.3).
 */
export function toRunResult(response: string | undefined): OperatorFunction<RunState, RunResult> {
  return map((state): RunResult => {
    if (state.stopped?.kind === 'runError') return { kind: 'runError', error: state.stopped.error, request: state.request };
    if (state.stopped?.kind === 'failure') return { kind: 'failure', error: state.stopped.error, request: state.request };
    const key = response ?? state.lastKey;
    return { kind: 'ok', body: (key === undefined ? undefined : state.request.state[key]) ?? new Uint8Array(), request: state.request };
  });
}

/** Runs `steps` for one request and emits its result once. */
export function runSteps(
  steps: readonly Step[],
  response: string | undefined,
  request: FunctionRequest,
  runner: FunctionRunner,
  options: StepOptions = {},
): Observable<RunResult> {
  return of(startRun(request)).pipe(stepsOperator(steps, runner, options), toRunResult(response));
}
