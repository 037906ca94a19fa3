/**
 * One span as e2rx records it: an OpenTelemetry API `Span` whose data stays compact until it is exported: ids as
 * 32-bit words, times as numbers (`performance.now()` milliseconds), attributes as references (the attributes a
 * handler's every run shares are one object, encoded once per export batch shape; see `otlp-protobuf.ts`). Its
 * `SpanContext` (hex ids) is made only when asked for (propagation, a user's code). Ended, it goes to its
 * {@link SpanSink} (the batch queue); an unsampled span records nothing and goes nowhere, but has ids, so that the
 * trace context still goes on (not sampled) with what leaves.
 *
 * @module
 */
import type { Attributes, AttributeValue, Exception, Link, Span, SpanContext, SpanStatus, TimeInput, TraceState } from '@opentelemetry/api';
import { randomWord, wordHex } from './span-ids.js';

/** Where ended recorded spans go. */
export interface SpanSink {
  onEnd(span: RecordedSpan): void;
}

/** An event of a span (an exception, or a user's `addEvent`). */
export interface RecordedEvent {
  readonly name: string;
  /** `performance.now()` milliseconds. */
  readonly time: number;
  readonly attributes: Attributes | undefined;
}

/** `W3C` sampled flag. */
const SAMPLED = 1;
/** `SpanStatusCode` values (the API's enum, not loaded while tracing is off). */
const STATUS_UNSET = 0;
const STATUS_OK = 1;
const STATUS_ERROR = 2;

/** `performance.timeOrigin` (the zero of the `performance.now()` clock) in nanoseconds since the epoch. */
export const TIME_ORIGIN_NS = BigInt(Math.floor(performance.timeOrigin)) * 1_000_000n + BigInt(Math.round((performance.timeOrigin % 1) * 1e6));

/**
 * Milliseconds on the `performance.now()` clock of a time given to the API (epoch milliseconds, a `Date`, an
 * `HrTime` of the epoch, or `performance.now()` milliseconds as the SDK accepts them).
 */
export function clockOf(time: TimeInput | undefined): number {
  if (time === undefined) return performance.now();
  if (typeof time === 'number') return time < performance.timeOrigin ? time : time - performance.timeOrigin;
  if (time instanceof Date) return time.getTime() - performance.timeOrigin;
  return time[0] * 1000 + time[1] / 1e6 - performance.timeOrigin;
}

/** A span (see the module comment). Made by `SpanRecorder`, never directly. */
export class RecordedSpan implements Span {
  /** The trace id, four 32-bit words (signed integers, see `randomWord`), high first. */
  readonly t0: number;
  readonly t1: number;
  readonly t2: number;
  readonly t3: number;
  /** The span id, two words. */
  readonly s0: number;
  readonly s1: number;
  /** The parent's span id words; `parent` false for a root span. */
  readonly p0: number;
  readonly p1: number;
  readonly parent: boolean;
  /** Whether the parent came from another process (a `traceparent`). */
  readonly remoteParent: boolean;
  readonly traceFlags: number;
  readonly traceState: TraceState | undefined;
  name: string;
  readonly kind: number;
  /** Start and end, `performance.now()` milliseconds; `endedAt` is -1 until it ended. */
  readonly start: number;
  endedAt = -1;
  /** The attributes given at the start, shared (never written to). */
  readonly base: Attributes | undefined;
  /** The attributes set afterwards, this span's own. */
  own: Attributes | undefined = undefined;
  /**
   * Attributes after `own`, from an object shared with other spans and never written to (an outcome constant): the
   * encoder encodes such an object once. Merged into `own` when the span sets an attribute afterwards.
   */
  shared: Attributes | undefined = undefined;
  /** Whether `own` or `shared` sets a key of `base` (whose value then is not exported). */
  shadows = false;
  statusCode = 0;
  statusMessage: string | undefined = undefined;
  events: RecordedEvent[] | undefined = undefined;
  links: Link[] | undefined = undefined;
  readonly #sink: SpanSink | undefined;
  #context: SpanContext | undefined = undefined;

  constructor(
    sink: SpanSink | undefined,
    trace: { readonly t0: number; readonly t1: number; readonly t2: number; readonly t3: number },
    parent: { readonly s0: number; readonly s1: number } | undefined,
    remoteParent: boolean,
    traceFlags: number,
    traceState: TraceState | undefined,
    name: string,
    kind: number,
    base: Attributes | undefined,
    start: number,
  ) {
    this.#sink = sink;
    this.t0 = trace.t0;
    this.t1 = trace.t1;
    this.t2 = trace.t2;
    this.t3 = trace.t3;
    let s0 = randomWord();
    const s1 = randomWord();
    if ((s0 | s1) === 0) s0 = 1;
    this.s0 = s0;
    this.s1 = s1;
    this.parent = parent !== undefined;
    this.p0 = parent === undefined ? 0 : parent.s0;
    this.p1 = parent === undefined ? 0 : parent.s1;
    this.remoteParent = remoteParent;
    this.traceFlags = traceFlags;
    this.traceState = traceState;
    this.name = name;
    this.kind = kind;
    this.base = base;
    this.start = start;
  }

