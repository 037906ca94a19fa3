/**
 * Traces of handler runs: one trace per run, made of the source's span (HTTP server, messaging consumer, schedule),
 * a span per step and per function call, a span per asynchronous host call (`host-spans.ts`) and a producer span per
 * message published for the run (respondTo, reply, dead letter), with W3C trace context read from the request's
 * headers and written on what leaves.
 *
 * Tracing is process-wide and off unless the environment configures it (`startTracing`, in start-tracing.ts). While
 * it is off, {@link activeTracing} is `undefined` and nothing here runs: the engine's hot paths test that once, when a
 * handler is built (its run, steps and runner are wrapped or not), or once per published message.
 *
 * The spans of a run find their parent through the request id (see run-registry.ts); the attributes of call spans are
 * made once per function (call-attributes.ts).
 *
 * @module
 */
import type { Attributes, Span, SpanContext } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Step } from '../directive/model.js';
import { errorMessage } from '../errors.js';
import type { FunctionRequest } from '../runtime/request.js';
import type { Lane } from '../runtime/placement.js';
import { startFunction, type FunctionOutcome, type FunctionRef, type FunctionRunner, type FunctionStart } from '../steps/function-runner.js';
import type { RunStart, RunState } from '../steps/run-state.js';
import type { StepStart } from '../steps/step-operator.js';
import { Observable } from 'rxjs';
import { CallAttributeCache } from './call-attributes.js';
import type { TracingConfig } from './config.js';
import type { RecordedSpan } from './recorded-span.js';
import { runAnnotations } from './run-annotations.js';
import { callEnded, callStarted, endThen, RunRegistry, runningCall, type RunTrace } from './run-registry.js';
import { requestAttributes, runEnd, runSourceOf } from './run-source.js';
import type { TracingSdk } from './sdk.js';


/** Span kinds, as the API numbers them (`SpanKind`). */
export const SPAN_KIND = { internal: 0, server: 1, client: 2, producer: 3, consumer: 4 } as const;
const STATUS_ERROR = 2;

/** The end attributes of most step and call spans, one object each (encoded once, see `RecordedSpan.adoptShared`). */
const STEP_OK: Attributes = Object.freeze({ 'e2rx.step.outcome': 'ok' });
const CALL_OUTPUT: Attributes = Object.freeze({ 'e2rx.function.outcome': 'output' });

/** Where a message for a run goes: the transport, the subject or topic, and why. */
export interface MessageTarget {
  readonly system: 'nats' | 'kafka';
  readonly destination: string;
  readonly role: 'respondTo' | 'reply' | 'deadLetter';
}

/** A header entry of an outgoing message (NATS values are strings, Kafka's bytes). */
export type MessageHeader = readonly [name: string, value: string | Uint8Array];

/**
 * The tracing of this process, while it is on.
 *
 * Clock readings are shared within a run: the steps and calls that start in the same synchronous stretch of code as
 * the run (or the step) started take its reading as their start, and the step and run that end in the same stretch
 * as their last call ended take that call's end. A call's end always reads the clock (a function may have run in
 * between). So a one-step run reads the clock twice, not six times: a reading costs 150 to 200 ns on a loaded virtual
 * machine, and the times shared are at most the few hundred nanoseconds of e2rx's own dispatch apart.
 */
export class Tracing {
  readonly #sdk: TracingSdk;
  readonly #runs = new RunRegistry();
  readonly #callAttributes = new CallAttributeCache();
  /** Where a function's calls go now (the runtime's placement), when the engine knows. */
  lanes: ((fqfn: string) => Lane | undefined) | undefined = undefined;

  readonly #logger: Logger;

  constructor(sdk: TracingSdk, readonly config: TracingConfig, logger: Logger) {
    this.#sdk = sdk;
    this.#logger = logger;
  }

  /** The spans dropped so far because the export queue was full (`OTEL_BSP_MAX_QUEUE_SIZE`). */
  get droppedSpans(): number {
    return this.#sdk.batcher.dropped;
  }

