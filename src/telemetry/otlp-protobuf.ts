/**
 * OTLP/protobuf encoding of a batch of recorded spans: an `ExportTraceServiceRequest`
 * (`opentelemetry/proto/collector/trace/v1`) with one resource and one instrumentation scope, written straight from
 * the spans' words and numbers into one reused buffer, in one pass. The bytes are those the SDK's
 * `ProtobufTraceSerializer` writes for the same spans (same fields, same order; `specs/telemetry/otlp-protobuf.spec.ts`
 * compares them), without its per-span costs: ids are written from their 32-bit words (no hex strings and
 * `hexToBinary`), and the attributes a handler's every run shares (one object) are encoded once and copied after.
 *
 * A length-delimited field reserves one byte for its length and moves its content when the length needs more. An
 * attribute whose value repeats (`e2rx.run.outcome: ok`) is encoded once and copied after; a key that keeps getting
 * new values (`e2rx.request.id`) stops being cached after {@link CACHED_VALUES} of them.
 *
 * @module
 */
import type { Attributes, AttributeValue, Link } from '@opentelemetry/api';
import { TIME_ORIGIN_NS, type RecordedEvent, type RecordedSpan } from './recorded-span.js';
import type { SpanQueue } from './span-batcher.js';
import { hexWords } from './span-ids.js';

