/**
 * What the step operators need from the outside world: something that runs one function. Injected, so that marble
 * tests can replace it with `cold('--a|')` stubs (`e2rx/testing`) and the engine with the Wasm runtime.
 *
 * @module
 */
import type { Observable } from 'rxjs';
import type { FunctionRequest } from '../runtime/request.js';

/**
 * How one function call ended, when it ran to its end:
 * - `output`: it returned a result;
 * - `runError`: it returned an error with a code (a Runnable error, handled by `onErr`);
 * - `none`: it returned neither.
 * `request` is the request after the function's mutations (state, headers, response headers…).
 * A call that could not run to its end (trap, timeout…) errors the Observable instead.
 */
export type FunctionOutcome =
  | { readonly kind: 'output'; readonly output: Uint8Array; readonly request: FunctionRequest }
  | { readonly kind: 'runError'; readonly code: number; readonly message: string; readonly request: FunctionRequest }
  | { readonly kind: 'none'; readonly request: FunctionRequest };

/** The function a call names: its FQFN (the runtime's key) and the name as written. */
export interface FunctionRef {
  readonly fqfn: string;
  readonly fn: string;
}

/**
 * Runs one function with a request and emits its outcome once, then completes; unsubscribing cancels the call.
 * The request given is shared with the run: a runner must not change it, and returns the function's changes in a
 * new request (`outcome.request`), or the same object when the function changed nothing.
 *
 * @example
 * ```ts
 * const echo: FunctionRunner = (_fn, request) => of({ kind: 'output', output: request.body, request });
 * ```
 */
export type FunctionRunner = (fn: FunctionRef, request: FunctionRequest) => Observable<FunctionOutcome>;
