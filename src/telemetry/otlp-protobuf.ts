/**
 * OTLP/protobuf encoding of a batch of recorded spans: an `ExportTraceServiceRequest`
 * (`opentelemetry/proto/collector/trace/v1`) with one resource and one instrumentation scope, written straight from
 * the spans' words and numbers into the queue's buffer, in one pass, and taken off without a copy. The bytes are those the SDK's
 * `ProtobufTraceSerializer` writes for the same spans (same fields, same order; `specs/telemetry/otlp-protobuf.spec.ts`
 * compares them), without its per-span costs: ids are written from their 32-bit words (no hex strings and
 * `hexToBinary`), and the attributes a handler's every run shares (one object) are encoded once and copied after.
 *
 * The bytes are written with the protobuf writer (src/telemetry/protobuf-writer.ts), the attributes as OTLP
 * `KeyValue`s (src/telemetry/otlp-attributes.ts), times, events and links by src/telemetry/otlp-span-parts.ts. An attribute whose value repeats (`e2rx.run.outcome: ok`) is
 * encoded once and copied after; a key that keeps getting new values (`e2rx.request.id`) stops being cached after
 * {@link CACHED_VALUES} of them.
 *
 * @module
 */
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { attributes, pair } from './otlp-attributes.js';
import { spanFlags, writeEvent, writeLink, writeTime } from './otlp-span-parts.js';
import { varintSize, writer as w } from './protobuf-writer.js';
import type { RecordedSpan } from './recorded-span.js';
import type { SpanQueue } from './span-batcher.js';

/** How many values of one attribute key are kept encoded, and for how many keys at most. */
const CACHED_VALUES = 32;
const CACHED_KEYS = 1024;

/** How many shapes (names, kinds, outcomes, statuses) of spans with the same starting attributes get a template. */
const TEMPLATES_PER_SHAPE = 8;

/**
 * The encoded bytes of a common span shape, all but the ids, the parent, the times and the span's own attributes:
 * a handler's, step's or function's spans share their name, kind, starting attributes (one object), outcome and
 * flags, so most of their bytes are the same run after run. Its span is written as: ids, parent, `head`, times, `rest`,
 * and, when the span has attributes of its own (`own`), those and `tail`.
 */
interface SpanTemplate {
  readonly name: string;
  readonly kind: number;
  /** The span's shared own attributes (an outcome constant), or `undefined`. */
  readonly shared: Attributes | undefined;
  /** Whether the span has attributes of its own, not shared, written between `rest` and `tail`. */
  readonly own: boolean;
  readonly status: number;
  readonly flags: number;
  /** The name and kind fields and the start time's tag. */
  readonly head: Uint8Array;
  /** The starting attributes, and (without attributes of its own) the shared ones and the fields after them. */
  readonly rest: Uint8Array;
  /** The shared attributes and the fields after them, when the span has attributes of its own. */
  readonly tail: Uint8Array | undefined;
}

/** What every span of a batch shares: the resource's attributes and the instrumentation scope. */
export interface EncoderScope {
  readonly resource: Attributes;
  readonly scope: { readonly name: string; readonly version?: string };
}

/**
 * Encodes spans of one resource and scope (see the module comment) as they end, into a queue of encoded spans, and
 * takes requests of the oldest ones off it. A span is encoded when it ends, so that no span object outlives its run
 * (objects kept until an export are what the garbage collector pays for most).
 *
 * @example
 * ```ts
 * const encoder = new OtlpProtobufEncoder({ resource: { 'service.name': 'hello' }, scope: { name: 'e2rx' } });
 * encoder.push(span); // …
 * const body = encoder.take(encoder.count); // POST to …/v1/traces as application/x-protobuf
 * ```
 */
