/**
 * The bridge from the Wasm runtime (callbacks) to the step operators (Observables).
 *
 * @module
 */
import { Observable } from 'rxjs';
import type { RunOutcome } from '../runtime/outcome.js';
import { failureError } from '../runtime/outcome.js';
import type { FunctionRequest } from '../runtime/request.js';
import type { Ticket } from '../runtime/pool.js';
import type { FunctionOutcome, FunctionRef, FunctionRunner, FunctionStart } from '../steps/function-runner.js';

/**
 * What the engine needs of a runtime: run a registered function by FQFN, cancellable. Either the callback form
 * (`Runtime.execute`: `done` gets the outcome once; a call on a worker returns a ticket to cancel it) or a
 * promise-returning `invoke` whose `signal` aborts the call (any hand-written host).
 */
export type FunctionInvoker =
  | { execute(name: string, request: FunctionRequest, done: (outcome: RunOutcome) => void): Ticket | undefined }
  | { invoke(name: string, request: FunctionRequest, options?: { readonly signal?: AbortSignal }): Promise<FunctionOutcome> };

/**
 * A {@link FunctionRunner} over a runtime: each call is a cold Observable that runs the function on subscribe (at
 * once, on the calling thread, for a function placed there) and cancels it when unsubscribed early (a request
 * timeout, a client that went away).
 *
 * @example
 * ```ts
 * const runner = runtimeRunner(runtime);
 * runSteps(handler.steps, handler.response, request, runner).subscribe(console.log);
 * ```
 */
export function runtimeRunner(runtime: FunctionInvoker): FunctionRunner {
  const start: FunctionStart =
    'execute' in runtime
      ? (fn, request, next, fail) =>
          runtime.execute(fn.fqfn, request, (outcome) => {
            if (outcome.kind === 'failure') fail(failureError(fn.fqfn, outcome.failure));
            else next(outcome);
          })?.cancel
      : (fn, request, next, fail) => {
          const controller = new AbortController();
          let settled = false;
          runtime.invoke(fn.fqfn, request, { signal: controller.signal }).then(
            (outcome) => {
              settled = true;
              next(outcome);
            },
            (error: unknown) => {
              settled = true;
              fail(error);
            },
          );
          return () => {
            if (!settled) controller.abort(new Error('the run no longer needs this call'));
          };
        };
  const observe = (fn: FunctionRef, request: FunctionRequest): Observable<FunctionOutcome> =>
    new Observable<FunctionOutcome>((subscriber) =>
      start(
        fn,
        request,
        (outcome) => {
          subscriber.next(outcome);
          subscriber.complete();
        },
        (error) => subscriber.error(error),
      ),
    );
  return Object.assign(observe, { start });
}
