/**
 * A list of steps as one operator, and a run from request to result (docs/reference/directive.md#steps, #http-responses-of-type-request).
 *
 * @module
 */
import { identity, map, Observable, pipe, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { Step } from '../directive/model.js';
import type { FunctionRequest } from '../runtime/request.js';
import { forEachStart } from './for-each.js';
import { fnStart } from './fn.js';
import type { FunctionRunner } from './function-runner.js';
import { groupStart } from './group.js';
import { resultOf, startRun, type RunResult, type RunStart, type RunState } from './run-state.js';
import { singleCallStart } from './single-call.js';
import { runStepSequence, startStepSequence, stepOperator, type StepStart } from './step-operator.js';

export type { RunResult, RunStart } from './run-state.js';
export { resultOf, startRun } from './run-state.js';

/** Options shared by the step operators. */
export interface StepOptions {
  /** The group timeout (default 30 s). */
  readonly groupTimeoutMs?: number;
  /** The scheduler for timeouts (a `TestScheduler` in marble tests). */
  readonly scheduler?: SchedulerLike;
  /** Wraps each step of a compiled run once, at compile time (tracing gives each step its span). */
  readonly wrapStep?: (start: StepStart, step: Step, index: number) => StepStart;
}

/** One step for one run: the one place that maps a Directive step to what runs it. */
export function stepToStart(step: Step, runner: FunctionRunner, options: StepOptions = {}): StepStart {
  switch (step.kind) {
    case 'fn':
      return fnStart(step.call, runner);
    case 'group':
      return groupStart(step.calls, runner, {
        ...(options.groupTimeoutMs !== undefined ? { timeoutMs: options.groupTimeoutMs } : {}),
        ...(options.scheduler ? { scheduler: options.scheduler } : {}),
      });
    case 'forEach':
      return forEachStart(step.in, step.call, runner, step.concurrency);
  }
}

/** One step as an operator. */
export function stepToOperator(step: Step, runner: FunctionRunner, options: StepOptions = {}): OperatorFunction<RunState, RunState> {
  return stepOperator(stepToStart(step, runner, options));
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
 * absent), else empty after a group, else the last step's output (docs/reference/directive.md#http-responses-of-type-request).
 */
export function toRunResult(response: string | undefined): OperatorFunction<RunState, RunResult> {
  return map((state) => resultOf(state, response));
}

/** A handler's steps compiled once: each call gives the run of one request, which emits its result once. */
export interface CompiledRun {
  (request: FunctionRequest): Observable<RunResult>;
  /** Starts the run of a request (see {@link RunStart}). */
  readonly start: RunStart;
}

/**
 * Compiles `steps` once into a function that runs them for a request (the engine compiles each handler this way;
 * {@link runSteps} is the one-off form). Steps that end at once (functions on the calling thread) run without an
 * Observable per step.
 *
 * @example
 * ```ts
 * const run = compileRun(handler.steps, handler.response, runner);
 * run(request).subscribe((result) => console.log(result.kind));
 * ```
 */
export function compileRun(steps: readonly Step[], response: string | undefined, runner: FunctionRunner, options: StepOptions = {}): CompiledRun {
  const wrap = options.wrapStep;
  // One fn step without `with` (and no step wrapped for tracing) runs without the step sequence: see single-call.ts.
  const single = wrap === undefined ? singleCallStart(steps, response, runner) : undefined;
  if (single !== undefined) return Object.assign((request: FunctionRequest) => observeRun(single, request), { start: single });
  const starts = steps.map((step, index) => (wrap === undefined ? stepToStart(step, runner, options) : wrap(stepToStart(step, runner, options), step, index)));
  const project = (state: RunState): RunResult => resultOf(state, response);
  const run = (request: FunctionRequest): Observable<RunResult> => runStepSequence(starts, startRun(request), project);
  return Object.assign(run, {
    start: (request: FunctionRequest, done: (result: RunResult) => void) => startStepSequence(starts, startRun(request), (state) => done(resultOf(state, response))),
  });
}

/**
 * The run of `request` started with `start`, as an Observable: it starts on subscribe, emits the result once and
 * completes; unsubscribing before cancels it.
 *
 * @example
 * ```ts
 * observeRun(run.start, request).subscribe((result) => console.log(result.kind));
 * ```
 */
export function observeRun(start: RunStart, request: FunctionRequest): Observable<RunResult> {
  return new Observable<RunResult>((subscriber) =>
    start(request, (result) => {
      subscriber.next(result);
      subscriber.complete();
    }),
  );
}

/** Runs `steps` for one request and emits its result once. */
export function runSteps(
  steps: readonly Step[],
  response: string | undefined,
  request: FunctionRequest,
  runner: FunctionRunner,
  options: StepOptions = {},
): Observable<RunResult> {
  return compileRun(steps, response, runner, options)(request);
}