export class OtlpProtobufEncoder implements SpanQueue<Uint8Array> {
  /**
   * The encoded spans (each a `ScopeSpans.spans` field) after {@link HEADROOM} bytes kept free for the request's
   * header, where each starts, and the first still waiting. A request is taken off without copying its spans: its
   * header is written in the room before them, and the queue goes on in a new buffer (the spans left are copied there).
   */
  #queue: Buffer<ArrayBuffer>;
  #end: number;
  #starts: number[] = [];
  #first = 0;
  /** The room before the spans: the request's header at most (its two length-delimited fields and their lengths). */
  readonly #headroom: number;
  /** The size of the queue's buffer (the most it held so far, and some), so that the queue rarely grows it. */
  #capacity = 64 * 1024;
  /** The resource and scope fields, encoded once. */
  readonly #resource: Uint8Array;
  readonly #scope: Uint8Array;
  /** Shared attribute objects, encoded (as repeated field 9 of a span). */
  readonly #shared = new WeakMap<Attributes, Uint8Array>();
  /** Encoded `KeyValue` fields 9 by key and value; `undefined` for a key whose values vary too much to cache. */
  readonly #pairs = new Map<string, Map<AttributeValue, Uint8Array> | undefined>();
  /** The templates of the common span shapes (see {@link SpanTemplate}), by their starting attributes. */
  readonly #shapes = new WeakMap<Attributes, SpanTemplate[]>();
  /** Whether spans of a common shape are written from their template (off: the general encoder only, for specs). */
  readonly #templates: boolean;
  /** Encoded names (field 5). */
  readonly #names = new Map<string, Uint8Array>();

  constructor(what: EncoderScope, options: { readonly templates?: boolean } = {}) {
    this.#templates = options.templates ?? true;
    w.buf = Buffer.allocUnsafe(1024);
    w.pos = 0;
    // Resource { attributes = 1; dropped_attributes_count = 2 }, as ResourceSpans.resource (field 1).
    w.tag(1, 2);
    let at = w.begin();
    attributes(1, what.resource, undefined);
    w.tag(2, 0);
    w.varint(0);
    w.finish(at);
    this.#resource = w.take();
    // InstrumentationScope { name = 1; version = 2 }, as ScopeSpans.scope (field 1).
    w.tag(1, 2);
    at = w.begin();
    w.tag(1, 2);
    w.string(what.scope.name);
    if (what.scope.version) {
      w.tag(2, 2);
      w.string(what.scope.version);
    }
    w.finish(at);
    this.#scope = w.take();
    // Two tags, two lengths of at most 5 bytes, and the resource and scope.
    this.#headroom = 12 + this.#resource.length + this.#scope.length;
    this.#queue = Buffer.allocUnsafe(this.#capacity);
    this.#end = this.#headroom;
  }

  /** How many spans were written from a template (see {@link SpanTemplate}) so far. */
  templated = 0;

  /** How many spans wait. */
  get count(): number {
    return this.#starts.length - this.#first;
  }

  /** Encodes `span` at the end of the queue. */
  push(span: RecordedSpan): void {
    if (this.#first === this.#starts.length) {
      this.#end = this.#headroom;
      this.#starts.length = 0;
      this.#first = 0;
    }
    w.buf = this.#queue;
    w.pos = this.#end;
    this.#starts.push(w.pos);
    w.ensure(96);
    w.buf[w.pos++] = 0x12; // ScopeSpans.spans = 2
    // A span takes 128 bytes to 16 kB but for the smallest: two bytes for its length.
    const at = w.pos;
    w.pos += 2;
    this.#span(span);
    w.finishTwo(at);
    this.#queue = w.buf;
    this.#end = w.pos;
  }

