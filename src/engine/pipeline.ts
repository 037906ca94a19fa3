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
import { replyHttp } from '../sinks/http-reply.js';
import { replyWebSocket } from '../sinks/websocket-reply.js';
import { fromHttpRoute } from '../sources/http.js';
import { headlessRequest } from '../sources/headless.js';
import { fromSchedule } from '../sources/schedule.js';
import { fromWebSocketRoute } from '../sources/websocket.js';
import type { FunctionRunner } from '../steps/function-runner.js';
import { runSteps, type RunResult } from '../steps/steps.js';
import { createGate, type Gate } from './gate.js';
import type { HandlerPlan, Plan } from './plan.js';

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
  const runner = (id: string, steps: readonly Step[], response: string | undefined, groupTimeoutMs: number, requestTimeoutMs: number) =>
    (request: FunctionRequest): Observable<RunResult> => {
      const started = performance.now();
      return runSteps(steps, response, request, deps.runner, { groupTimeoutMs, ...(deps.scheduler ? { scheduler: deps.scheduler } : {}) }).pipe(
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
      }).pipe(
        takeUntil(deps.stopAccepting),
        mergeMap((job) => {
          deps.metrics?.setInFlight(handler.id, gate.inFlight);
          return run(job.request).pipe(
            takeUntil(fromEvent(job.signal, 'abort')),
            tap((result) => replyHttp(job.response, result)),
            finalize(() => {
              job.release();
              deps.metrics?.setInFlight(handler.id, gate.inFlight);
            }),
          );
        }),
      ),
    });
  }

  for (const route of plan.headlessRoutes) {
    const gate = gateFor(`headless ${route.path}`, route.bounds);
    const steps: Step[] = [{ kind: 'fn', call: { fn: route.fn, fqfn: route.fqfn, name: route.fn, key: route.fn, with: {}, onErr: undefined } }];
    const run = runner(`headless ${route.path}`, steps, undefined, 30_000, route.bounds.requestTimeoutMs);
    pipelines.push({
      id: `headless ${route.path}`,
      pipeline: fromHttpRoute(deps.http, { method: 'POST', path: route.path, gate, maxBodyBytes: route.bounds.maxBodyBytes, toRequest: headlessRequest }).pipe(
        takeUntil(deps.stopAccepting),
        mergeMap((job) =>
          run(job.request).pipe(
            takeUntil(fromEvent(job.signal, 'abort')),
            tap((result) =>
              replyHttp(job.response, result, { 'x-atmo-requestid': job.request.id, 'x-suborbital-requestid': job.request.id }),
            ),
            finalize(() => job.release()),
          ),
        ),
      ),
    });
  }

  for (const handler of plan.websockets) {
    const run = runner(handler.id, handler.steps, handler.response, handler.groupTimeoutMs, handler.bounds.requestTimeoutMs);
    pipelines.push({
      id: handler.id,
      pipeline: fromWebSocketRoute(deps.http, { path: handler.handler.resource, maxMessageBytes: handler.bounds.maxBodyBytes }).pipe(
        takeUntil(deps.stopAccepting),
        mergeMap((connection) => connection.messages.pipe(concatMap((job) => run(job.request).pipe(tap((result) => replyWebSocket(job.socket, result)))))),
      ),
    });
  }

  for (const schedule of plan.schedules) {
    const { steps, name } = schedule.schedule;
    const run = runner(schedule.id, steps, undefined, schedule.groupTimeoutMs, Number.MAX_SAFE_INTEGER);
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
