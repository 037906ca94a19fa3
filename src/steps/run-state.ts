/**
 * The value that flows through a run's steps: the request (with its state), and how the run ends.
 *
 * @module
 */
import type { GuestPublish } from '../messages/guest-publish.js';
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
  /** (e2rx) The messages the run's calls published so far, in step order (see `RunResult`); absent when none. */
  readonly publishes?: readonly GuestPublish[];
}

/**
 * (e2rx) The `publishes` of a run after `more` were published (a spread: `{}` when there are none), so that a run
 * that publishes nothing carries no field.
 *
 * @example
 * ```ts
 * const next: RunState = { request, lastKey, ...addPublishes(state.publishes, outcome.publishes) };
 * ```
 */
export function addPublishes(
  earlier: readonly GuestPublish[] | undefined,
  ...more: ReadonlyArray<readonly GuestPublish[] | undefined>
): { readonly publishes?: readonly GuestPublish[] } {
  let all = earlier;
  for (const messages of more) if (messages !== undefined && messages.length > 0) all = all === undefined ? messages : [...all, ...messages];
  return all === undefined ? {} : { publishes: all };
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