  /** The request (`ExportTraceServiceRequest`) of the oldest `count` spans, taken off the queue. */
  take(count: number): Uint8Array {
    const starts = this.#starts;
    const first = this.#first;
    const last = first + Math.min(count, this.count);
    const from = first === starts.length ? this.#end : (starts[first] as number);
    const cut = last === starts.length ? this.#end : (starts[last] as number);
    const scopeSpans = this.#scope.length + cut - from;
    const resourceSpans = this.#resource.length + 1 + varintSize(scopeSpans) + scopeSpans;
    const header = 1 + varintSize(resourceSpans) + resourceSpans - (cut - from);
    // The header goes in the room just before the spans (`from` is the room's end: spans taken before are gone).
    const queue = this.#queue;
    if (from < header) throw new Error('the OTLP encoder lost its headroom');
    w.buf = queue;
    w.pos = from - header;
    w.tag(1, 2);
    w.varint(resourceSpans);
    w.bytes(this.#resource);
    w.tag(2, 2);
    w.varint(scopeSpans);
    w.bytes(this.#scope);
    const request = queue.subarray(from - header, cut);
    // The queue goes on in a new buffer, with the spans left (the request keeps the old one).
    this.#capacity = Math.max(this.#capacity, Math.ceil(this.#end * 1.25));
    const rest = this.#end - cut;
    const next = Buffer.allocUnsafe(Math.max(this.#capacity, this.#headroom + rest + 1024));
    if (rest > 0) queue.copy(next, this.#headroom, cut, this.#end);
    this.#queue = next;
    this.#end = this.#headroom + rest;
    const shift = cut - this.#headroom;
    this.#starts = last === starts.length ? [] : starts.slice(last).map((start) => start - shift);
    this.#first = 0;
    return request;
  }

  /** The request of `spans` (with nothing queued before: for a batch at once). */
  encode(spans: readonly RecordedSpan[]): Uint8Array {
    for (const span of spans) this.push(span);
    return this.take(spans.length);
  }

  #span(span: RecordedSpan): void {
    // trace_id = 1, span_id = 2 (room ensured by the caller)
    w.buf[w.pos++] = 0x0a;
    w.buf[w.pos++] = 16;
    w.word(span.t0);
    w.word(span.t1);
    w.word(span.t2);
    w.word(span.t3);
    w.buf[w.pos++] = 0x12;
    w.buf[w.pos++] = 8;
    w.word(span.s0);
    w.word(span.s1);
    const template = this.#templates ? this.#templateOf(span) : undefined;
    if (template !== undefined) {
      this.templated += 1;
      // The common shape: the parent, the times and the span's own attributes written into the template's bytes.
      w.ensure(10 + template.head.length);
      this.#parent(span);
      w.bytes(template.head);
      this.#times(span);
      if (template.tail === undefined) w.bytes(template.rest);
      else {
        w.bytes(template.rest);
        this.#ownAttributes(span.own as Attributes);
        w.bytes(template.tail);
      }
      return;
    }
    // trace_state = 3
    const traceState = span.traceState?.serialize();
    if (traceState) {
      w.tag(3, 2);
      w.string(traceState);
    }
    w.ensure(10);
    this.#parent(span);
    this.#head(span);
    this.#times(span);
    this.#attributes(span);
    this.#tail(span);
  }

  /**
   * The template of `span`'s shape (see {@link SpanTemplate}), made the first time it is seen; `undefined` for a span
   * that is not of a common shape (no starting attributes, a trace state, events, links, an error message, a starting
   * attribute set again), which the general encoder writes.
   */
  #templateOf(span: RecordedSpan): SpanTemplate | undefined {
    const base = span.base;
    if (base === undefined || span.shadows || span.traceState !== undefined || span.events !== undefined || span.links !== undefined || span.statusMessage !== undefined) return undefined;
    const shared = span.shared;
    const own = span.own !== undefined;
    const flags = spanFlags(span);
    let templates = this.#shapes.get(base);
    if (templates === undefined) this.#shapes.set(base, (templates = []));
    for (const template of templates) {
      if (template.name === span.name && template.kind === span.kind && template.shared === shared && template.own === own && template.status === span.statusCode && template.flags === flags) return template;
    }
    if (templates.length >= TEMPLATES_PER_SHAPE) return undefined;
    // Made by the general encoder's own pieces, in a scratch buffer (so that they cannot differ from what it writes).
    const buf = w.buf;
    const pos = w.pos;
    w.buf = Buffer.allocUnsafe(256);
    w.pos = 0;
    this.#head(span);
    const head = w.take();
    this.#sharedAttributes(base);
    // With attributes of its own, they go between the starting attributes and the shared ones.
    const before = own ? w.take() : undefined;
    if (shared !== undefined) this.#sharedAttributes(shared);
    this.#tail(span);
    const after = w.take();
    w.buf = buf;
    w.pos = pos;
    const template: SpanTemplate = { name: span.name, kind: span.kind, shared, own, status: span.statusCode, flags, head, rest: before ?? after, tail: before === undefined ? undefined : after };
    templates.push(template);
    return template;
  }

  /** parent_span_id = 4 (room ensured by the caller). */
  #parent(span: RecordedSpan): void {
    if (!span.parent) return;
    w.buf[w.pos++] = 0x22;
    w.buf[w.pos++] = 8;
    w.word(span.p0);
    w.word(span.p1);
  }

  /** name = 5, kind = 6 (the API's kind + 1), and the tag of start_time_unix_nano = 7. */
  #head(span: RecordedSpan): void {
    const name = this.#names.get(span.name);
    if (name === undefined) {
      const from = w.pos;
      w.tag(5, 2);
      w.string(span.name);
      if (this.#names.size < 4096) this.#names.set(span.name, w.copyOf(from));
    } else w.bytes(name);
    w.ensure(3);
    w.buf[w.pos++] = 0x30;
    w.buf[w.pos++] = span.kind + 1;
    w.buf[w.pos++] = 0x39;
  }

  /** start_time_unix_nano = 7 (its tag written by `#head`), end_time_unix_nano = 8. */
  #times(span: RecordedSpan): void {
    w.ensure(17);
    writeTime(span.start);
    w.buf[w.pos++] = 0x41;
    writeTime(span.endedAt);
  }

  /** attributes = 9: the shared ones (encoded once), then the span's own. */
  #attributes(span: RecordedSpan): void {
    const own = span.own;
    const base = span.base;
    if (base !== undefined) {
      if (span.shadows) attributes(9, base, own === undefined ? span.shared : span.shared === undefined ? own : { ...own, ...span.shared });
      else this.#sharedAttributes(base);
    }
    if (own !== undefined) this.#ownAttributes(own);
    // A constant object of many spans (an outcome) is encoded once.
    if (span.shared !== undefined) this.#sharedAttributes(span.shared);
  }

