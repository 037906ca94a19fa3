/**
 * Plan to Observables: every source becomes an Observable, the steps become operators, and replies are sinks. The
 * function runner, the HTTP server, the logger and the metrics are injected.
 *
 * @module
 */
import { exhaustMap, filter, finalize, mergeMap, Observable, takeUntil, type SchedulerLike } from 'rxjs';
import { serveEach } from './serve-each.js';
import type { Logger } from 'pino';
import type { ScheduleLease as ScheduleLeaseKind, Step } from '../directive/model.js';
import { E2rxError } from '../errors.js';
import type { FunctionRequest } from '../runtime/request.js';
import type { EngineMetrics, HandlerMetrics } from '../server/metrics.js';
import type { HttpServer } from '../server/http-server.js';
import { replyCancelled, replyHttp } from '../sinks/http-reply.js';
import { replyWebSocket } from '../sinks/websocket-reply.js';
import { fromHttpRoute, type HttpJob } from '../sources/http.js';
import { headlessRequest } from '../sources/headless.js';
import { fromSchedule } from '../sources/schedule.js';
import { leasedSchedule } from '../sources/leased-schedule.js';
import { scheduleTimes } from '../sources/tick-times.js';
import { leaseTtlMs, type ScheduleLeases } from '../connections/schedule-lease.js';
import { fromWebSocketRoute, type WebSocketConnection, type WebSocketJob } from '../sources/websocket.js';
import type { FunctionRunner } from '../steps/function-runner.js';
import type { RunResult } from '../steps/steps.js';
import { createHandlerRun, type HandlerRun } from './handler-run.js';
import { loopLagMs } from '../runtime/loop-lag.js';
import { createGate, type Gate, type Refusal, type Slot } from './gate.js';
import type { HandlerBounds, HandlerPlan, Plan } from './plan.js';
import { DEFAULT_GROUP_TIMEOUT_MS } from '../steps/group.js';

/** What the pipelines need from outside. */
export interface PipelineDeps {
  readonly runner: FunctionRunner;
  readonly http: HttpServer;
  readonly logger: Logger;
  readonly metrics?: EngineMetrics;
  /** The scheduler for timers (schedules, timeouts); a `TestScheduler` in marble tests. */
  readonly scheduler?: SchedulerLike;
  /** Completes the sources (stop accepting) while runs in flight finish. */
  readonly stopAccepting: Observable<unknown>;
  /** Builds the pipeline of a NATS or Kafka handler (the streams module); without it such handlers are refused. */
  readonly stream?: (plan: HandlerPlan, run: HandlerRun, gate: Gate) => Observable<unknown>;
  /** The store of schedule leases (e2rx `lease:`), and this instance's name in it; without it, leased schedules are refused. */
  readonly leases?: { readonly stores: Partial<Record<ScheduleLeaseKind, ScheduleLeases>>; readonly owner: string };
}

/** The pipelines of a plan, and the gates of its handlers (for health, metrics and draining). */
export interface Pipelines {
  readonly pipelines: readonly { readonly id: string; readonly pipeline: Observable<unknown> }[];
  readonly gates: ReadonlyMap<string, Gate>;
}

/**
 * Builds one Observable per handler, schedule and headless route. Subscribing starts the source (registers the
 * route, starts the timer); unsubscribing removes it.
 */
