/**
 * The `websocket` handler kind (`type: stream`, source `server`): each connection's messages run one at a time, in
 * order, through the handler's gate (flow/in-order.ts); each result is sent back on the socket.
 *
 * @module
 */
import { mergeMap, Observable, takeUntil } from 'rxjs';
import type { Handler } from '../directive/model.js';
import { E2rxError } from '../errors.js';
import type { Gate } from '../flow/gate.js';
import { admitInOrder } from '../flow/in-order.js';
import type { FunctionRequest } from '../runtime/request.js';
import type { HandlerMetrics } from '../server/metrics.js';
import { replyWebSocket } from '../sinks/websocket-reply.js';
import type { WebSocketJob } from '../messages/websocket-job.js';
import { fromWebSocketRoute, type WebSocketConnection } from '../sources/websocket.js';
import type { RunResult } from '../steps/steps.js';
import { defineHandlerKind } from './handler-kind.js';
import type { HandlerRun } from './handler-run.js';
import type { HandlerPlan } from './plan.js';
import { websocketKeys } from '../directive/handler-keys/websocket.js';

/** The `websocket` kind: `type: stream` handlers with source `server` (the default). */
export const websocketKind = defineHandlerKind<HandlerPlan, Handler>({
  name: 'websocket',
  keys: websocketKeys.names,
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
 * Serves one websocket connection: its messages run in order through the handler's gate (flow/in-order.ts), each
 * result sent back on the socket; a refused message is answered with an error frame.
 */
function serveWebSocket(connection: WebSocketConnection, run: HandlerRun, gate: Gate, recorder: HandlerMetrics | undefined): Observable<never> {
  return admitInOrder<WebSocketJob>(connection, {
    gate,
    bytes: (job) => job.request.body.length,
    run: (job, done) =>
      run.start(job.request, (result) => {
        replyWebSocket(job.socket, result);
        done();
      }),
    refuse: (job, reason) => {
      recorder?.rejected();
      replyWebSocket(job.socket, overloaded(job.request, reason));
    },
  });
}

function overloaded(request: FunctionRequest, reason: string): RunResult {
  return { kind: 'failure', error: new E2rxError('E2RX_OVERLOADED', `the handler is overloaded (${reason}); retry later`), request };
}

