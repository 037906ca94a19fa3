/**
 * The parts of an OTLP/protobuf span that the encoder (src/telemetry/otlp-protobuf.ts) writes without its caches:
 * times as nanoseconds since the epoch, events and links, and the span's flags.
 *
 * @module
 */
import type { Link } from '@opentelemetry/api';
import { attributes } from './otlp-attributes.js';
import { writer as w } from './protobuf-writer.js';
import { TIME_ORIGIN_NS, type RecordedEvent, type RecordedSpan } from './recorded-span.js';
import { hexWords } from './span-ids.js';

const TWO_32 = 4294967296;
/** `performance.timeOrigin` in nanoseconds since the epoch, as two 32-bit halves. */
const ORIGIN_HIGH = Number(TIME_ORIGIN_NS >> 32n);
const ORIGIN_LOW = Number(TIME_ORIGIN_NS & 0xffffffffn);
/** The `Span.flags` bits of the OTLP specification: the parent's remoteness is known, and it is remote. */
const FLAGS_HAS_IS_REMOTE = 0x100;
const FLAGS_IS_REMOTE = 0x200;

/** The `Span.flags` of `span`: its trace flags, and whether its parent is remote. */
export function spanFlags(span: RecordedSpan): number {
  return (span.traceFlags & 0xff) | FLAGS_HAS_IS_REMOTE | (span.remoteParent ? FLAGS_IS_REMOTE : 0);
}

/** A span's event (`Span.events`, field 11). */
export function writeEvent(event: RecordedEvent): void {
  w.tag(11, 2);
  const at = w.begin();
  w.ensure(9);
  w.buf[w.pos++] = 0x09;
  writeTime(event.time);
  w.tag(2, 2);
  w.string(event.name);
  if (event.attributes !== undefined) attributes(3, event.attributes, undefined);
  w.tag(4, 0);
  w.varint(0);
  w.finish(at);
}

/** A span's link (`Span.links`, field 13). */
export function writeLink(link: Link): void {
  w.tag(13, 2);
  const at = w.begin();
  w.ensure(30);
  w.buf[w.pos++] = 0x0a;
  w.buf[w.pos++] = 16;
  for (const part of hexWords(link.context.traceId, 4)) w.word(part);
  w.buf[w.pos++] = 0x12;
  w.buf[w.pos++] = 8;
  for (const part of hexWords(link.context.spanId, 2)) w.word(part);
  const traceState = link.context.traceState?.serialize();
  if (traceState) {
    w.tag(3, 2);
    w.string(traceState);
  }
  if (link.attributes !== undefined) attributes(4, link.attributes, undefined);
  w.tag(5, 0);
  w.varint(link.droppedAttributesCount ?? 0);
  w.tag(6, 5);
  w.ensure(4);
  w.pos = w.buf.writeUInt32LE((link.context.traceFlags & 0xff) | FLAGS_HAS_IS_REMOTE | (link.context.isRemote === true ? FLAGS_IS_REMOTE : 0), w.pos);
  w.finish(at);
}

/** A fixed64 of nanoseconds since the epoch, from `performance.now()` milliseconds (room ensured by the caller). */
export function writeTime(ms: number): void {
  const offset = Math.round(ms * 1e6);
  let high = Math.floor(offset / TWO_32);
  let low = offset - high * TWO_32 + ORIGIN_LOW;
  if (low >= TWO_32) {
    low -= TWO_32;
    high += 1;
  }
  high = (high + ORIGIN_HIGH) >>> 0;
  w.buf[w.pos++] = low & 0xff;
  w.buf[w.pos++] = (low >>> 8) & 0xff;
  w.buf[w.pos++] = (low >>> 16) & 0xff;
  w.buf[w.pos++] = low >>> 24;
  w.buf[w.pos++] = high & 0xff;
  w.buf[w.pos++] = (high >>> 8) & 0xff;
  w.buf[w.pos++] = (high >>> 16) & 0xff;
  w.buf[w.pos++] = high >>> 24;
}
