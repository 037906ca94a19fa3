/**
 * One function call inside a step: desired state in, outcome out, the request's state restored (docs/reference/directive.md#steps).
 * Shared by the fn, group and forEach operators.
 *
 * @module
 */
import { Observable } from 'rxjs';
import type { Call } from '../directive/model.js';
import type { FunctionRequest } from '../runtime/request.js';
import { desiredState } from './desired-state.js';
import { startFunction, type FunctionOutcome, type FunctionRunner } from './function-runner.js';
import { decideOnError } from './on-error.js';
import { runErrorJson } from './run-state.js';

/**
 * Starts `call` against `request`: builds the desired state when the call has `with` (a missing key fails with
 * `E2RX_DESIRED_STATE`), runs the function (with `input` as the body when given, for forEach), and applies `onErr`.
 * `next` gets the call's outcome once as the step sees it (see {@link stepOutcome}: an `output` goes into state under
 * the call's key, a `runError` ends the run), or `fail` the failure, possibly before this returns. Returns the
 * function that cancels the call, or `undefined` when it was over before returning.
 */
export function startCall(
  call: Call,
  request: FunctionRequest,
  runner: FunctionRunner,
  input: Uint8Array | undefined,
  next: (outcome: FunctionOutcome) => void,
  fail: (error: unknown) => void,
): (() => void) | undefined {
  const aliased = hasAliases(call.with);
  let callRequest: FunctionRequest = request;
  // The run's request goes to the runner as it is unless the call needs another state or body: a runner never
  // changes the request it is given (see FunctionRunner).
  if (aliased || input !== undefined) {
    let state = request.state;
    try {
      if (aliased) state = desiredState(request.state, call.with);
    } catch (error) {
      fail(error);
      return undefined;
    }
    callRequest = { ...request, body: input ?? request.body, state };
  }
  return startFunction(runner, call, callRequest, (outcome) => next(stepOutcome(call, request, outcome, aliased, input !== undefined)), fail);
}

/**
 * Runs `call` against `request` (see {@link startCall}). Emits `project` of its outcome once and completes;
 * unsubscribing cancels the function call.
 */
export function executeCall<T>(
  call: Call,
  request: FunctionRequest,
  runner: FunctionRunner,
  input: Uint8Array | undefined,
  project: (outcome: FunctionOutcome) => T,
): Observable<T> {
  return new Observable<T>((subscriber) =>
    startCall(
      call,
      request,
      runner,
      input,
      (outcome) => {
        subscriber.next(project(outcome));
        subscriber.complete();
      },
      (error) => subscriber.error(error),
    ),
  );
}

/** Whether a call's `with` names any alias (its desired state differs from the run's). */
export function hasAliases(aliases: Readonly<Record<string, string>>): boolean {
  for (const _ in aliases) return true;
  return false;
}

/**
 * The step's view of a function's outcome: `onErr: continue` turns a Runnable error into an `output` of its error
 * JSON, so a `runError` left means the run ends. Its `request` is the function's request with the run's body back (a
 * forEach element was only the input) and, for a call with `with`, the run's state back (the aliases were only for
 * the call): the function's own changes to state count only without `with`. An outcome with nothing to change is
 * passed on as it is.
 */
export function stepOutcome(call: Call, request: FunctionRequest, outcome: FunctionOutcome, aliased: boolean, replacedBody: boolean): FunctionOutcome {
  const continues = outcome.kind === 'runError' && decideOnError(call.onErr, outcome.code) === 'continue';
  if (!continues && !replacedBody && !aliased) return outcome;
  const result = outcome.request;
  const after: FunctionRequest =
    replacedBody || aliased ? { ...result, body: replacedBody ? request.body : result.body, state: aliased ? request.state : result.state } : result;
  const published = outcome.kind !== 'runError' && outcome.publishes !== undefined ? { publishes: outcome.publishes } : {};
  if (outcome.kind === 'output') return { kind: 'output', output: outcome.output, request: after, ...published };
  if (outcome.kind === 'none') return { kind: 'none', request: after, ...published };
  if (continues) return { kind: 'output', output: runErrorJson({ code: outcome.code, message: outcome.message }), request: after };
  return { kind: 'runError', code: outcome.code, message: outcome.message, request: after };
}

/**
 * Applies a call's effects ({@link stepOutcome}) to the run's request: the state keys the function changed (compared
 * byte-wise with the snapshot it started from), its response headers (later writes win), the request fields it set,
 * then its output under `key`. Returns a new request; `base` is not changed.
 */
export function applyCallOutcome(base: FunctionRequest, snapshot: FunctionRequest, key: string, outcome: FunctionOutcome): FunctionRequest {
  const after = outcome.request;
  const state: Record<string, Uint8Array> = { ...base.state };
  if (after.state !== snapshot.state) Object.assign(state, changedEntries(snapshot.state, after.state, sameBytes));
  if (outcome.kind === 'output') state[key] = outcome.output;
  return {
    method: after.method,
    url: after.url,
    id: base.id,
    body: base.body,
    headers: after.headers,
    params: after.params,
    state,
    respHeaders: after.respHeaders === snapshot.respHeaders ? base.respHeaders : { ...base.respHeaders, ...changedEntries(snapshot.respHeaders, after.respHeaders, (a, b) => a === b) },
  };
}

function changedEntries<T>(before: Readonly<Record<string, T>>, after: Readonly<Record<string, T>>, same: (a: T, b: T) => boolean): Record<string, T> {
  const changed: Record<string, T> = {};
  for (const key in after) {
    const value = after[key] as T;
    const previous = before[key];
    if (previous === undefined || !same(previous, value)) changed[key] = value;
  }
  return changed;
}

function sameBytes(left: Uint8Array, right: Uint8Array): boolean {
  if (left === right) return true;
  if (left.length !== right.length) return false;
  for (let index = 0; index < left.length; index += 1) if (left[index] !== right[index]) return false;
  return true;
}
