/**
 * A whole handler pipeline for marble tests: source → gate → steps (under the request time limit) → retries → sink,
 * every timer on the test's scheduler, so `TestScheduler.run` drives it in virtual time.
 *
 * @module
 */
import { asyncScheduler, Observable, type SchedulerLike } from 'rxjs';
import { pino } from 'pino';
import { E2rxError } from '../errors.js';
import { createGate, type Slot } from '../flow/gate.js';
import { later } from '../flow/later.js';
import { retryDelay } from '../flow/retry.js';
import { createHandlerRun } from '../handlers/handler-run.js';
import type { HandlerPlan } from '../handlers/plan.js';
import { retryPolicyOf } from '../handlers/retries.js';
import type { FunctionRequest } from '../runtime/request.js';
import type { FunctionRunner } from '../steps/function-runner.js';
import type { RunResult } from '../steps/steps.js';

const silent = pino({ level: 'silent' });

/**
 * The pipeline of a planned handler over a source of requests: each request waits at the handler's gate (its
 * in-flight bound, its queue, refusal when it could no longer finish in time: `E2RX_OVERLOADED`), runs the steps
 * under the request time limit (`E2RX_REQUEST_TIMEOUT`), is run again as the handler's retry policy says, the one the
 * production pipelines follow (flow/retry.ts: core NATS and Kafka `retries.max` times, the delay doubling from
 * `backoffMs`; JetStream up to `maxDeliver` deliveries, after `nakDelayMs` when set), and its final result is
 * emitted: what the sink sends, or, for a message given up, the failure that goes to its dead letter. Completes once the
 * source has and every request is over.
 *
 * @example
 * ```ts
 * scheduler.run(({ cold, expectObservable }) => {
 *   const app = compileForTest(yaml, { runner: marbleRunner(cold, { hello: { marbles: '--a|', values: { a: 'hi' } } }) });
 *   expectObservable(app.handle('POST /hello', cold('a|', { a: testRequest() })).pipe(summarize())).toBe('--(r|)', { r: 'ok hi' });
 * });
 * ```
 */
export function handlerPipeline(plan: HandlerPlan, runner: FunctionRunner, scheduler: SchedulerLike = asyncScheduler): (requests: Observable<FunctionRequest>) => Observable<RunResult> {
  const run = createHandlerRun({
    id: plan.id,
    steps: plan.steps,
    response: plan.response,
    groupTimeoutMs: plan.groupTimeoutMs,
    requestTimeoutMs: plan.bounds.requestTimeoutMs,
    runner,
    logger: silent,
    scheduler,
  });
  const policy = retryPolicyOf(plan);
  return (requests) =>
    new Observable<RunResult>((subscriber) => {
      const gate = createGate({ ...plan.bounds, now: () => scheduler.now() });
      const cancels = new Set<() => void>();
      let open = 0;
      let sourceDone = false;
      const settle = (result: RunResult): void => {
        subscriber.next(result);
        open -= 1;
        if (sourceDone && open === 0) subscriber.complete();
      };
      const attempt = (request: FunctionRequest, slot: Slot, tries: number): void => {
        // A retry runs a fresh copy: functions change the request they are given (its state, its response headers).
        const fresh = tries === 1 ? request : { ...request, state: { ...request.state }, respHeaders: {} };
        // A `let`: the result may come inside `start`, before the assignment (a const would throw there).
        let cancel: (() => void) | undefined;
        // eslint-disable-next-line prefer-const
        cancel = run.start(fresh, (result) => {
          if (cancel !== undefined) cancels.delete(cancel);
          const delay = result.kind === 'ok' ? undefined : retryDelay(policy, tries);
          if (delay !== undefined) {
            const stop = later(scheduler, delay, () => {
              cancels.delete(stop);
              attempt(request, slot, tries + 1);
            });
            cancels.add(stop);
            return;
          }
          slot.release();
          settle(result);
        });
        if (cancel !== undefined) cancels.add(cancel);
      };
      const overloaded = (request: FunctionRequest, reason: string): RunResult => ({
        kind: 'failure',
        error: new E2rxError('E2RX_OVERLOADED', `the handler is overloaded (${reason}); retry later`),
        request,
      });
      const source = requests.subscribe({
        next: (request) => {
          open += 1;
          const verdict = gate.enter(request.body.length, { start: (slot) => attempt(request, slot, 1), shed: (reason) => settle(overloaded(request, reason)) });
          if (typeof verdict === 'string') settle(overloaded(request, verdict));
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          if (open === 0) subscriber.complete();
        },
      });
      return () => {
        source.unsubscribe();
        for (const cancel of [...cancels]) cancel();
      };
    });
}
