/**
 * The protobuf wire-format writer the OTLP encoder (src/telemetry/otlp-protobuf.ts) writes with: one buffer and a
 * position, varints (int64 two's complement for negative numbers), tags, length-delimited strings and bytes, and
 * lengths reserved before their content and written after it. It is the tracing hot path (every span is encoded when
 * it ends), so it allocates nothing per call but when the buffer grows, and there is one writer of one shape
 * ({@link writer}), pointed at the buffer to write into.
 *
 * A length-delimited field reserves one byte for its length ({@link ProtobufWriter.begin}) and moves its content when
 * the length needs more ({@link ProtobufWriter.finish}).
 *
 * @module
 */

const TWO_32 = 4294967296;

/**
 * Writes protobuf fields into {@link ProtobufWriter.buf} from {@link ProtobufWriter.pos} on, growing the buffer when
 * they do not fit (a grown buffer replaces `buf`: whoever owns the buffer takes it back after writing). Methods that say
 * "room ensured by the caller" write without checking: call {@link ProtobufWriter.ensure} first.
 *
 * @example
 * ```ts
 * writer.buf = Buffer.allocUnsafe(64);
 * writer.pos = 0;
 * writer.tag(1, 2);
 * const at = writer.begin();
 * writer.tag(1, 2);
 * writer.string('hello');
 * writer.finish(at);
 * const message = writer.take(); // 0a 07 0a 05 68 65 6c 6c 6f
 * ```
 */
export class ProtobufWriter {
  /** Where it writes now (an encoder's queue, or a request). */
  buf = Buffer.allocUnsafe(0);
  /** How far it has written. */
  pos = 0;

  /** A 32-bit word, big-endian (room ensured by the caller). */
  word(value: number): void {
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = value >>> 24;
    buf[pos++] = (value >>> 16) & 0xff;
    buf[pos++] = (value >>> 8) & 0xff;
    buf[pos++] = value & 0xff;
    this.pos = pos;
  }

  /** The tag of field `field` with wire type `wire` (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32). */
  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /** A varint (int64 two's complement for negative numbers, as protobuf writes int64). */
  varint(value: number): void {
    this.ensure(10);
    const buf = this.buf;
    if (value >= 0 && value < 128) {
      buf[this.pos++] = value;
      return;
    }
    let pos = this.pos;
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
    this.pos = pos;
  }

  /** A length-delimited string, UTF-8 (its tag written already). */
  string(text: string): void {
    const length = text.length;
    this.ensure(length * 3 + 1);
    const buf = this.buf;
    const at = this.pos++;
    let i = 0;
    if (length < 128) {
      let p = this.pos;
      for (; i < length; i += 1) {
        const code = text.charCodeAt(i);
        if (code >= 0x80) break;
        buf[p++] = code;
      }
      if (i === length) this.pos = p;
    }
    if (i !== length) this.pos += buf.write(text, this.pos, 'utf8');
    this.finish(at);
  }

  /** `data` as it is (an encoded field, or the content of one whose tag and length are written already). */
  bytes(data: Uint8Array): void {
    const length = data.length;
    this.ensure(length);
    const buf = this.buf;
    if (length < 16) {
      let pos = this.pos;
      for (let i = 0; i < length; i += 1) buf[pos++] = data[i] as number;
      this.pos = pos;
    } else {
      buf.set(data, this.pos);
      this.pos += length;
    }
  }

  /** Reserves the one byte of a length, and returns where it is; {@link ProtobufWriter.finish} writes it. */
  begin(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Writes the length of what was written since `at` was reserved, moving it when the length takes more bytes. */
  finish(at: number): void {
    const length = this.pos - at - 1;
    if (length < 0x80) {
      this.buf[at] = length;
      return;
    }
    const size = varintSize(length);
    this.ensure(size - 1);
    const buf = this.buf;
    buf.copyWithin(at + size, at + 1, this.pos);
    this.pos += size - 1;
    let rest = length;
    let write = at;
    while (rest > 0x7f) {
      buf[write++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    buf[write] = rest;
  }

  /**
   * Writes the length of what was written since the two bytes reserved at `at` (for content of 128 bytes to 16 kB,
   * whose length takes two): the content moves when its length takes one byte, or more than two.
   */
  finishTwo(at: number): void {
    const length = this.pos - at - 2;
    if (length < 0x80 || length >= 0x4000) {
      // Back to the one byte `finish` expects, then `finish`.
      this.buf.copyWithin(at + 1, at + 2, this.pos);
      this.pos -= 1;
      this.finish(at);
      return;
    }
    this.buf[at] = (length & 0x7f) | 0x80;
    this.buf[at + 1] = length >>> 7;
  }

  /** Makes room for `more` bytes, in a buffer twice as large (at least) when they do not fit. */
  ensure(more: number): void {
    if (this.pos + more <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + more));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** A copy of what was written from `from` on. */
  copyOf(from: number): Uint8Array {
    return new Uint8Array(this.buf.subarray(from, this.pos));
  }

  /** What was written since the start, copied out; the buffer starts again. */
  take(): Uint8Array {
    const written = this.copyOf(0);
    this.pos = 0;
    return written;
  }
}

/** How many bytes the varint of `value` (0 to 2³²-1) takes. */
export function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

/** The one writer (one object of one shape, so that the hot path's accesses stay monomorphic). */
export const writer = new ProtobufWriter();
