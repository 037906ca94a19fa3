/**
 * Plan to Observables: every source becomes an Observable, the steps become operators, and replies are sinks. The
 * function runner, the HTTP server, the logger and the metrics are injected.
 *
 * @module
 */
import {
  exhaustMap,
  filter,
  finalize,
  fromEvent,
  mergeMap,
  concatMap,
  of,
  takeUntil,
  tap,
  timeout,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { Logger } from 'pino';
import type { Step } from '../directive/model.js';
import { E2rxError } from '../errors.js';
import type { FunctionRequest } from '../runtime/request.js';
import type { EngineMetrics, Outcome } from '../server/metrics.js';
import type { HttpServer } from '../server/http-server.js';
import { replyCancelled, replyHttp } from '../sinks/http-reply.js';
import { replyWebSocket } from '../sinks/websocket-reply.js';
import { fromHttpRoute } from '../sources/http.js';
import { headlessRequest } from '../sources/headless.js';
import { fromSchedule } from '../sources/schedule.js';
import { fromWebSocketRoute } from '../sources/websocket.js';
import type { FunctionRunner } from '../steps/function-runner.js';
import { runSteps, type RunResult } from '../steps/steps.js';
import { createGate, type Gate } from './gate.js';
import type { HandlerPlan, Plan } from './plan.js';

/** The longest delay a Node.js timer can hold (2^31-1 ms, about 24.8 days); a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

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
  readonly stream?: (plan: HandlerPlan, run: (request: FunctionRequest) => Observable<RunResult>, gate: Gate) => Observable<unknown>;
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
  const gateFor = (id: string, bounds: HandlerPlan['bounds']): Gate => {
    const gate = createGate(bounds);
    gates.set(id, gate);
    return gate;
  };
  /**
   * Runs the steps of one handler for one request, under its request timeout (`undefined`: none, as for schedules;
   * a timer cannot hold more than 2^31-1 ms, larger values fire at once, so they count as none too).
   */
  const runner = (id: string, steps: readonly Step[], response: string | undefined, groupTimeoutMs: number, requestTimeoutMs: number | undefined) =>
    (request: FunctionRequest): Observable<RunResult> => {
      const started = performance.now();
      const run = runSteps(steps, response, request, deps.runner, { groupTimeoutMs, ...(deps.scheduler ? { scheduler: deps.scheduler } : {}) });
      const bounded =
        requestTimeoutMs === undefined || requestTimeoutMs > MAX_TIMER_MS
          ? run
          : run.pipe(
              timeout({
                first: requestTimeoutMs,
                ...(deps.scheduler ? { scheduler: deps.scheduler } : {}),
                with: () =>
                  of<RunResult>({
                    kind: 'failure',
                    error: new E2rxError('E2RX_STEP_FAILED', `request timed out after ${requestTimeoutMs} ms`, { details: { requestTimeout: true } }),
                    request,
                  }),
              }),
            );
      return bounded.pipe(
        tap((result) => {
          deps.metrics?.recordRun(id, outcomeOf(result), (performance.now() - started) / 1000);
          logResult(deps.logger, id, request, result);
        }),
      );
    };

  for (const handler of plan.requests) {
    const gate = gateFor(handler.id, handler.bounds);
    const run = runner(handler.id, handler.steps, handler.response, handler.groupTimeoutMs, handler.bounds.requestTimeoutMs);
    pipelines.push({
      id: handler.id,
      pipeline: fromHttpRoute(deps.http, {
        method: handler.handler.method,
        path: handler.handler.resource,
        gate,
        maxBodyBytes: handler.bounds.maxBodyBytes,
        onRejected: () => deps.metrics?.recordRejected(handler.id),
      }).pipe(
        takeUntil(deps.stopAccepting),
        mergeMap((job) => {
          deps.metrics?.setInFlight(handler.id, gate.inFlight);
          return run(job.request).pipe(
            takeUntil(fromEvent(job.signal, 'abort')),
            tap((result) => replyHttp(job.response, result)),
            finalize(() => {
              replyCancelled(job.response);
              job.release();
              deps.metrics?.setInFlight(handler.id, gate.inFlight);
            }),
          );
        }),
      ),
    });
  }

  for (const route of plan.headlessRoutes) {
    const id = `headless ${route.path}`;
    const gate = gateFor(id, route.bounds);
    const steps: Step[] = [{ kind: 'fn', call: { fn: route.fn, fqfn: route.fqfn, name: route.fn, key: route.fn, with: {}, onErr: undefined } }];
    const run = runner(id, steps, undefined, 30_000, route.bounds.requestTimeoutMs);
    pipelines.push({
      id,
      pipeline: fromHttpRoute(deps.http, {
        method: 'POST',
        path: route.path,
        gate,
        maxBodyBytes: route.bounds.maxBodyBytes,
        toRequest: headlessRequest,
        onRejected: () => deps.metrics?.recordRejected(id),
      }).pipe(
        takeUntil(deps.stopAccepting),
        mergeMap((job) => {
          deps.metrics?.setInFlight(id, gate.inFlight);
          return run(job.request).pipe(
            takeUntil(fromEvent(job.signal, 'abort')),
            tap((result) =>
              replyHttp(job.response, result, { 'x-atmo-requestid': job.request.id, 'x-suborbital-requestid': job.request.id }),
            ),
            finalize(() => {
              replyCancelled(job.response);
              job.release();
              deps.metrics?.setInFlight(id, gate.inFlight);
            }),
          );
        }),
      ),
    });
  }

  for (const handler of plan.websockets) {
    const run = runner(handler.id, handler.steps, handler.response, handler.groupTimeoutMs, handler.bounds.requestTimeoutMs);
    pipelines.push({
      id: handler.id,
      pipeline: fromWebSocketRoute(deps.http, { path: handler.handler.resource, maxMessageBytes: handler.bounds.maxBodyBytes }).pipe(
        takeUntil(deps.stopAccepting),
        mergeMap((connection) => {
          // Messages of one connection run one at a time; concatMap would buffer a flood without limit, so past
          // `queueSize` waiting messages the socket is paused (TCP pushes back on the client) until they drain.
          const backlog = Math.max(1, handler.bounds.queueSize);
          let pending = 0;
          return connection.messages.pipe(
            tap(() => {
              pending += 1;
              if (pending > backlog && !connection.socket.isPaused) connection.socket.pause();
            }),
            concatMap((job) =>
              run(job.request).pipe(
                tap((result) => replyWebSocket(job.socket, result)),
                finalize(() => {
                  pending -= 1;
                  if (pending <= backlog && connection.socket.isPaused) connection.socket.resume();
                }),
              ),
            ),
            // After the last reply: the source ended the messages (stopping) or the client left (then a no-op).
            finalize(() => connection.close()),
          );
        }),
      ),
    });
  }

  for (const schedule of plan.schedules) {
    const { steps, name } = schedule.schedule;
    const run = runner(schedule.id, steps, undefined, schedule.groupTimeoutMs, undefined);
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
    const run = runner(handler.id, handler.steps, handler.response, handler.groupTimeoutMs, handler.bounds.requestTimeoutMs);
    if (!deps.stream) {
      deps.logger.error({ handler: handler.id }, `handler ${handler.id} needs a ${handler.handler.source} connection, which is not available`);
      continue;
    }
    pipelines.push({ id: handler.id, pipeline: deps.stream(handler, run, gate).pipe(takeUntil(deps.stopAccepting)) });
  }
  return { pipelines, gates };
}

function outcomeOf(result: RunResult): Outcome {
  if (result.kind === 'ok') return 'ok';
  if (result.kind === 'runError') return 'run_error';
  return E2rxError.is(result.error) && result.error.details['requestTimeout'] === true ? 'timeout' : 'failure';
}

function logResult(logger: Logger, id: string, request: FunctionRequest, result: RunResult): void {
  if (result.kind === 'ok') {
    logger.debug({ handler: id, request_id: request.id }, `${id} completed`);
  } else if (result.kind === 'runError') {
    logger.info({ handler: id, request_id: request.id, code: result.error.code }, `${id} returned an error: ${result.error.message}`);
  } else {
    logger.error({ handler: id, request_id: request.id, err: result.error }, `${id} failed: ${result.error.message}`);
  }
}
