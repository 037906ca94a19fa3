/**
 * The value that flows through a run's steps: the request (with its state), and how the run ends.
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
 * One run between steps. `stopped` is set when a step ended the run: the following steps pass it through untouched.
 * - `runError`: a function returned an error and its `onErr` said return;
 * - `failure`: something other than a Runnable error (a trap, a timeout, a missing state key…).
 */
export interface RunState {
  readonly request: FunctionRequest;
  /** The state key of the last step (the default response), or `undefined` after a group. */
  readonly lastKey: string | undefined;
  readonly stopped?: { readonly kind: 'runError'; readonly error: RunError } | { readonly kind: 'failure'; readonly error: Error };
}

/** The JSON of a Runnable error as stored in state on `continue` (zero-valued fields omitted, spec Appendix A). */
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
