/**
 * What the step operators need from the outside world: something that runs one function. Injected, so that marble
 * tests can replace it with `cold('--a|')` stubs (`e2rx/testing`) and the engine with the Wasm runtime.
 *
 * @module
 */
import type { Observable } from 'rxjs';
import { E2rxError } from '../errors.js';
import type { FunctionOutcome } from '../runtime/outcome.js';
import type { FunctionRequest } from '../runtime/request.js';

export type { FunctionOutcome } from '../runtime/outcome.js';

/** The function a call names: its FQFN (the runtime's key) and the name as written. */
export interface FunctionRef {
  readonly fqfn: string;
  readonly fn: string;
}

/**
 * The callback form of a {@link FunctionRunner}: starts the call; `next` gets the outcome once, or `fail` the failure
 * (possibly before `start` returns). Returns the function that cancels the call, or `undefined` when it was over
 * before returning. Saves an Observable per call where calls end at once (functions on the calling thread).
 */
export type FunctionStart = (
  fn: FunctionRef,
  request: FunctionRequest,
  next: (outcome: FunctionOutcome) => void,
  fail: (error: unknown) => void,
) => (() => void) | undefined;

/**
 * Runs one function with a request and emits its outcome once, then completes; unsubscribing cancels the call.
 * The request given is shared with the run: a runner must not change it, and returns the function's changes in a
 * new request (`outcome.request`), or the same object when the function changed nothing. A runner may also offer
 * {@link FunctionStart}, its callback form (the engine's does).
 *
 * @example
 * ```ts
 * const echo: FunctionRunner = (_fn, request) => of({ kind: 'output', output: request.body, request });
 * ```
 */
export interface FunctionRunner {
  (fn: FunctionRef, request: FunctionRequest): Observable<FunctionOutcome>;
  readonly start?: FunctionStart;
}

/** Starts a call with `runner`: through its callback form when it has one, else by subscribing to its Observable. */
export function startFunction(
  runner: FunctionRunner,
  fn: FunctionRef,
  request: FunctionRequest,
  next: (outcome: FunctionOutcome) => void,
  fail: (error: unknown) => void,
): (() => void) | undefined {
  let calls: Observable<FunctionOutcome>;
  if (runner.start !== undefined) {
    let settled = false;
    try {
      return runner.start(
        fn,
        request,
        (outcome) => {
          settled = true;
          next(outcome);
        },
        (error) => {
          settled = true;
          fail(error);
        },
      );
    } catch (error) {
      // Thrown by the runner itself, not by what `next` or `fail` ran: that is not this call's to report.
      if (settled) throw error;
      fail(error);
      return undefined;
    }
  }
  try {
    calls = runner(fn, request);
  } catch (error) {
    fail(error);
    return undefined;
  }
  let over = false;
  const subscription = calls.subscribe({
    next: (outcome) => {
      if (over) return;
      over = true;
      next(outcome);
    },
    error: (error: unknown) => {
      if (over) return;
      over = true;
      fail(error);
    },
    complete: () => {
      if (over) return;
      over = true;
      fail(new E2rxError('E2RX_STEP_FAILED', `${fn.fn}: the function runner completed without an outcome`, { details: { fn: fn.fqfn } }));
    },
  });
  if (over) return undefined;
  return () => {
    over = true;
    subscription.unsubscribe();
  };
}
