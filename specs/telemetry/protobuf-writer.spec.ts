/**
 * The protobuf wire-format writer (src/telemetry/protobuf-writer.ts): varints (int64 two's complement for negative
 * numbers) read back by an independent decoder, tags, UTF-8 strings, lengths that take more than the byte reserved for
 * them (the content moves), and a buffer that grows without losing what was written.
 */
import { describe, expect, it } from 'vitest';
import { ProtobufWriter, varintSize } from '../../src/telemetry/protobuf-writer.js';

/** A writer on a fresh buffer of `size` bytes. */
function fresh(size = 64): ProtobufWriter {
  const w = new ProtobufWriter();
  w.buf = Buffer.allocUnsafe(size);
  w.pos = 0;
  return w;
}

/** The varint at `at` of `bytes`, as an unsigned 64-bit number, and where it ends. */
function readVarint(bytes: Uint8Array, at: number): { value: bigint; end: number } {
  let value = 0n;
  let shift = 0n;
  let i = at;
  for (;;) {
    const byte = bytes[i++] as number;
    value |= BigInt(byte & 0x7f) << shift;
    if (byte < 0x80) return { value, end: i };
    shift += 7n;
  }
}

describe('ProtobufWriter', () => {
  it('protobuf writer - writes varints that decode to the int64 value, negative ones as ten-byte two\'s complement', () => {
    const values = [0, 1, 127, 128, 300, 16383, 16384, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40, 2 ** 53 - 1, -1, -5, -128, -(2 ** 31), -(2 ** 32), -(2 ** 32) - 1, -(2 ** 53) + 1];
    const w = fresh(8);
    for (const value of values) w.varint(value);
    const bytes = w.take();
    let at = 0;
    for (const value of values) {
      const read = readVarint(bytes, at);
      expect(read.value, String(value)).toBe(BigInt.asUintN(64, BigInt(value)));
      if (value < 0) expect(read.end - at, String(value)).toBe(10);
      at = read.end;
    }
    expect(at).toBe(bytes.length);
    const one = fresh();
    one.varint(300);
    one.varint(-1);
    expect([...one.take()]).toEqual([0xac, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });

  it('protobuf writer - writes tags as field and wire type, and words big-endian', () => {
    const w = fresh();
    w.tag(1, 2);
    w.tag(16, 5);
    w.ensure(4);
    w.word(0x0af76519);
    expect([...w.take()]).toEqual([0x0a, 0x85, 0x01, 0x0a, 0xf7, 0x65, 0x19]);
  });

  it('protobuf writer - writes strings as their UTF-8 bytes after their length, short and long, ASCII or not', () => {
    const texts = ['', 'e2rx', 'spëc ✓ ütf-8 𝄞', 'x'.repeat(127), 'x'.repeat(128), 'ü'.repeat(100), 'a'.repeat(20000), `${'é'.repeat(90)}ascii after`];
    for (const text of texts) {
      const w = fresh(4);
      w.tag(1, 2);
      w.string(text);
      const bytes = Buffer.from(w.take());
      const utf8 = Buffer.from(text, 'utf8');
      expect(bytes[0]).toBe(0x0a);
      const length = readVarint(bytes, 1);
      expect(Number(length.value), text.slice(0, 10)).toBe(utf8.length);
      expect(length.end - 1).toBe(varintSize(utf8.length));
      expect(bytes.subarray(length.end).equals(utf8), text.slice(0, 10)).toBe(true);
    }
  });

  it('protobuf writer - a length past one byte moves the content after it, in nested fields too', () => {
    const w = fresh(16);
    w.tag(1, 2);
    const outer = w.begin();
    w.tag(2, 2);
    const inner = w.begin();
    const content = Buffer.alloc(20000, 7);
    content[0] = 1;
    content[content.length - 1] = 9;
    w.bytes(content);
    w.finish(inner);
    w.tag(3, 0);
    w.varint(5);
    w.finish(outer);
    const bytes = Buffer.from(w.take());
    const outerLength = readVarint(bytes, 1);
    expect(outerLength.end).toBe(1 + 3);
    expect(Number(outerLength.value)).toBe(bytes.length - outerLength.end);
    expect(bytes[outerLength.end]).toBe(0x12);
    const innerLength = readVarint(bytes, outerLength.end + 1);
    expect(Number(innerLength.value)).toBe(20000);
    expect(innerLength.end - outerLength.end - 1).toBe(3);
    expect(bytes.subarray(innerLength.end, innerLength.end + 20000).equals(content)).toBe(true);
    expect([...bytes.subarray(innerLength.end + 20000)]).toEqual([0x18, 5]);
    const short = fresh();
    const at = short.begin();
    short.bytes(Buffer.alloc(200, 3));
    short.finish(at);
    const written = short.take();
    expect([...written.subarray(0, 2)]).toEqual([0xc8, 0x01]);
    expect(written.length).toBe(202);
  });

  it('protobuf writer - grows its buffer keeping what was written; copyOf and take copy out, take starts again', () => {
    const w = fresh(4);
    const first = w.buf;
    for (let i = 0; i < 5000; i += 1) {
      w.tag(1, 0);
      w.varint(i);
    }
    expect(w.buf).not.toBe(first);
    expect(w.buf.length).toBeGreaterThanOrEqual(w.pos);
    const from = w.pos;
    w.tag(2, 2);
    w.string('tail');
    const tail = w.copyOf(from);
    expect([...tail]).toEqual([0x12, 4, ...Buffer.from('tail')]);
    const all = w.take();
    expect(w.pos).toBe(0);
    let at = 0;
    for (let i = 0; i < 5000; i += 1) {
      expect(all[at]).toBe(0x08);
      const read = readVarint(all, at + 1);
      expect(Number(read.value)).toBe(i);
      at = read.end;
    }
    expect(Buffer.from(all.subarray(at)).equals(Buffer.from(tail))).toBe(true);
    all[0] = 0xff;
    expect(w.buf[0]).toBe(0x08);
  });

  it('protobuf writer - varintSize counts the bytes of a length at each boundary', () => {
    for (const value of [0, 127, 128, 16383, 16384, 2097151, 2097152, 268435455, 268435456, 2 ** 32 - 1]) {
      const w = fresh();
      w.varint(value);
      expect(varintSize(value), String(value)).toBe(w.take().length);
    }
  });
});
