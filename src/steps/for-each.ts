/**
 * The forEach step (Atmo v0.3.x, restored): the function runs once per element of a JSON array in state.
 *
 * @module
 */
import { defer, map, mergeMap, from, toArray, type OperatorFunction } from 'rxjs';
import type { Call } from '../directive/model.js';
import { E2rxError } from '../errors.js';
import { executeCall } from './call.js';
import type { FunctionOutcome, FunctionRunner } from './function-runner.js';
import { addPublishes, cloneRequest, type RunState } from './run-state.js';
import { stepOperator, stepStartOf, type StepFunction, type StepStart } from './step-operator.js';

/** The state key that holds the current element, as in Atmo v0.3.x. */
export const FOR_EACH_ELEMENT_KEY = '__elem';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Runs `call` once per element of the JSON array in state key `inKey`, at most `concurrency` at once. Each element,
 * as JSON, is the call's input (and is in state under `__elem`). The outputs are gathered in input order into a
 * JSON array stored under the call's key: an output that is JSON is embedded as is, anything else as a string; an
 * error that `onErr` continues is embedded as its error object; a call that returned nothing gives `null`. An error
 * that `onErr` returns stops the run.
 *
 * @example
 * ```ts
 * source.pipe(forEachStep('users', enrichCall, runner, 4));
 * ```
 */
export function forEachStep(inKey: string, call: Call, runner: FunctionRunner, concurrency = 8): OperatorFunction<RunState, RunState> {
  return stepOperator(forEachStart(inKey, call, runner, concurrency));
}

/** The forEach step for one run, in callback form (see {@link forEachStep}). */
export function forEachStart(inKey: string, call: Call, runner: FunctionRunner, concurrency = 8): StepStart {
  return stepStartOf(forEachRun(inKey, call, runner, concurrency));
}

/** The forEach step for one run (see {@link forEachStep}). */
export function forEachRun(inKey: string, call: Call, runner: FunctionRunner, concurrency = 8): StepFunction {
  return (state) =>
    defer(() => {
      const elements = readArray(state.request.state[inKey], inKey);
      return from(elements.map((element, index) => ({ element: encoder.encode(JSON.stringify(element)), index }))).pipe(
        mergeMap(({ element, index }) => {
          const request = cloneRequest(state.request);
          request.state[FOR_EACH_ELEMENT_KEY] = element;
          return executeCall(call, request, runner, element, (outcome) => ({ outcome, index }));
        }, concurrency),
        toArray(),
        map((results): RunState => {
          const ordered = results.sort((left, right) => left.index - right.index);
          const request = cloneRequest(state.request);
          for (const { outcome } of results) Object.assign(request.respHeaders, outcome.request.respHeaders);
          const returned = results.find(({ outcome }) => outcome.kind === 'runError')?.outcome;
          if (returned?.kind === 'runError') return { request, lastKey: call.key, stopped: { kind: 'runError', error: { code: returned.code, message: returned.message }, request } };
          request.state[call.key] = encoder.encode(JSON.stringify(ordered.map(({ outcome }) => elementValue(outcome))));
          return { request, lastKey: call.key, ...addPublishes(state.publishes, ...ordered.map(({ outcome }) => (outcome.kind === 'runError' ? undefined : outcome.publishes))) };
        }),
      );
    });
}

function readArray(bytes: Uint8Array | undefined, key: string): unknown[] {
  if (bytes === undefined) throw new E2rxError('E2RX_STEP_FAILED', `forEach: state key ${key} does not exist`);
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new E2rxError('E2RX_STEP_FAILED', `forEach: state key ${key} does not hold JSON`);
  }
  if (!Array.isArray(value)) throw new E2rxError('E2RX_STEP_FAILED', `forEach: state key ${key} does not hold a JSON array`);
  return value;
}

function elementValue(outcome: FunctionOutcome): unknown {
  if (outcome.kind !== 'output') return null;
  const text = decoder.decode(outcome.output);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
