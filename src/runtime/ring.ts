/**
 * A one-way queue of byte records in shared memory, between two threads: one writer, one reader. The writer appends
 * a record and bumps a sequence word; a reader that found the queue empty sleeps on that word (`Atomics.wait` in a
 * worker, `Atomics.waitAsync` on the main thread) and is woken by `Atomics.notify`.
 *
 * Layout: a data buffer of {@link RING_BYTES} bytes (a power of two) and three control words: `HEAD` (bytes ever
 * written), `TAIL` (bytes ever read), both modulo 2^32, and `SEQ` (records ever published). A record is
 * `[length:u32][payload]`, padded to 4 bytes, and never wraps: when it does not fit before the end of the buffer,
 * the writer fills the rest with a skip marker and starts again at 0. A writer that finds the ring full can sleep
 * until the reader frees room ({@link Ring.waitForRoom}, woken by {@link Ring.freed}).
 *
 * @module
 */

/** The shared memory of one ring, handed to the other thread. */
export interface RingChannel {
  readonly control: SharedArrayBuffer;
  readonly data: SharedArrayBuffer;
}

/** The default data size of a ring (a power of two). */
export const RING_BYTES = 1 << 20;

const HEAD = 0;
const TAIL = 1;
const SEQ = 2;
const SKIP = 0xffffffff;

/** Thrown by a {@link RecordWriter} whose record does not fit. */
class Full extends Error {}

/**
 * Writes the fields of one record, little-endian, into the ring's buffer between `offset` and `limit` (set by the
 * ring); a field that does not fit makes the ring refuse the whole record.
 *
 * @example
 * ```ts
 * ring.write((w) => {
 *   w.u32(7);
 *   w.str('hello');
 *   w.bytes(body);
 * });
 * ```
 */
export class RecordWriter {
  offset = 0;
  limit = 0;
  constructor(readonly buffer: Buffer) {}

  #room(bytes: number): void {
    if (this.offset + bytes > this.limit) throw new Full();
  }

  /** An unsigned 32-bit word. */
  u32(value: number): void {
    this.#room(4);
    this.buffer.writeUInt32LE(value >>> 0, this.offset);
    this.offset += 4;
  }

  /** A signed 32-bit word. */
  i32(value: number): void {
    this.#room(4);
    this.buffer.writeInt32LE(value | 0, this.offset);
    this.offset += 4;
  }

  /** A string: its UTF-8 length, then its bytes. */
  str(value: string): void {
    // A UTF-8 string takes at most 3 bytes per UTF-16 unit.
    if (this.offset + 4 + value.length * 3 > this.limit) this.#room(4 + Buffer.byteLength(value));
    const written = this.buffer.write(value, this.offset + 4, 'utf8');
    this.buffer.writeUInt32LE(written, this.offset);
    this.offset += 4 + written;
  }

  /** Overwrites the u32 at `at` (a count known only after its items were written). */
  patch(at: number, value: number): void {
    this.buffer.writeUInt32LE(value >>> 0, at);
  }

  /** Bytes: their length, then the bytes. */
  bytes(value: Uint8Array): void {
    this.#room(4 + value.length);
    this.buffer.writeUInt32LE(value.length, this.offset);
    this.buffer.set(value, this.offset + 4);
    this.offset += 4 + value.length;
  }
}

/**
 * Reads the fields of one record in the order they were written; `bytes()` copies them out of shared memory.
 *
 * @example
 * ```ts
 * ring.read((r) => console.log(r.u32(), r.str(), r.bytes()));
 * ```
 */
export class RecordReader {
  offset = 0;
  constructor(readonly buffer: Buffer) {}

  u32(): number {
    const value = this.buffer.readUInt32LE(this.offset);
    this.offset += 4;
    return value;
  }

  i32(): number {
    const value = this.buffer.readInt32LE(this.offset);
    this.offset += 4;
    return value;
  }

  str(): string {
    const length = this.u32();
    const value = this.buffer.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  /** A copy of the bytes, with a buffer of its own. */
  bytes(): Uint8Array {
    const length = this.u32();
    const value = new Uint8Array(length);
    value.set(this.buffer.subarray(this.offset, this.offset + length));
    this.offset += length;
    return value;
  }
}

const align = (n: number): number => (n + 3) & ~3;

/** `Atomics.waitAsync` (ES2024, in Node since 16), typed here: the project's `lib` predates it. */
const atomics = Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
};

/**
 * One end of a ring.
 *
 * @example
 * ```ts
 * const ring = Ring.create();
 * ring.write((w) => w.str('hello'));                       // on one thread
 * new Ring(channel).read((r) => console.log(r.str()));    // on the other
 * ```
 */
export class Ring {
  readonly channel: RingChannel;
  readonly #control: Int32Array;
  readonly #buffer: Buffer;
  readonly #size: number;
  readonly #writer: RecordWriter;
  readonly #reader: RecordReader;

