/**
 * A growable byte buffer that writes the parts of a WebAssembly binary: bytes, LEB128 integers, names and sections.
 *
 * @module
 */
import { leb } from './wasm-binary.js';

/**
 * A growable byte buffer.
 *
 * @example
 * ```ts
 * const out = new Writer();
 * out.name('name');
 * out.u32(300);
 * out.result(); // the bytes written so far
 * ```
 */
export class Writer {
  #bytes = new Uint8Array(1024);
  length = 0;

  #reserve(extra: number): void {
    if (this.length + extra <= this.#bytes.length) return;
    let size = this.#bytes.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#bytes.subarray(0, this.length));
    this.#bytes = grown;
  }

  /** Appends one byte. */
  byte(value: number): void {
    this.#reserve(1);
    this.#bytes[this.length++] = value;
  }

  /** Appends an unsigned LEB128 integer. */
  u32(value: number): void {
    for (const b of leb(value)) this.byte(b);
  }

  /** Appends `source[start..end)`. */
  bytes(source: Uint8Array | readonly number[], start = 0, end = source.length): void {
    const count = end - start;
    this.#reserve(count);
    if (source instanceof Uint8Array) this.#bytes.set(source.subarray(start, end), this.length);
    else for (let i = start; i < end; i += 1) this.#bytes[this.length + i - start] = source[i] as number;
    this.length += count;
  }

  /** Appends a name: its UTF-8 length, then its bytes. */
  name(text: string): void {
    const encoded = new TextEncoder().encode(text);
    this.u32(encoded.length);
    this.bytes(encoded);
  }

  /** Appends another writer's bytes as a vector payload of a section: id, size, payload. */
  section(id: number, payload: Writer): void {
    this.byte(id);
    this.u32(payload.length);
    this.bytes(payload.result());
  }

  /** The bytes written, a view of the buffer (valid until the next write). */
  result(): Uint8Array {
    return this.#bytes.subarray(0, this.length);
  }
}
