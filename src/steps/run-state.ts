/**
 * The value that flows through a run's steps ({@link RunState}: the request, with its state), and how the run ends
 * ({@link RunResult}, the one result type of a run, from the steps to the sinks).
 *
 * @module
 */
import type { FunctionRequest } from '../runtime/request.js';

/** A Runnable error that ended the run (`onErr` said return). */
export interface RunError {
  readonly code: number;
  readonly message: string;
}

/**
 * How a run ended, the one result type from the steps to the sinks. `request` is the final request: its state, and
 * the response headers functions set (`respHeaders`), for every outcome.
 * - `ok`: the run went through; `body` is the response (see `toRunResult`);
 * - `runError`: a function returned an error and its `onErr` said return;
 * - `failure`: something other than a Runnable error (a trap, a timeout, a missing state key…).
 */
export type RunResult =
  | { readonly kind: 'ok'; readonly body: Uint8Array; readonly request: FunctionRequest }
  | { readonly kind: 'runError'; readonly error: RunError; readonly request: FunctionRequest }
  | { readonly kind: 'failure'; readonly error: Error; readonly request: FunctionRequest };

/** A run that a step ended: it is already the run's {@link RunResult}. */
export type StoppedRun = Exclude<RunResult, { readonly kind: 'ok' }>;

/**
 * One run between steps. `stopped` is set when a step ended the run, as the run's result (the request it ended with):
 * the following steps pass it through untouched, and it is what the run gives.
 */
export interface RunState {
  readonly request: FunctionRequest;
  /** The state key of the last step (the default response), or `undefined` after a group. */
  readonly lastKey: string | undefined;
  readonly stopped?: StoppedRun;
}

/** The JSON of a Runnable error as stored in state on `continue` (zero-valued fields omitted, as Atmo's JSON of a `RunErr`). */
export function runErrorJson(error: RunError): Uint8Array {
  const body: { code?: number; message?: string } = {};
  if (error.code !== 0) body.code = error.code;
  if (error.message !== '') body.message = error.message;
  return new TextEncoder().encode(JSON.stringify(body));
}

/** A copy of a request with its maps copied, so that steps never share mutable state. */
export function cloneRequest(request: FunctionRequest): FunctionRequest {
  return {
    ...request,
    headers: { ...request.headers },
    params: { ...request.params },
    state: { ...request.state },
    respHeaders: { ...request.respHeaders },
  };
}
