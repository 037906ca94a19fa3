import { describe, expect, it } from 'vitest';
import { Ring } from '../../src/runtime/ring.js';

/** A writer and a reader end on the same shared memory. */
function pair(bytes: number): { writer: Ring; reader: Ring } {
  const writer = Ring.create(bytes);
  return { writer, reader: new Ring(writer.channel) };
}

const readText = (ring: Ring): string | undefined => {
  let text: string | undefined;
  ring.read((r) => (text = r.str()));
  return text;
};

describe('ring', () => {
  it('Ring - records come out in the order they went in, across the end of the buffer many times', () => {
    const { writer, reader } = pair(64);
    let sent = 0;
    let received = 0;
    const seqBefore = reader.seq;
    for (let round = 0; round < 200; round += 1) {
      // records of 4 to 27 payload bytes (at most half the ring), so that they end at every offset and wrap with and without a skip marker
      while (writer.write((w) => w.str('x'.repeat(sent % 24)))) sent += 1;
      const text = readText(reader);
      expect(text).toBe('x'.repeat(received % 24));
      received += 1;
    }
    while (received < sent) {
      expect(readText(reader)).toBe('x'.repeat(received % 24));
      received += 1;
    }
    expect(readText(reader)).toBeUndefined();
    expect(reader.seq - seqBefore).toBe(sent);
  });

  it('Ring - a record that does not fit is refused whole, and fits() says so beforehand', () => {
    const { writer, reader } = pair(64);
    expect(writer.fits(56)).toBe(true);
    expect(writer.fits(61)).toBe(false);
    expect(writer.write((w) => w.bytes(new Uint8Array(61)))).toBe(false);
    expect(writer.write((w) => w.bytes(new Uint8Array(20)))).toBe(true);
    expect(writer.write((w) => w.bytes(new Uint8Array(20)))).toBe(true);
    expect(writer.fits(20)).toBe(false);
    expect(writer.write((w) => w.bytes(new Uint8Array(20).fill(7)))).toBe(false);
    let first: Uint8Array | undefined;
    reader.read((r) => (first = r.bytes()));
    expect(first).toEqual(new Uint8Array(20));
    // the freed room is at the start: the next record skips the end of the buffer
    expect(writer.write((w) => w.bytes(new Uint8Array(20).fill(7)))).toBe(true);
    const rest: Uint8Array[] = [];
    while (reader.read((r) => rest.push(r.bytes())));
    expect(rest).toEqual([new Uint8Array(20), new Uint8Array(20).fill(7)]);
  });

  it('RecordWriter - strings (UTF-8), bytes and signed and unsigned words read back as written', () => {
    const { writer, reader } = pair(256);
    writer.write((w) => {
      w.str('héllo, 世界');
      w.bytes(new Uint8Array([1, 2, 3]));
      w.i32(-5);
      w.u32(0xfffffffe);
    });
    reader.read((r) => {
      expect(r.str()).toBe('héllo, 世界');
      expect(r.bytes()).toEqual(new Uint8Array([1, 2, 3]));
      expect(r.i32()).toBe(-5);
      expect(r.u32()).toBe(0xfffffffe);
    });
  });

  it('Ring - a reader waiting with waitAsync is woken by wake() after a write', async () => {
    const { writer, reader } = pair(64);
    const seen = reader.seq;
    const waiting = reader.waitAsync(seen);
    expect(waiting).toBeInstanceOf(Promise);
    writer.write((w) => w.str('ping'));
    writer.wake();
    await waiting;
    expect(readText(reader)).toBe('ping');
    // a record published since `seen` is there at once
    writer.write((w) => w.str('again'));
    expect(reader.waitAsync(seen)).toBeUndefined();
  });
});