  /**
   * A handler's run, traced: each run gets its source span (a child of the request's `traceparent` when it has
   * one), registered for its children until it ends.
   */
  traceRun(handler: string, start: RunStart): RunStart {
    const source = runSourceOf(handler);
    const kind = source.kind === 'http' || source.kind === 'websocket' ? SPAN_KIND.server : source.kind === 'schedule' ? SPAN_KIND.internal : SPAN_KIND.consumer;
    const tracer = this.#sdk.tracer;
    // Only the runs of stream handlers publish messages once they ended (respondTo, replies, dead letters): only
    // theirs are kept findable after the end (keeping every run would keep thousands of spans alive).
    const publishesAfter = source.kind === 'nats' || source.kind === 'kafka';
    return (request, onResult, arrivedAt) => {
      const now = performance.now();
      const span = tracer.startRoot(source.spanName, kind, source.attributes, this.#remoteParent(request.headers), now);
      const recording = span.sampled;
      if (recording) {
        span.adoptAttributes(requestAttributes(request, source.kind));
        const extra = runAnnotations(request);
        if (extra !== undefined) span.setAttributes(extra);
      }
      const trace: RunTrace = { span, step: undefined, call: undefined, callFqfn: undefined, calls: undefined, instant: now };
      const id = request.id;
      this.#runs.start(id, trace);
      let over = false;
      const finish = (): void => {
        over = true;
        this.#runs.end(id, trace, publishesAfter);
      };
      let cancel: (() => void) | undefined;
      try {
        cancel = start(request, (result) => {
          if (!over && !recording) finish();
          else if (!over) {
            const end = runEnd(source, result);
            // A successful run's end is one object per source (see runEnd): shared, encoded once.
            if (result.kind === 'ok') span.adoptShared(end.attributes);
            else span.setAttributes(end.attributes);
            if (end.error !== undefined) span.setStatus({ code: STATUS_ERROR, message: end.error });
            if (result.kind === 'failure') span.recordException(result.error);
            span.endAt(trace.instant ?? performance.now());
            finish();
          }
          onResult(result);
        }, arrivedAt);
      } finally {
        trace.instant = undefined;
      }
      if (cancel === undefined) return undefined;
      return () => {
        if (!over) {
          span.setAttribute('e2rx.run.outcome', 'cancelled');
          span.end();
          finish();
        }
        cancel();
      };
    };
  }

  /** A step, traced: a span per run of it (`step 1: fn hello`, `step 2: group`), under the run's span. */
  traceStep(start: StepStart, step: Step, index: number): StepStart {
    const name = `step ${index + 1}: ${step.kind === 'fn' ? `fn ${step.call.fn}` : step.kind === 'group' ? 'group' : `forEach ${step.call.fn}`}`;
    const attributes: Attributes = {
      'e2rx.step.index': index,
      'e2rx.step.kind': step.kind,
      'e2rx.step.functions': step.kind === 'group' ? step.calls.map((call) => call.fqfn) : [step.call.fqfn],
    };
    const tracer = this.#sdk.tracer;
    return (state, next) => {
      const run = this.#runs.running(state.request.id);
      if (run === undefined || !run.span.sampled) return start(state, next);
      const now = run.instant ?? performance.now();
      const span = tracer.startChild(run.span, name, SPAN_KIND.internal, attributes, now);
      run.step = span;
      let over = false;
      run.instant = now;
      let cancel: (() => void) | undefined;
      try {
        cancel = start(state, (after: RunState) => {
          over = true;
          if (run.step === span) run.step = undefined;
          if (after.stopped !== undefined) {
            span.setAttribute('e2rx.step.outcome', after.stopped.kind === 'runError' ? 'run_error' : 'failure');
            span.setStatus({ code: STATUS_ERROR, message: after.stopped.error.message });
          } else span.adoptShared(STEP_OK);
          endThen(run, span, run.instant ?? performance.now(), next, after);
        });
      } finally {
        run.instant = undefined;
      }
      if (cancel === undefined) return undefined;
      return () => {
        if (!over) {
          span.setAttribute('e2rx.step.outcome', 'cancelled');
          span.end();
        }
        cancel();
      };
    };
  }

  /** A function runner, traced: a span per call (FQFN, where it ran, its outcome), under the step's span. */
  traceRunner(runner: FunctionRunner): FunctionRunner {
    const tracer = this.#sdk.tracer;
    const start: FunctionStart = (fn, request, next, fail) => {
      const run = this.#runs.running(request.id);
      if (run === undefined || !run.span.sampled) return startFunction(runner, fn, request, next, fail);
      const span = tracer.startChild(run.step ?? run.span, `function ${fn.fn}`, SPAN_KIND.internal, this.#callAttributes.of(fn, this.lanes?.(fn.fqfn)), run.instant ?? performance.now());
      callStarted(run, fn.fqfn, span);
      let over = false;
      const settle = (): void => {
        over = true;
        callEnded(run, fn.fqfn, span);
      };
      const cancel = startFunction(
        runner,
        fn,
        request,
        (outcome: FunctionOutcome) => {
          settle();
          if (outcome.kind === 'output') span.adoptShared(CALL_OUTPUT);
          else span.setAttribute('e2rx.function.outcome', outcome.kind === 'runError' ? 'run_error' : outcome.kind);
          if (outcome.kind === 'runError') {
            span.setAttribute('e2rx.function.error_code', outcome.code);
            span.setStatus({ code: STATUS_ERROR, message: outcome.message });
          }
          endThen(run, span, performance.now(), next, outcome);
        },
        (error: unknown) => {
          settle();
          span.setAttribute('e2rx.function.outcome', 'failure');
          const failure = error instanceof Error ? error : new Error(String(error));
          span.recordException(failure);
          span.setStatus({ code: STATUS_ERROR, message: failure.message });
          span.end();
          fail(error);
        },
      );
      if (cancel === undefined) return undefined;
      return () => {
        if (!over) {
          settle();
          span.setAttribute('e2rx.function.outcome', 'cancelled');
          span.end();
        }
        cancel();
      };
    };
    const observe = (fn: FunctionRef, request: FunctionRequest): Observable<FunctionOutcome> =>
      new Observable<FunctionOutcome>((subscriber) =>
        start(
          fn,
          request,
          (outcome) => {
            subscriber.next(outcome);
            subscriber.complete();
          },
          (error) => subscriber.error(error),
        ),
      );
    return Object.assign(observe, { start });
  }

  /**
   * Starts a child span of the run of `requestId` (under the call of `fn` when it is running): for host calls and
   * messages. Under an unsampled run, a span that records nothing but carries the run's trace (not sampled) on.
   * Without such a run (it ended long ago, or a call outside any run), the root of a new trace. `attributes` become
   * the span's own (give a fresh object).
   */
  startChild(requestId: string, fn: string | undefined, name: string, kind: number, attributes: Attributes): RecordedSpan {
    const run = this.#runs.find(requestId);
    const tracer = this.#sdk.tracer;
    const span =
      run === undefined
        ? tracer.startRoot(name, kind, undefined, undefined)
        : tracer.startChild((fn === undefined ? undefined : runningCall(run, fn)) ?? run.step ?? run.span, name, kind, undefined);
    return span.adoptAttributes(attributes);
  }

  /** The W3C headers (`traceparent`, and `tracestate` when there is one) of `span`. */
  inject(span: Span): Record<string, string> {
    const carrier: Record<string, string> = {};
    const api = this.#sdk.api;
    this.#sdk.propagator.inject(api.trace.setSpan(api.ROOT_CONTEXT, span), carrier, api.defaultTextMapSetter);
    return carrier;
  }

  /** The remote parent of the `traceparent`/`tracestate` of lower-cased headers; `undefined` without them. */
  #remoteParent(headers: Readonly<Record<string, string>>): SpanContext | undefined {
    if (headers['traceparent'] === undefined) return undefined;
    const api = this.#sdk.api;
    return api.trace.getSpanContext(this.#sdk.propagator.extract(api.ROOT_CONTEXT, headers, api.defaultTextMapGetter));
  }

  /**
   * The headers of a message published for the run of `requestId`: a producer span (`send <destination>`) under
   * the run, and its `traceparent`/`tracestate` in place of any the input carried (the headers of an output start as
   * a copy of the input's).
   */
  messageHeaders<H extends MessageHeader>(requestId: string, headers: readonly H[], target: MessageTarget): (H | readonly [string, string])[] {
    const span = this.startChild(requestId, undefined, `send ${target.destination}`, SPAN_KIND.producer, {
      'messaging.system': target.system,
      'messaging.destination.name': target.destination,
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'e2rx.message.role': target.role,
      'e2rx.request.id': requestId,
    });
    const trace = this.inject(span);
    span.end();
    const out: (H | readonly [string, string])[] = headers.filter(([name]) => {
      const lower = name.toLowerCase();
      return lower !== 'traceparent' && lower !== 'tracestate';
    });
    for (const name in trace) out.push([name, trace[name] as string]);
    return out;
  }

  /** Exports every span ended so far. An export that fails is logged, never thrown: traces never stop the app. */
  async flush(): Promise<void> {
    await this.#sdk.forceFlush().catch((error: unknown) => this.exportFailed(error));
  }

  /**
   * Releases this engine's hold: the last holder exports what is left and turns tracing off. Never throws (see
   * flush).
   */
  async stop(): Promise<void> {
    if (activeTracing !== this) return;
    holders -= 1;
    if (holders > 0) {
      await this.flush();
      return;
    }
    activeTracing = undefined;
    await this.#sdk.shutdown().catch((error: unknown) => this.exportFailed(error));
  }

  /** Logs an export that failed (traces never stop the app). */
  exportFailed(error: unknown): void {
    this.#logger.warn({ err: error, url: this.config.url }, `tracing: spans could not be exported to ${this.config.url}: ${errorMessage(error)}`);
  }
}

/** The process's tracing, or `undefined` while tracing is off (the one test of the hot paths). */
export let activeTracing: Tracing | undefined = undefined;
/** How many engines hold {@link activeTracing} (a hot reload runs the old and the new version side by side). */
let holders = 0;

/**
 * Holds the process's tracing: the one on already (one holder more), else the one `create` makes, which becomes
 * {@link activeTracing}. Each holder releases it with {@link Tracing.stop}; the last one shuts it down.
 *
 * @example
 * ```ts
 * const tracing = holdTracing(() => new Tracing(sdk, config, logger));
 * ```
 */
export function holdTracing(create: () => Tracing): Tracing {
  if (activeTracing !== undefined) {
    holders += 1;
    return activeTracing;
  }
  activeTracing = create();
  holders = 1;
  return activeTracing;
}
