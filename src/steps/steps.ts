/**
 * A list of steps as one operator, and a run from request to result (docs/reference/directive.md#steps, #http-responses-of-type-request).
 *
 * @module
 */
import { identity, map, pipe, type Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { Step } from '../directive/model.js';
import type { FunctionRequest } from '../runtime/request.js';
import { forEachStart } from './for-each.js';
import { fnStart } from './fn.js';
import type { FunctionRunner } from './function-runner.js';
import { groupStart } from './group.js';
import type { RunResult, RunState } from './run-state.js';
import { runStepSequence, startStepSequence, stepOperator, type StepStart } from './step-operator.js';

export type { RunResult } from './run-state.js';

/** Options shared by the step operators. */
export interface StepOptions {
  /** The group timeout (default 30 s). */
  readonly groupTimeoutMs?: number;
  /** The scheduler for timeouts (a `TestScheduler` in marble tests). */
  readonly scheduler?: SchedulerLike;
  /** Wraps each step of a compiled run once, at compile time (tracing gives each step its span). */
  readonly wrapStep?: (start: StepStart, step: Step, index: number) => StepStart;
}

/** The state a run starts in. */
export function startRun(request: FunctionRequest): RunState {
  return { request, lastKey: undefined };
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

const EMPTY_BODY = new Uint8Array(0);

/** The {@link RunResult} of a run's final state (see {@link toRunResult}): a stopped run is its own result. */
export function resultOf(state: RunState, response: string | undefined): RunResult {
  if (state.stopped !== undefined) return state.stopped;
  const key = response ?? state.lastKey;
  const body = (key === undefined ? undefined : state.request.state[key]) ?? EMPTY_BODY;
  return state.publishes === undefined ? { kind: 'ok', body, request: state.request } : { kind: 'ok', body, request: state.request, publishes: state.publishes };
}

/** A handler's steps compiled once: each call gives the run of one request, which emits its result once. */
export interface CompiledRun {
  (request: FunctionRequest): Observable<RunResult>;
  /**
   * Starts the run of a request: `done` gets its result once, possibly before this returns. Returns the function that
   * cancels it, or `undefined` when it was over before returning.
   */
  start(request: FunctionRequest, done: (result: RunResult) => void): (() => void) | undefined;
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
  const starts = steps.map((step, index) => (wrap === undefined ? stepToStart(step, runner, options) : wrap(stepToStart(step, runner, options), step, index)));
  const project = (state: RunState): RunResult => resultOf(state, response);
  const run = (request: FunctionRequest): Observable<RunResult> => runStepSequence(starts, startRun(request), project);
  return Object.assign(run, {
    start: (request: FunctionRequest, done: (result: RunResult) => void) => startStepSequence(starts, startRun(request), (state) => done(resultOf(state, response))),
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
  return compileRun(steps, response, runner, options)(request);
}
