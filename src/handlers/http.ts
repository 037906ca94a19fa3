/**
 * The `http` handler kind (`type: request`): an HTTP route whose requests wait at the handler's gate, run its steps
 * and are answered with the result.
 *
 * @module
 */
import { takeUntil } from 'rxjs';
import type { Handler } from '../directive/model.js';
import { replyCancelled, replyHttp } from '../sinks/http-reply.js';
import type { HttpJob } from '../messages/http-job.js';
import { fromHttpRoute } from '../sources/http.js';
import { defineHandlerKind } from './handler-kind.js';
import type { HandlerRun } from './handler-run.js';
import type { HandlerPlan } from './plan.js';
import { serveEach } from './serve-each.js';
import { httpKeys } from '../directive/handler-keys/http.js';

/** The `http` kind: `type: request` handlers. */
export const httpKind = defineHandlerKind<HandlerPlan, Handler>({
  name: 'http',
  keys: httpKeys.names,
  list: 'requests',
  accepts: (handler) => handler.source === 'http',
  plan: (handler, context) => ({
    kind: 'http',
    id: `${handler.method} ${handler.resource}`,
    handler,
    steps: handler.steps,
    response: handler.response,
    bounds: context.bounds(handler.limits),
    groupTimeoutMs: context.groupTimeoutMs,
    ...context.auth(handler),
  }),
  build(plan, context) {
    const { deps } = context;
    const gate = context.gate(plan.bounds);
    const run = context.run({ steps: plan.steps, response: plan.response, groupTimeoutMs: plan.groupTimeoutMs, requestTimeoutMs: plan.bounds.requestTimeoutMs });
    const recorder = deps.metrics?.handler(plan.id);
    return fromHttpRoute(deps.http, {
      method: plan.handler.method,
      path: plan.handler.resource,
      gate,
      maxBodyBytes: plan.bounds.maxBodyBytes,
      onRejected: () => recorder?.rejected(),
      ...context.authenticator(plan.auth),
    }).pipe(
      takeUntil(deps.stopAccepting),
      serveEach<HttpJob>((job, done) => serveHttp(job, run, undefined, done)),
    );
  },
});

/**
 * Serves one admitted HTTP request: runs it, replies, frees its slot. The client leaving cancels the run; a
 * cancellation before the reply (the engine stopping past its deadline) answers 503.
 */
export function serveHttp(job: HttpJob, run: HandlerRun, extraHeaders: Readonly<Record<string, string>> | undefined, done: () => void): (() => void) | undefined {
  let over = false;
  const finish = (): void => {
    if (over) return;
    over = true;
    job.release();
    done();
  };
  const cancelRun = run.start(
    job.request,
    (result) => {
      replyHttp(job.response, result, extraHeaders);
      finish();
    },
    job.arrivedAt,
  );
  if (over) return undefined;
  const cancel = (): void => {
    cancelRun?.();
    replyCancelled(job.response);
    finish();
  };
  job.onAbort(cancel);
  return cancel;
}