const TWO_32 = 4294967296;
/** How many values of one attribute key are kept encoded, and for how many keys at most. */
const CACHED_VALUES = 32;
const CACHED_KEYS = 1024;
/** The `Span.flags` bits of the OTLP specification: the parent's remoteness is known, and it is remote. */
const FLAGS_HAS_IS_REMOTE = 0x100;
const FLAGS_IS_REMOTE = 0x200;

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
   * The encoded spans (each a `ScopeSpans.spans` field), where each starts, and the first still waiting: the bytes
   * before it are dropped when the queue empties, or moved out when they are most of the buffer.
   */
  #queue = Buffer.allocUnsafe(64 * 1024);
  #end = 0;
  #starts: number[] = [];
  #first = 0;
  /** The resource and scope fields, encoded once. */
  readonly #resource: Uint8Array;
  readonly #scope: Uint8Array;
  /** Shared attribute objects, encoded (as repeated field 9 of a span). */
  readonly #shared = new WeakMap<Attributes, Uint8Array>();
  /** Encoded `KeyValue` fields 9 by key and value; `undefined` for a key whose values vary too much to cache. */
  readonly #pairs = new Map<string, Map<AttributeValue, Uint8Array> | undefined>();
  /** Encoded names (field 5). */
  readonly #names = new Map<string, Uint8Array>();
  /** `performance.timeOrigin` in nanoseconds since the epoch, as two 32-bit halves. */
  readonly #originHigh = Number(TIME_ORIGIN_NS >> 32n);
  readonly #originLow = Number(TIME_ORIGIN_NS & 0xffffffffn);

  constructor(what: EncoderScope) {
    buf = this.#queue;
    pos = 0;
    // Resource { attributes = 1; dropped_attributes_count = 2 }, as ResourceSpans.resource (field 1).
    tag(1, 2);
    let at = begin();
    attributes(1, what.resource, undefined);
    tag(2, 0);
    varint(0);
    finish(at);
    this.#resource = take();
    // InstrumentationScope { name = 1; version = 2 }, as ScopeSpans.scope (field 1).
    tag(1, 2);
    at = begin();
    tag(1, 2);
    string(what.scope.name);
    if (what.scope.version) {
      tag(2, 2);
      string(what.scope.version);
    }
    finish(at);
    this.#scope = take();
    this.#queue = buf;
  }

  /** How many spans wait. */
  get count(): number {
    return this.#starts.length - this.#first;
  }

  /** Encodes `span` at the end of the queue. */
  push(span: RecordedSpan): void {
    if (this.#first === this.#starts.length) {
      this.#end = 0;
      this.#starts.length = 0;
      this.#first = 0;
    }
    buf = this.#queue;
    pos = this.#end;
    this.#starts.push(pos);
    ensure(96);
    buf[pos++] = 0x12; // ScopeSpans.spans = 2
    const at = begin();
    this.#span(span);
    finish(at);
    this.#queue = buf;
    this.#end = pos;
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
    // (Room for the varints' `ensure`, which asks for 10 bytes each.)
    buf = Buffer.allocUnsafe(1 + varintSize(resourceSpans) + resourceSpans + 16);
    pos = 0;
    tag(1, 2);
    varint(resourceSpans);
    bytes(this.#resource);
    tag(2, 2);
    varint(scopeSpans);
    bytes(this.#scope);
    const request = buf.subarray(0, pos + cut - from);
    this.#queue.copy(request, pos, from, cut);
    this.#first = last;
    if (last > 0 && cut > this.#queue.length / 2) {
      // The spans left move to the front.
      this.#queue.copyWithin(0, cut, this.#end);
      this.#end -= cut;
      this.#starts = starts.slice(last).map((start) => start - cut);
      this.#first = 0;
    }
    return request;
  }

  /** The request of `spans` (with nothing queued before: for a batch at once). */
  encode(spans: readonly RecordedSpan[]): Uint8Array {
    for (const span of spans) this.push(span);
    return this.take(spans.length);
  }

  #span(span: RecordedSpan): void {
    // trace_id = 1, span_id = 2 (room ensured by the caller)
    buf[pos++] = 0x0a;
    buf[pos++] = 16;
    word(span.t0);
    word(span.t1);
    word(span.t2);
    word(span.t3);
    buf[pos++] = 0x12;
    buf[pos++] = 8;
    word(span.s0);
    word(span.s1);
    // trace_state = 3
    const traceState = span.traceState?.serialize();
    if (traceState) {
      tag(3, 2);
      string(traceState);
    }
    // parent_span_id = 4
    if (span.parent) {
      ensure(10);
      buf[pos++] = 0x22;
      buf[pos++] = 8;
      word(span.p0);
      word(span.p1);
    }
    // name = 5
    const name = this.#names.get(span.name);
    if (name === undefined) {
      const from = pos;
      tag(5, 2);
      string(span.name);
      if (this.#names.size < 4096) this.#names.set(span.name, copyOf(from));
    } else bytes(name);
    // kind = 6 (the API's kind + 1), start_time_unix_nano = 7, end_time_unix_nano = 8
    ensure(20);
    buf[pos++] = 0x30;
    buf[pos++] = span.kind + 1;
    buf[pos++] = 0x39;
    this.#time(span.start);
    buf[pos++] = 0x41;
    this.#time(span.endedAt);
    // attributes = 9: the shared ones (encoded once), then the span's own
    const own = span.own;
    const base = span.base;
    if (base !== undefined) {
      if (span.shadows) attributes(9, base, own);
      else {
        const encoded = this.#shared.get(base);
        if (encoded === undefined) {
          const from = pos;
          attributes(9, base, undefined);
          this.#shared.set(base, copyOf(from));
        } else bytes(encoded);
      }
    }
    if (own !== undefined) this.#ownAttributes(own);
    // dropped_attributes_count = 10
    ensure(2);
    buf[pos++] = 0x50;
    buf[pos++] = 0;
    // events = 11, dropped_events_count = 12
    if (span.events !== undefined) for (const event of span.events) this.#event(event);
    ensure(2);
    buf[pos++] = 0x60;
    buf[pos++] = 0;
    // links = 13, dropped_links_count = 14
    if (span.links !== undefined) for (const link of span.links) this.#link(link);
    ensure(6);
    buf[pos++] = 0x70;
    buf[pos++] = 0;
    // status = 15 { message = 2; code = 3 }
    buf[pos++] = 0x7a;
    if (span.statusMessage) {
      const status = begin();
      tag(2, 2);
      string(span.statusMessage);
      ensure(8);
      buf[pos++] = 0x18;
      buf[pos++] = span.statusCode;
      finish(status);
    } else {
      buf[pos++] = 2;
      buf[pos++] = 0x18;
      buf[pos++] = span.statusCode;
    }
    // flags = 16 (fixed32)
    ensure(6);
    buf[pos++] = 0x85;
    buf[pos++] = 0x01;
    const flags = (span.traceFlags & 0xff) | FLAGS_HAS_IS_REMOTE | (span.remoteParent ? FLAGS_IS_REMOTE : 0);
    buf[pos++] = flags & 0xff;
    buf[pos++] = (flags >>> 8) & 0xff;
    buf[pos++] = 0;
    buf[pos++] = 0;
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
        bytes(encoded);
        continue;
      }
      const from = pos;
      pair(9, key, value);
      if (values.size < CACHED_VALUES) values.set(value, copyOf(from));
      else this.#pairs.set(key, undefined);
    }
  }

  #event(event: RecordedEvent): void {
    tag(11, 2);
    const at = begin();
    ensure(9);
    buf[pos++] = 0x09;
    this.#time(event.time);
    tag(2, 2);
    string(event.name);
    if (event.attributes !== undefined) attributes(3, event.attributes, undefined);
    tag(4, 0);
    varint(0);
    finish(at);
  }

  #link(link: Link): void {
    tag(13, 2);
    const at = begin();
    ensure(30);
    buf[pos++] = 0x0a;
    buf[pos++] = 16;
    for (const part of hexWords(link.context.traceId, 4)) word(part);
    buf[pos++] = 0x12;
    buf[pos++] = 8;
    for (const part of hexWords(link.context.spanId, 2)) word(part);
    const traceState = link.context.traceState?.serialize();
    if (traceState) {
      tag(3, 2);
      string(traceState);
    }
    if (link.attributes !== undefined) attributes(4, link.attributes, undefined);
    tag(5, 0);
    varint(link.droppedAttributesCount ?? 0);
    tag(6, 5);
    ensure(4);
    pos = buf.writeUInt32LE((link.context.traceFlags & 0xff) | FLAGS_HAS_IS_REMOTE | (link.context.isRemote === true ? FLAGS_IS_REMOTE : 0), pos);
    finish(at);
  }

  /** A fixed64 of nanoseconds since the epoch, from `performance.now()` milliseconds (room ensured by the caller). */
  #time(ms: number): void {
    const offset = Math.round(ms * 1e6);
    let high = Math.floor(offset / TWO_32);
    let low = offset - high * TWO_32 + this.#originLow;
    if (low >= TWO_32) {
      low -= TWO_32;
      high += 1;
    }
    high = (high + this.#originHigh) >>> 0;
    buf[pos++] = low & 0xff;
    buf[pos++] = (low >>> 8) & 0xff;
    buf[pos++] = (low >>> 16) & 0xff;
    buf[pos++] = low >>> 24;
    buf[pos++] = high & 0xff;
    buf[pos++] = (high >>> 8) & 0xff;
    buf[pos++] = (high >>> 16) & 0xff;
    buf[pos++] = high >>> 24;
  }
}