  constructor(channel: RingChannel) {
    this.channel = channel;
    this.#control = new Int32Array(channel.control);
    this.#buffer = Buffer.from(channel.data);
    this.#size = channel.data.byteLength;
    this.#writer = new RecordWriter(this.#buffer);
    this.#reader = new RecordReader(this.#buffer);
  }

  /** A new ring of `bytes` (a power of two). */
  static create(bytes = RING_BYTES): Ring {
    return new Ring({ control: new SharedArrayBuffer(16), data: new SharedArrayBuffer(bytes) });
  }

  /** The size of the data buffer. */
  get size(): number {
    return this.#size;
  }

  /** Whether a record of up to `bytes` (payload) would fit now. */
  fits(bytes: number): boolean {
    const head = Atomics.load(this.#control, HEAD) >>> 0;
    const free = this.#size - ((head - (Atomics.load(this.#control, TAIL) >>> 0)) >>> 0);
    const toEnd = this.#size - (head & (this.#size - 1));
    const need = align(4 + bytes);
    return need <= Math.min(toEnd, free) || (free > toEnd && need <= free - toEnd);
  }

  /** Records published so far (what a sleeping reader waits on). */
  get seq(): number {
    return Atomics.load(this.#control, SEQ);
  }

  /**
   * Appends one record written by `fill`, and publishes it (without waking the reader: see {@link wake}). Returns
   * false, writing nothing, when it does not fit in the free space. A record never wraps, so only one of up to half
   * the ring is sure to fit in an empty ring.
   */
  write(fill: (writer: RecordWriter) => void): boolean {
    const control = this.#control;
    const head = Atomics.load(control, HEAD) >>> 0;
    const tail = Atomics.load(control, TAIL) >>> 0;
    const free = this.#size - ((head - tail) >>> 0);
    const at = head & (this.#size - 1);
    const toEnd = this.#size - at;
    // First try before the end of the buffer, then (skipping the rest) from the start.
    if (this.#fill(fill, at, Math.min(toEnd, free))) return this.#publish(head, this.#writer.offset - at);
    if (free <= toEnd) return false;
    if (!this.#fill(fill, 0, free - toEnd)) return false;
    if (toEnd >= 4) this.#buffer.writeUInt32LE(SKIP, at);
    return this.#publish(head, toEnd + this.#writer.offset);
  }

  #fill(fill: (writer: RecordWriter) => void, at: number, room: number): boolean {
    if (room < 8) return false;
    const writer = this.#writer;
    writer.offset = at + 4;
    writer.limit = at + room;
    try {
      fill(writer);
    } catch (error) {
      if (error instanceof Full) return false;
      throw error;
    }
    this.#buffer.writeUInt32LE(writer.offset - at - 4, at);
    writer.offset = at + align(writer.offset - at);
    return true;
  }

  #publish(head: number, bytes: number): true {
    Atomics.store(this.#control, HEAD, (head + bytes) | 0);
    Atomics.add(this.#control, SEQ, 1);
    return true;
  }

  /** Wakes a reader sleeping on {@link seq}. */
  wake(): void {
    Atomics.notify(this.#control, SEQ);
  }

  /** Reads the oldest record with `read` and frees it; returns false when the ring is empty. */
  read(read: (reader: RecordReader) => void): boolean {
    const control = this.#control;
    let tail = Atomics.load(control, TAIL) >>> 0;
    const head = Atomics.load(control, HEAD) >>> 0;
    if (head === tail) return false;
    let at = tail & (this.#size - 1);
    if (this.#size - at < 4 || this.#buffer.readUInt32LE(at) === SKIP) {
      tail = (tail + this.#size - at) >>> 0;
      at = 0;
    }
    const length = this.#buffer.readUInt32LE(at);
    const reader = this.#reader;
    reader.offset = at + 4;
    read(reader);
    Atomics.store(control, TAIL, (tail + align(4 + length)) | 0);
    return true;
  }

  /** Wakes a writer sleeping in {@link waitForRoom} (after reading). */
  freed(): void {
    Atomics.notify(this.#control, TAIL);
  }

  /** Blocks this thread until the reader frees some room, or `ms` pass. */
  waitForRoom(ms: number): void {
    Atomics.wait(this.#control, TAIL, Atomics.load(this.#control, TAIL), ms);
  }

  /** Blocks this thread until a record is published after `seen` (a worker's idle wait). */
  sleep(seen: number): void {
    Atomics.wait(this.#control, SEQ, seen);
  }

  /**
   * A promise that settles when a record is published after `seen` (the main thread's wait), or undefined when one
   * already was.
   */
  waitAsync(seen: number): Promise<unknown> | undefined {
    const waited = atomics.waitAsync(this.#control, SEQ, seen);
    return waited.async ? waited.value : undefined;
  }
}