  /** Whether the span is sampled (recorded and exported). */
  get sampled(): boolean {
    return (this.traceFlags & SAMPLED) !== 0;
  }

  spanContext(): SpanContext {
    return (this.#context ??= {
      traceId: wordHex(this.t0) + wordHex(this.t1) + wordHex(this.t2) + wordHex(this.t3),
      spanId: wordHex(this.s0) + wordHex(this.s1),
      traceFlags: this.traceFlags,
      ...(this.traceState === undefined ? {} : { traceState: this.traceState }),
    });
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (this.endedAt < 0 && this.#sink !== undefined && value !== undefined && value !== null) {
      if (this.shared !== undefined) {
        this.own = { ...this.own, ...this.shared };
        this.shared = undefined;
      }
      (this.own ??= {})[key] = value;
      if (this.base !== undefined && key in this.base) this.shadows = true;
    }
    return this;
  }

  setAttributes(attributes: Attributes): this {
    if (this.endedAt < 0 && this.#sink !== undefined) {
      for (const key in attributes) {
        const value = attributes[key];
        if (value !== undefined && value !== null) this.setAttribute(key, value);
      }
    }
    return this;
  }

  /**
   * Takes `attributes` as this span's own (no copy): for a fresh object nobody else writes to, made for this span,
   * whose keys are none of the span's starting attributes. Only before any other attribute was set.
   */
  adoptAttributes(attributes: Attributes): this {
    if (this.own === undefined && this.#sink !== undefined) this.own = attributes;
    else this.setAttributes(attributes);
    return this;
  }

  /**
   * Takes `attributes`, an object shared by many spans and never written to (a frozen constant: an outcome, a
   * successful run's end), as attributes of this span after its own: the encoder encodes such an object once. Copied
   * into the span's own first if the span sets an attribute afterwards. Set one by one instead when the span has
   * shared attributes already or sets one of these keys.
   */
  adoptShared(attributes: Attributes): this {
    if (this.#sink === undefined || this.endedAt >= 0) return this;
    let plain = this.shared !== undefined;
    const own = this.own;
    if (own !== undefined) for (const key in attributes) if (key in own) plain = true;
    if (plain) return this.setAttributes(attributes);
    this.shared = attributes;
    if (this.base !== undefined) for (const key in attributes) if (key in this.base) this.shadows = true;
    return this;
  }

  addEvent(name: string, attributesOrStartTime?: Attributes | TimeInput, startTime?: TimeInput): this {
    if (this.endedAt >= 0 || this.#sink === undefined) return this;
    const timeGiven = typeof attributesOrStartTime === 'number' || attributesOrStartTime instanceof Date || Array.isArray(attributesOrStartTime);
    const attributes = timeGiven ? undefined : (attributesOrStartTime);
    (this.events ??= []).push({ name, time: clockOf(timeGiven ? (attributesOrStartTime) : startTime), attributes });
    return this;
  }

  addLink(link: Link): this {
    if (this.endedAt < 0 && this.#sink !== undefined) (this.links ??= []).push(link);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.endedAt >= 0 || this.#sink === undefined) return this;
    // As the SDK: OK is final, UNSET never replaces a status, a message only goes with ERROR.
    const code: number = status.code;
    if (this.statusCode === STATUS_OK || code === STATUS_UNSET) return this;
    this.statusCode = code;
    this.statusMessage = code === STATUS_ERROR ? status.message : undefined;
    return this;
  }

  updateName(name: string): this {
    if (this.endedAt < 0) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    this.endAt(endTime === undefined ? performance.now() : clockOf(endTime));
  }

  /** Ends the span at `time` (`performance.now()` milliseconds). */
  endAt(time: number): void {
    if (this.endedAt >= 0) return;
    this.endedAt = time < this.start ? this.start : time;
    this.#sink?.onEnd(this);
  }

  isRecording(): boolean {
    return this.#sink !== undefined && this.endedAt < 0;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else {
      const type = exception.name ?? (exception.code === undefined ? undefined : String(exception.code));
      if (type !== undefined) attributes['exception.type'] = type;
      if (exception.message !== undefined) attributes['exception.message'] = exception.message;
      if (exception.stack !== undefined) attributes['exception.stacktrace'] = exception.stack;
    }
    this.addEvent('exception', attributes, time);
  }
}