// The writer: where it writes now (an encoder's queue, or a request), and how far.
let buf = Buffer.allocUnsafe(0);
let pos = 0;

/** Repeated `KeyValue` fields `field` of `attributes` (without the keys in `skip`). */
function attributes(field: number, attributes: Attributes, skip: Attributes | undefined): void {
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key) || (skip !== undefined && key in skip)) continue;
    pair(field, key, attributes[key]);
  }
}

/** One `KeyValue` field. */
function pair(field: number, key: string, value: AttributeValue | undefined | null): void {
  tag(field, 2);
  const at = begin();
  tag(1, 2);
  string(key);
  tag(2, 2);
  const valueAt = begin();
  anyValue(value);
  finish(valueAt);
  finish(at);
}

function anyValue(value: AttributeValue | undefined | null): void {
  if (typeof value === 'string') {
    tag(1, 2);
    string(value);
  } else if (typeof value === 'boolean') {
    tag(2, 0);
    varint(value ? 1 : 0);
  } else if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= -9223372036854775808 && value < 9223372036854775808) {
      tag(3, 0);
      varint(value);
    } else {
      tag(4, 1);
      ensure(8);
      pos = buf.writeDoubleLE(value, pos);
    }
  } else if (Array.isArray(value)) {
    tag(5, 2);
    const array = begin();
    for (const item of value as readonly (string | number | boolean | null | undefined)[]) {
      tag(1, 2);
      const at = begin();
      anyValue(item);
      finish(at);
    }
    finish(array);
  }
}

