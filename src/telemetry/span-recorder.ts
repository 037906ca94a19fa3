/**
 * e2rx's tracer: an OpenTelemetry API `Tracer` that makes {@link RecordedSpan}s (compact, exported in batches) and
 * samples as the configured sampler does. The engine's hot path starts spans through {@link SpanRecorder.startRoot}
 * and {@link SpanRecorder.startChild}, which take their parent as a span (no `Context` made per span); code that uses
 * the API (`startSpan` with a context, `startActiveSpan`) gets the same spans.
 *
 * @module
 */
import type * as Api from '@opentelemetry/api';
import type { Attributes, Context, Span, SpanContext, SpanOptions, Tracer } from '@opentelemetry/api';
import { clockOf, RecordedSpan, type SpanSink } from './recorded-span.js';
import type { RootSampler } from './sampler.js';
import { hexWords, randomWord } from './span-ids.js';

/** The trace id words of a span. */
interface TraceWords {
  readonly t0: number;
  readonly t1: number;
  readonly t2: number;
  readonly t3: number;
}

/**
 * Starts spans (see the module comment).
 *
 * @example
 * ```ts
 * const recorder = new SpanRecorder(batcher, rootSampler('always_on', 1), api);
 * const run = recorder.startRoot('POST /hello', 1, handlerAttributes, undefined);
 * const step = recorder.startChild(run, 'step 1: fn hello', 0, stepAttributes);
 * step.end();
 * run.end();
 * ```
 */
export class SpanRecorder implements Tracer {
  constructor(
    readonly sink: SpanSink,
    readonly sample: RootSampler,
    readonly api: typeof Api,
  ) {}

  /**
   * A span without a local parent: under `remote` (a `traceparent`'s context) when there is one, else the root of a
   * new trace. `attributes` is kept as given (shared, never written to).
   */
  startRoot(name: string, kind: number, attributes: Attributes | undefined, remote: SpanContext | undefined, start = performance.now()): RecordedSpan {
    if (remote !== undefined && this.api.isSpanContextValid(remote)) {
      const [t0, t1, t2, t3] = hexWords(remote.traceId, 4) as [number, number, number, number];
      const [s0, s1] = hexWords(remote.spanId, 2) as [number, number];
      const sampled = this.sample(t0, t1, t2, t3, { sampled: (remote.traceFlags & 1) === 1 });
      return new RecordedSpan(sampled ? this.sink : undefined, { t0, t1, t2, t3 }, { s0, s1 }, remote.isRemote === true, sampled ? 1 : 0, remote.traceState, name, kind, attributes, start);
    }
    const trace: TraceWords = { t0: randomWord(), t1: randomWord(), t2: randomWord(), t3: randomWord() || 1 };
    const sampled = this.sample(trace.t0, trace.t1, trace.t2, trace.t3, undefined);
    return new RecordedSpan(sampled ? this.sink : undefined, trace, undefined, false, sampled ? 1 : 0, undefined, name, kind, attributes, start);
  }

  /** A span under `parent`, sampled as its parent is. `attributes` is kept as given (shared, never written to). */
  startChild(parent: RecordedSpan, name: string, kind: number, attributes: Attributes | undefined, start = performance.now()): RecordedSpan {
    return new RecordedSpan(parent.sampled ? this.sink : undefined, parent, parent, false, parent.traceFlags, parent.traceState, name, kind, attributes, start);
  }

  /** The API's `startSpan`: under the span of `context` (the active context when none is given). */
  startSpan(name: string, options: SpanOptions = {}, context: Context = this.api.context.active()): Span {
    const parent = options.root === true ? undefined : this.api.trace.getSpan(context);
    const kind = options.kind ?? 0;
    const start = options.startTime === undefined ? performance.now() : clockOf(options.startTime);
    const span = parent instanceof RecordedSpan ? this.startChild(parent, name, kind, undefined, start) : this.startRoot(name, kind, undefined, parent?.spanContext(), start);
    if (options.attributes !== undefined) span.setAttributes(options.attributes);
    if (options.links !== undefined) span.addLinks(options.links);
    return span;
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, context: Context, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    const fn = rest.at(-1) as F;
    const options = rest.length >= 2 ? (rest[0] as SpanOptions) : undefined;
    const context = rest.length >= 3 ? (rest[1] as Context) : this.api.context.active();
    const span = this.startSpan(name, options, context);
    return this.api.context.with(this.api.trace.setSpan(context, span), fn as (span: Span) => ReturnType<F>, undefined, span);
  }
}
