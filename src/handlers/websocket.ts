/**
 * The `websocket` handler kind (`type: stream`, source `server`): each connection's messages run one at a time, in
 * order, through the handler's gate; each result is sent back on the socket.
 *
 * @module
 */
import { mergeMap, Observable, takeUntil } from 'rxjs';
import type { Handler } from '../directive/model.js';
import { E2rxError } from '../errors.js';
import type { Gate, Refusal, Slot } from '../flow/gate.js';
import type { FunctionRequest } from '../runtime/request.js';
import type { HandlerMetrics } from '../server/metrics.js';
import { replyWebSocket } from '../sinks/websocket-reply.js';
import type { WebSocketJob } from '../messages/websocket-job.js';
import { fromWebSocketRoute, type WebSocketConnection } from '../sources/websocket.js';
import type { RunResult } from '../steps/steps.js';
import { defineHandlerKind } from './handler-kind.js';
import type { HandlerRun } from './handler-run.js';
import type { HandlerPlan } from './plan.js';

/** The `websocket` kind: `type: stream` handlers with source `server` (the default). */
export const websocketKind = defineHandlerKind<HandlerPlan, Handler>({
  name: 'websocket',
  keys: ['type', 'source', 'resource', 'steps', 'response', 'limits', 'auth'],
  list: 'websockets',
  accepts: (handler) => handler.source === 'server',
  plan: (handler, context) => ({
    kind: 'websocket',
    id: `ws ${handler.resource}`,
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
    return fromWebSocketRoute(deps.http, {
      path: plan.handler.resource,
      maxMessageBytes: plan.bounds.maxBodyBytes,
      maxConnections: plan.bounds.maxConnections,
      maxBufferedBytes: plan.bounds.maxQueuedBytes,
      ...context.authenticator(plan.auth),
    }).pipe(
      takeUntil(deps.stopAccepting),
      mergeMap((connection) => serveWebSocket(connection, run, gate, recorder)),
    );
  },
});

/**
 * Serves one websocket connection: its messages run one at a time, in order, each through the handler's gate (so
 * they share its in-flight bound and its refusal rules with every other connection); a refused message is answered
 * with an error frame. The client leaving cancels the connection's running and waiting messages; the route stopping
 * lets them finish, then closes the connection.
 */
function serveWebSocket(connection: WebSocketConnection, run: HandlerRun, gate: Gate, recorder: HandlerMetrics | undefined): Observable<never> {
  return new Observable<never>((subscriber) => {
    let state: 'idle' | 'waiting' | 'running' = 'idle';
    let held: Slot | undefined;
    let current: (() => void) | undefined;
    let stopping = false;
    let pumping = false;
    let again = false;
    const refuse = (job: WebSocketJob, reason: Refusal): void => {
      recorder?.rejected();
      replyWebSocket(job.socket, overloaded(job.request, reason));
      state = 'idle';
      held = undefined;
      connection.consumed(job);
    };
    const pump = (): void => {
      if (pumping) {
        again = true;
        return;
      }
      pumping = true;
      try {
        do {
          again = false;
          while (state === 'idle') {
            const job = connection.next();
            if (job === undefined) {
              if (stopping) subscriber.complete();
              break;
            }
            state = 'waiting';
            const verdict = gate.enter(job.request.body.length, {
              start: (slot) => {
                state = 'running';
                held = slot;
                const cancel = run.start(job.request, (result) => {
                  replyWebSocket(job.socket, result);
                  slot.release();
                  state = 'idle';
                  held = undefined;
                  current = undefined;
                  connection.consumed(job);
                  pump();
                });
                if (held === slot) current = cancel;
              },
              shed: (reason) => {
                refuse(job, reason);
                pump();
              },
            });
            if (typeof verdict === 'string') refuse(job, verdict);
            else if (state === 'waiting') held = verdict;
          }
        } while (again);
      } finally {
        pumping = false;
      }
    };
    const unwatch = connection.watch({
      message: pump,
      end: (reason) => {
        if (reason === 'closed') subscriber.complete();
        else {
          stopping = true;
          pump();
        }
      },
    });
    pump();
    return () => {
      unwatch();
      if (state === 'running') {
        current?.();
        held?.release();
      } else if (state === 'waiting') held?.cancel();
      connection.close();
    };
  });
}

function overloaded(request: FunctionRequest, reason: string): RunResult {
  return { kind: 'failure', error: new E2rxError('E2RX_OVERLOADED', `the handler is overloaded (${reason}); retry later`), request };
}

