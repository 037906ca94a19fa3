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
import type { FunctionOutcome, FunctionRunner } from '../steps/function-runner.js';

/** What the engine needs of a runtime: run a registered function by FQFN, with a cancellable ticket. */
export interface FunctionInvoker {
  /** See `Runtime.execute`: `done` gets the outcome once; a call on a worker returns a ticket to cancel it. */
  execute(name: string, request: FunctionRequest, done: (outcome: RunOutcome) => void): Ticket | undefined;
}

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
  return (fn, request) =>
    new Observable<FunctionOutcome>((subscriber) => {
      let settled = false;
      const ticket = runtime.execute(fn.fqfn, request, (outcome) => {
        settled = true;
        if (outcome.kind === 'failure') {
          subscriber.error(failureError(fn.fqfn, outcome.failure));
          return;
        }
        subscriber.next(outcome);
        subscriber.complete();
      });
      return () => {
        if (!settled) ticket?.cancel();
      };
    });
}
