/**
 * The bridge from the Wasm runtime (promises) to the step operators (Observables).
 *
 * @module
 */
import { Observable } from 'rxjs';
import type { FunctionRequest } from '../runtime/request.js';
import type { EngineMetrics } from '../server/metrics.js';
import type { FunctionOutcome, FunctionRunner } from '../steps/function-runner.js';

/** What the engine needs of a runtime: run a registered function by FQFN, cancellable. */
export interface FunctionInvoker {
  invoke(name: string, request: FunctionRequest, options?: { readonly signal?: AbortSignal }): Promise<FunctionOutcome>;
}

/**
 * A {@link FunctionRunner} over a runtime: each call is a cold Observable that invokes on subscribe and aborts the
 * call (`AbortSignal`) when unsubscribed early (a request timeout, a client that went away).
 *
 * @example
 * ```ts
 * const runner = runtimeRunner(runtime, metrics);
 * runSteps(handler.steps, handler.response, request, runner).subscribe(console.log);
 * ```
 */
export function runtimeRunner(runtime: FunctionInvoker, metrics?: EngineMetrics): FunctionRunner {
  return (fn, request) =>
    new Observable<FunctionOutcome>((subscriber) => {
      const controller = new AbortController();
      const started = performance.now();
      let settled = false;
      runtime.invoke(fn.fqfn, request, { signal: controller.signal }).then(
        (outcome) => {
          settled = true;
          metrics?.recordCall(fn.fqfn, outcome.kind === 'runError' ? 'run_error' : 'ok', (performance.now() - started) / 1000);
          subscriber.next(outcome);
          subscriber.complete();
        },
        (error: unknown) => {
          settled = true;
          metrics?.recordCall(fn.fqfn, 'failure', (performance.now() - started) / 1000);
          subscriber.error(error);
        },
      );
      return () => {
        if (!settled) controller.abort(new Error('the run no longer needs this call'));
      };
    });
}