  /** The attributes of an object shared by many spans (never written to): encoded once. */
  #sharedAttributes(shared: Attributes): void {
    const encoded = this.#shared.get(shared);
    if (encoded === undefined) {
      const from = w.pos;
      attributes(9, shared, undefined);
      this.#shared.set(shared, w.copyOf(from));
    } else w.bytes(encoded);
  }

  /** The fields after the attributes: the dropped counts, events, links, status and flags. */
  #tail(span: RecordedSpan): void {
    // dropped_attributes_count = 10
    w.ensure(2);
    w.buf[w.pos++] = 0x50;
    w.buf[w.pos++] = 0;
    // events = 11, dropped_events_count = 12
    if (span.events !== undefined) for (const event of span.events) writeEvent(event);
    w.ensure(2);
    w.buf[w.pos++] = 0x60;
    w.buf[w.pos++] = 0;
    // links = 13, dropped_links_count = 14
    if (span.links !== undefined) for (const link of span.links) writeLink(link);
    w.ensure(6);
    w.buf[w.pos++] = 0x70;
    w.buf[w.pos++] = 0;
    // status = 15 { message = 2; code = 3 }
    w.buf[w.pos++] = 0x7a;
    if (span.statusMessage) {
      const status = w.begin();
      w.tag(2, 2);
      w.string(span.statusMessage);
      w.ensure(8);
      w.buf[w.pos++] = 0x18;
      w.buf[w.pos++] = span.statusCode;
      w.finish(status);
    } else {
      w.buf[w.pos++] = 2;
      w.buf[w.pos++] = 0x18;
      w.buf[w.pos++] = span.statusCode;
    }
    // flags = 16 (fixed32)
    w.ensure(6);
    w.buf[w.pos++] = 0x85;
    w.buf[w.pos++] = 0x01;
    const flags = spanFlags(span);
    w.buf[w.pos++] = flags & 0xff;
    w.buf[w.pos++] = (flags >>> 8) & 0xff;
    w.buf[w.pos++] = 0;
    w.buf[w.pos++] = 0;
  }

  /** A span's own attributes: a pair seen before is copied from the cache. */
  #ownAttributes(own: Attributes): void {
    for (const key in own) {
      const value = own[key];
      if (value === undefined || value === null) continue;
      let values = this.#pairs.get(key);
      if (values === undefined) {
        if (this.#pairs.has(key) || typeof value === 'object' || this.#pairs.size >= CACHED_KEYS) {
          pair(9, key, value);
          continue;
        }
        this.#pairs.set(key, (values = new Map()));
      }
      const encoded = values.get(value);
      if (encoded !== undefined) {
        w.bytes(encoded);
        continue;
      }
      const from = w.pos;
      pair(9, key, value);
      if (values.size < CACHED_VALUES) values.set(value, w.copyOf(from));
      else this.#pairs.set(key, undefined);
    }
  }
}
