/**
 * The group step: calls that run concurrently on the same state snapshot, under a timeout (docs/reference/directive.md#steps).
 *
 * @module
 */
import { map, merge, throwError, timeout, toArray, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { Call } from '../directive/model.js';
import { E2rxError } from '../errors.js';
import { applyCallOutcome, executeCall } from './call.js';
import type { FunctionOutcome, FunctionRunner } from './function-runner.js';
import { addPublishes, type RunState } from './run-state.js';
import { stepOperator, stepStartOf, type StepFunction, type StepStart } from './step-operator.js';

/** The original's group timeout. */
export const DEFAULT_GROUP_TIMEOUT_MS = 30_000;

/** Options of {@link groupStep}. */
export interface GroupStepOptions {
  /** The time limit of the whole group (default 30 s): past it the run fails with `fn group timed out`. */
  readonly timeoutMs?: number;
  /** The scheduler of the timeout (a `TestScheduler` in marble tests). */
  readonly scheduler?: SchedulerLike;
  /** How many runs may execute the group at once. */
  readonly concurrency?: number;
}

/**
 * Runs every call of the group at once against the same state; each applies its own `with` and `onErr`. Results
 * are merged in completion order. A call whose `onErr` says return stops the run (the first to complete wins); a
 * call that fails (trap, timeout…) fails the step.
 *
 * @example
 * ```ts
 * source.pipe(groupStep([callA, callB], runner, { timeoutMs: 5_000 }));
 * ```
 * @see fnStep
 */
export function groupStep(calls: readonly Call[], runner: FunctionRunner, options: GroupStepOptions = {}): OperatorFunction<RunState, RunState> {
  return stepOperator(groupStart(calls, runner, options), options.concurrency);
}

/** The group step for one run, in callback form (see {@link groupStep}). */
export function groupStart(calls: readonly Call[], runner: FunctionRunner, options: GroupStepOptions = {}): StepStart {
  return stepStartOf(groupRun(calls, runner, options));
}

/** The group step for one run (see {@link groupStep}). */
export function groupRun(calls: readonly Call[], runner: FunctionRunner, options: GroupStepOptions = {}): StepFunction {
  const limit = options.timeoutMs ?? DEFAULT_GROUP_TIMEOUT_MS;
  // Each outcome keeps its call's key (they arrive in the order the calls end); made once, not per run.
  const keyed = calls.map((call, index) => [call, (outcome: FunctionOutcome) => ({ key: call.key, index, outcome })] as const);
  return (state) => {
    const snapshot = state.request;
    return merge(...keyed.map(([call, withKey]) => executeCall(call, snapshot, runner, undefined, withKey))).pipe(
      toArray(),
      timeout({
        first: limit,
        ...(options.scheduler ? { scheduler: options.scheduler } : {}),
        with: () => throwError(() => new E2rxError('E2RX_GROUP_TIMEOUT', 'fn group timed out')),
      }),
      map((outcomes): RunState => {
        let request = snapshot;
        for (const { key, outcome } of outcomes) request = applyCallOutcome(request, snapshot, key, outcome);
        const returned = outcomes.find(({ outcome }) => outcome.kind === 'runError')?.outcome;
        if (returned?.kind === 'runError') return { request, lastKey: undefined, stopped: { kind: 'runError', error: { code: returned.code, message: returned.message }, request } };
        // (e2rx) Published messages go on in the order of the calls in the group, whatever order they completed in.
        const inOrder = [...outcomes].sort((left, right) => left.index - right.index);
        return { request, lastKey: undefined, ...addPublishes(state.publishes, ...inOrder.map(({ outcome }) => (outcome.kind === 'runError' ? undefined : outcome.publishes))) };
      }),
    );
  };
}