/** A 32-bit word, big-endian (room ensured by the caller). */
function word(value: number): void {
  buf[pos++] = value >>> 24;
  buf[pos++] = (value >>> 16) & 0xff;
  buf[pos++] = (value >>> 8) & 0xff;
  buf[pos++] = value & 0xff;
}

function tag(field: number, wire: number): void {
  varint((field << 3) | wire);
}

/** A varint (int64 two's complement for negative numbers, as protobuf writes int64). */
function varint(value: number): void {
  ensure(10);
  if (value >= 0 && value < 128) {
    buf[pos++] = value;
    return;
  }
  let low: number;
  let high: number;
  if (value >= 0) {
    low = value >>> 0;
    high = Math.floor(value / TWO_32) >>> 0;
  } else {
    const abs = -value;
    low = ~(abs >>> 0) >>> 0;
    high = ~(Math.floor(abs / TWO_32) >>> 0) >>> 0;
    low = (low + 1) >>> 0;
    if (low === 0) high = (high + 1) >>> 0;
  }
  while (high !== 0) {
    buf[pos++] = (low & 0x7f) | 0x80;
    low = ((low >>> 7) | (high << 25)) >>> 0;
    high >>>= 7;
  }
  while (low > 0x7f) {
    buf[pos++] = (low & 0x7f) | 0x80;
    low >>>= 7;
  }
  buf[pos++] = low;
}

/** A length-delimited string (its tag written already). */
function string(text: string): void {
  const length = text.length;
  ensure(length * 3 + 1);
  const at = pos++;
  let i = 0;
  if (length < 128) {
    let p = pos;
    for (; i < length; i += 1) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) break;
      buf[p++] = code;
    }
    if (i === length) pos = p;
  }
  if (i !== length) pos += buf.write(text, pos, 'utf8');
  finish(at);
}

function bytes(data: Uint8Array): void {
  const length = data.length;
  ensure(length);
  if (length < 48) for (let i = 0; i < length; i += 1) buf[pos++] = data[i] as number;
  else {
    buf.set(data, pos);
    pos += length;
  }
}

/** Reserves the one byte of a length; {@link finish} writes it. */
function begin(): number {
  ensure(1);
  return pos++;
}

/** Writes the length of what was written since `at` was reserved, moving it when the length takes more bytes. */
function finish(at: number): void {
  const length = pos - at - 1;
  if (length < 0x80) {
    buf[at] = length;
    return;
  }
  const size = varintSize(length);
  ensure(size - 1);
  buf.copyWithin(at + size, at + 1, pos);
  pos += size - 1;
  let rest = length;
  let write = at;
  while (rest > 0x7f) {
    buf[write++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  buf[write] = rest;
}

function ensure(more: number): void {
  if (pos + more <= buf.length) return;
  const grown = Buffer.allocUnsafe(Math.max(buf.length * 2, pos + more));
  buf.copy(grown, 0, 0, pos);
  buf = grown;
}

function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

/** A copy of what was written from `from` on. */
function copyOf(from: number): Uint8Array {
  return new Uint8Array(buf.subarray(from, pos));
}

/** What was written since the start, copied out; the buffer starts again. */
function take(): Uint8Array {
  const written = copyOf(0);
  pos = 0;
  return written;
}
