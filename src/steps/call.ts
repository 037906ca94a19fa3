/**
 * One function call inside a step: desired state in, outcome out, the request's state restored (spec §2.2).
 * Shared by the fn, group and forEach operators.
 *
 * @module
 */
import { defer, map, take, type Observable } from 'rxjs';
import type { Call } from '../directive/model.js';
import type { FunctionRequest } from '../runtime/request.js';
import { desiredState } from './desired-state.js';
import type { FunctionRunner } from './function-runner.js';
import { decideOnError } from './on-error.js';
import { cloneRequest, runErrorJson, type RunError } from './run-state.js';

/**
 * How a call ended, from the step's point of view:
 * - `stored`: its output (or, with `onErr: continue`, its error JSON) goes into state under `key`;
 * - `none`: it returned nothing; nothing is stored;
 * - `return`: it returned an error and `onErr` says to stop the run.
 * `request` carries the function's other effects: response headers, request fields it set, and (for calls without
 * `with`) the state keys it set itself.
 */
export type CallOutcome =
  | { readonly kind: 'stored'; readonly key: string; readonly value: Uint8Array; readonly request: FunctionRequest }
  | { readonly kind: 'none'; readonly request: FunctionRequest }
  | { readonly kind: 'return'; readonly error: RunError; readonly request: FunctionRequest };

/**
 * Runs `call` against `request`: builds the desired state when the call has `with` (a missing key errors the
 * Observable with `E2RX_DESIRED_STATE`), runs the function (with `input` as the body when given, for forEach), and
 * applies `onErr`.
 */
export function executeCall(call: Call, request: FunctionRequest, runner: FunctionRunner, input?: Uint8Array): Observable<CallOutcome> {
  return defer(() => {
    const aliased = Object.keys(call.with).length > 0;
    const callRequest = cloneRequest(request);
    callRequest.state = desiredState(request.state, call.with);
    if (input !== undefined) callRequest.body = input;
    return runner({ fqfn: call.fqfn, fn: call.fn }, callRequest).pipe(
      take(1),
      map((outcome): CallOutcome => {
        const after = cloneRequest(outcome.request);
        if (input !== undefined) after.body = request.body;
        if (aliased) after.state = { ...request.state };
        if (outcome.kind === 'output') return { kind: 'stored', key: call.key, value: outcome.output, request: after };
        if (outcome.kind === 'none') return { kind: 'none', request: after };
        const error = { code: outcome.code, message: outcome.message };
        if (decideOnError(call.onErr, outcome.code) === 'continue') {
          return { kind: 'stored', key: call.key, value: runErrorJson(error), request: after };
        }
        return { kind: 'return', error, request: after };
      }),
    );
  });
}

/**
 * Applies a call's effects to the run's request: the state keys the function changed (compared byte-wise with the
 * snapshot it started from), its response headers (later writes win), the request fields it set, then the stored
 * output under its key.
 */
export function applyCallOutcome(base: FunctionRequest, snapshot: FunctionRequest, outcome: CallOutcome): FunctionRequest {
  const next = cloneRequest(base);
  const after = outcome.request;
  next.method = after.method;
  next.url = after.url;
  next.headers = { ...after.headers };
  next.params = { ...after.params };
  next.respHeaders = { ...base.respHeaders, ...changedEntries(snapshot.respHeaders, after.respHeaders, (a, b) => a === b) };
  Object.assign(next.state, changedEntries(snapshot.state, after.state, sameBytes));
  if (outcome.kind === 'stored') next.state[outcome.key] = outcome.value;
  return next;
}

function changedEntries<T>(before: Readonly<Record<string, T>>, after: Readonly<Record<string, T>>, same: (a: T, b: T) => boolean): Record<string, T> {
  const changed: Record<string, T> = {};
  for (const [key, value] of Object.entries(after)) {
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