export function buildPipelines(plan: Plan, deps: PipelineDeps): Pipelines {
  const gates = new Map<string, Gate>();
  const pipelines: { id: string; pipeline: Observable<unknown> }[] = [];
  const gateFor = (id: string, bounds: HandlerBounds): Gate => {
    // Under a test scheduler, virtual time only; otherwise the event loop's lag counts in the age of work.
    const gate = createGate({ ...bounds, ...(deps.scheduler ? { now: () => (deps.scheduler as SchedulerLike).now() } : { lagMs: loopLagMs }) });
    gates.set(id, gate);
    deps.metrics?.watchInFlight(id, () => gate.inFlight);
    return gate;
  };

  const handlerRun = (id: string, steps: readonly Step[], response: string | undefined, groupTimeoutMs: number, requestTimeoutMs: number | undefined): HandlerRun =>
    createHandlerRun({
      id,
      steps,
      response,
      groupTimeoutMs,
      requestTimeoutMs,
      runner: deps.runner,
      logger: deps.logger,
      ...(deps.metrics ? { metrics: deps.metrics.handler(id) } : {}),
      ...(deps.scheduler ? { scheduler: deps.scheduler } : {}),
    });

  for (const handler of plan.requests) {
    const gate = gateFor(handler.id, handler.bounds);
    const run = handlerRun(handler.id, handler.steps, handler.response, handler.groupTimeoutMs, handler.bounds.requestTimeoutMs);
    const recorder = deps.metrics?.handler(handler.id);
    pipelines.push({
      id: handler.id,
      pipeline: fromHttpRoute(deps.http, {
        method: handler.handler.method,
        path: handler.handler.resource,
        gate,
        maxBodyBytes: handler.bounds.maxBodyBytes,
        onRejected: () => recorder?.rejected(),
      }).pipe(
        takeUntil(deps.stopAccepting),
        serveEach<HttpJob>((job, done) => serveHttp(job, run, undefined, done)),
      ),
    });
  }

  for (const route of plan.headlessRoutes) {
    const id = `headless ${route.path}`;
    const gate = gateFor(id, route.bounds);
    const steps: Step[] = [{ kind: 'fn', call: { fn: route.fn, fqfn: route.fqfn, name: route.fn, key: route.fn, with: {}, onErr: undefined } }];
    const run = handlerRun(id, steps, undefined, DEFAULT_GROUP_TIMEOUT_MS, route.bounds.requestTimeoutMs);
    const recorder = deps.metrics?.handler(id);
    pipelines.push({
      id,
      pipeline: fromHttpRoute(deps.http, {
        method: 'POST',
        path: route.path,
        gate,
        maxBodyBytes: route.bounds.maxBodyBytes,
        toRequest: headlessRequest,
        onRejected: () => recorder?.rejected(),
      }).pipe(
        takeUntil(deps.stopAccepting),
        serveEach<HttpJob>((job, done) => serveHttp(job, run, { 'x-atmo-requestid': job.request.id, 'x-suborbital-requestid': job.request.id }, done)),
      ),
    });
  }

  for (const handler of plan.websockets) {
    const gate = gateFor(handler.id, handler.bounds);
    const run = handlerRun(handler.id, handler.steps, handler.response, handler.groupTimeoutMs, handler.bounds.requestTimeoutMs);
    const recorder = deps.metrics?.handler(handler.id);
    pipelines.push({
      id: handler.id,
      pipeline: fromWebSocketRoute(deps.http, {
        path: handler.handler.resource,
        maxMessageBytes: handler.bounds.maxBodyBytes,
        maxConnections: handler.bounds.maxConnections,
        maxBufferedBytes: handler.bounds.maxQueuedBytes,
      }).pipe(
        takeUntil(deps.stopAccepting),
        mergeMap((connection) => serveWebSocket(connection, run, gate, recorder)),
      ),
    });
  }

  for (const schedule of plan.schedules) {
    const { steps, name } = schedule.schedule;
    const run = handlerRun(schedule.id, steps, undefined, schedule.groupTimeoutMs, undefined);
    if (schedule.schedule.lease !== undefined) {
      const store = deps.leases?.stores[schedule.schedule.lease];
      if (store === undefined || deps.leases === undefined) {
        deps.logger.error({ schedule: name }, `schedule ${name} holds its lease in ${schedule.schedule.lease}, which is not available`);
        continue;
      }
      const times = scheduleTimes(schedule.schedule);
      const first = times.next(Date.now());
      const ttlMs = leaseTtlMs(first === undefined ? schedule.schedule.everyMs : (times.next(first) ?? first) - first);
      pipelines.push({
        id: schedule.id,
        pipeline: leasedSchedule({
          schedule: schedule.schedule,
          times,
          lease: store.lease(name, deps.leases.owner, ttlMs),
          ttlMs,
          run,
          logger: deps.logger,
          stopAccepting: deps.stopAccepting,
          ...(deps.scheduler ? { scheduler: deps.scheduler } : {}),
        }),
      });
      continue;
    }
    let running = false;
    pipelines.push({
      id: schedule.id,
      pipeline: fromSchedule(schedule.schedule, deps.scheduler).pipe(
        takeUntil(deps.stopAccepting),
        filter((request) => {
          if (running) deps.logger.warn({ schedule: name, request_id: request.id }, `schedule ${name} skipped a tick: its previous run is still going`);
          return !running;
        }),
        exhaustMap((request) => {
          running = true;
          return run(request).pipe(finalize(() => (running = false)));
        }),
      ),
    });
  }

  for (const handler of plan.streams) {
    const gate = gateFor(handler.id, handler.bounds);
    const run = handlerRun(handler.id, handler.steps, handler.response, handler.groupTimeoutMs, handler.bounds.requestTimeoutMs);
    if (!deps.stream) {
      deps.logger.error({ handler: handler.id }, `handler ${handler.id} needs a ${handler.handler.source} connection, which is not available`);
      continue;
    }
    pipelines.push({ id: handler.id, pipeline: deps.stream(handler, run, gate).pipe(takeUntil(deps.stopAccepting)) });
  }
  return { pipelines, gates };
}

/**
 * Serves one admitted HTTP request: runs it, replies, frees its slot. The client leaving cancels the run; a
 * cancellation before the reply (the engine stopping past its deadline) answers 503.
 */
function serveHttp(job: HttpJob, run: HandlerRun, extraHeaders: Readonly<Record<string, string>> | undefined, done: () => void): (() => void) | undefined {
  let over = false;
  const finish = (): void => {
    if (over) return;
    over = true;
    job.release();
    done();
  };
  const cancelRun = run.start(job.request, (result) => {
    replyHttp(job.response, result, extraHeaders);
    finish();
  });
  if (over) return undefined;
  const cancel = (): void => {
    cancelRun?.();
    replyCancelled(job.response);
    finish();
  };
  job.onAbort(cancel);
  return cancel;
}

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

