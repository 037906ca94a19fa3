/**
 * The run of one request by a handler: its steps (compiled once), under the handler's request time limit, recorded
 * in the metrics and logged. Sources start runs through it: HTTP and websockets with a callback, the stream
 * pipelines either way.
 *
 * @module
 */
import type { Observable, SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import type { Step } from '../directive/model.js';
import { E2rxError } from '../errors.js';
import { holdReading, latestReading, releaseReading } from '../runtime/clock.js';
import type { FunctionRequest } from '../runtime/request.js';
import type { HandlerMetrics, Outcome } from '../server/metrics.js';
import type { PublishSender } from '../sinks/guest-publishes.js';
import type { FunctionRunner } from '../steps/function-runner.js';
import { compileRun, observeRun, type RunResult, type RunStart } from '../steps/steps.js';
import { activeTracing } from '../telemetry/tracing.js';
import { createDeadlines, type DeadlineHandle } from './deadlines.js';

/** A handler's run of one request. */
export interface HandlerRun {
  /** As an Observable that emits the result once. */
  (request: FunctionRequest): Observable<RunResult>;
  /** Starts the run (see {@link RunStart}): the result comes once, possibly before `start` returns. */
  readonly start: RunStart;
}

/** What a handler run is made of. */
export interface HandlerRunOptions {
  /** The handler id, in logs. */
  readonly id: string;
  readonly steps: readonly Step[];
  readonly response: string | undefined;
  readonly groupTimeoutMs: number;
  /** The request time limit; `undefined`: none (schedules). Past it the run fails with `E2RX_REQUEST_TIMEOUT`. */
  readonly requestTimeoutMs: number | undefined;
  readonly runner: FunctionRunner;
  readonly logger: Logger;
  readonly metrics?: HandlerMetrics;
  /** The scheduler of the timers (a `TestScheduler` in marble tests). */
  readonly scheduler?: SchedulerLike;
  /**
   * (e2rx) Sends the messages a successful run's functions published (`RunResult.publishes`) before the result is
   * handed on, which then carries no `publishes`; a send that fails makes the result an `E2RX_PUBLISH_FAILED` failure.
   * Without it, the result carries them to the caller (see `RunResult`).
   */
  readonly publish?: PublishSender;
  /**
   * (e2rx) Messages published to Kafka stay on the result (`RunResult.publishes`) for the caller to produce in its
   * transaction (a Kafka handler with `delivery: exactly-once`); the others are still sent by `publish`.
   */
  readonly holdKafkaPublishes?: boolean;
}

/**
 * Creates the run of a handler.
 *
 * @example
 * ```ts
 * const run = createHandlerRun({ id: 'POST /hello', steps, response: undefined, groupTimeoutMs: 30_000, requestTimeoutMs: 60_000, runner, logger });
 * run.start(request, (result) => console.log(result.kind));
 * ```
 */
export function createHandlerRun(options: HandlerRunOptions): HandlerRun {
  const { id, logger, metrics, requestTimeoutMs } = options;
  // Tracing is decided here, once per handler: when it is off, nothing of it runs per request.
  const tracing = activeTracing;
  const run = compileRun(options.steps, options.response, tracing === undefined ? options.runner : tracing.traceRunner(options.runner), {
    groupTimeoutMs: options.groupTimeoutMs,
    ...(options.scheduler ? { scheduler: options.scheduler } : {}),
    ...(tracing === undefined ? {} : { wrapStep: tracing.traceStep.bind(tracing) }),
  });
  const deadlines = createDeadlines(requestTimeoutMs ?? Number.POSITIVE_INFINITY, options.scheduler);
  const send = options.publish;
  const holdKafka = options.holdKafkaPublishes === true;
  const onScheduler = options.scheduler !== undefined;
  const untraced = (request: FunctionRequest, onResult: (result: RunResult) => void, arrivedAt?: number): (() => void) | undefined => {
    // The clock reading is held while the steps run synchronously (src/runtime/clock.ts): a call starting there takes
    // it, and a run that ends there ended at the latest reading, its last call's end. Released before the result is
    // handed on (a reply, other work), and when `run.start` returns.
    const started = holdReading();
    let holding = true;
    let settled = false;
    // (e2rx) While the run's published messages are being sent: cancelling then drops the result.
    let sending = false;
    let abandoned = false;
    let deadline: DeadlineHandle | undefined = undefined;
    const finish = (result: RunResult): void => {
      sending = false;
      if (abandoned) return;
      const ended = holding ? latestReading() : performance.now();
      if (holding) {
        holding = false;
        releaseReading();
      }
      metrics?.run(outcomeOf(result), (ended - started) / 1000);
      logResult(logger, id, request, result);
      onResult(result);
    };
    const settle = (result: RunResult): void => {
      if (settled) return;
      settled = true;
      deadline?.clear();
      if (result.kind === 'ok' && result.publishes !== undefined && send !== undefined) {
        const { publishes, ...rest } = result;
        const held = holdKafka ? publishes.filter((message) => message.connection === 'kafka') : [];
        const now = held.length === 0 ? publishes : publishes.filter((message) => message.connection !== 'kafka');
        const sent: RunResult = held.length === 0 ? rest : { ...rest, publishes: held };
        if (now.length === 0) {
          finish(sent);
          return;
        }
        sending = true;
        send(now, result.request).then(
          () => finish(sent),
          (error: unknown) => finish({ kind: 'failure', error: error instanceof Error ? error : new Error(String(error)), request: result.request }),
        );
        return;
      }
      finish(result);
    };
    let cancel: (() => void) | undefined;
    try {
      cancel = run.start(request, settle);
    } finally {
      if (holding) {
        holding = false;
        releaseReading();
      }
    }
    if (settled) {
      return sending
        ? () => {
            abandoned = true;
          }
        : undefined;
    }
    deadline = deadlines.track(() => {
      cancel?.();
      settle({
        kind: 'failure',
        error: new E2rxError('E2RX_REQUEST_TIMEOUT', `request timed out after ${requestTimeoutMs} ms`, { details: { requestTimeoutMs } }),
        request,
      });
    }, onScheduler ? undefined : arrivedAt);
    return () => {
      deadline?.clear();
      cancel?.();
      if (sending) abandoned = true;
    };
  };
  const start = tracing === undefined ? untraced : tracing.traceRun(id, untraced);
  return Object.assign((request: FunctionRequest) => observeRun(start, request), { start });
}

/** How a run ended, for the metrics. */
export function outcomeOf(result: RunResult): Outcome {
  if (result.kind === 'ok') return 'ok';
  if (result.kind === 'runError') return 'run_error';
  return E2rxError.is(result.error, 'E2RX_REQUEST_TIMEOUT') ? 'timeout' : 'failure';
}

function logResult(logger: Logger, id: string, request: FunctionRequest, result: RunResult): void {
  if (result.kind === 'ok') {
    if (logger.isLevelEnabled('debug')) logger.debug({ handler: id, request_id: request.id }, `${id} completed`);
  } else if (result.kind === 'runError') {
    logger.info({ handler: id, request_id: request.id, code: result.error.code }, `${id} returned an error: ${result.error.message}`);
  } else {
    logger.error({ handler: id, request_id: request.id, err: result.error }, `${id} failed: ${result.error.message}`);
  }
}

/**
 * A {@link HandlerRun} from a function that gives the run of a request as an Observable: for stand-ins (a stub run in
 * a benchmark, a marble test of a stream pipeline). No time limit, no metrics, no logs. The first value is the result;
 * an error, or completing without a value, is a `failure` result.
 *
 * @example
 * ```ts
 * const echo = handlerRunOf((request) => of({ kind: 'ok', body: request.body, request }));
 * ```
 */
export function handlerRunOf(observe: (request: FunctionRequest) => Observable<RunResult>): HandlerRun {
  const start: RunStart = (request, onResult) => {
    let settled = false;
    const subscription = observe(request).subscribe({
      next: (result) => {
        if (settled) return;
        settled = true;
        onResult(result);
      },
      error: (error: unknown) => {
        if (settled) return;
        settled = true;
        onResult({ kind: 'failure', error: error instanceof Error ? error : new Error(String(error)), request });
      },
      // A run gives its result once: one that ends without it is a failure (its caller still frees its slot).
      complete: () => {
        if (settled) return;
        settled = true;
        onResult({ kind: 'failure', error: new E2rxError('E2RX_STEP_FAILED', 'the run completed without a result'), request });
      },
    });
    return settled ? undefined : () => subscription.unsubscribe();
  };
  return Object.assign((request: FunctionRequest) => observeRun(start, request), { start });
}
