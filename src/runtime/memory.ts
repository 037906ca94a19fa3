/**
 * Access to a guest's linear memory from host functions, with bounds checks and views that follow `memory.grow`.
 *
 * @module
 */

/**
 * Thrown by host code when the guest passes a pointer or length outside its memory. The call fails as a trap
 * (`E2RX_WASM_TRAP`), like an out-of-bounds access inside the guest would.
 */
export class GuestFault extends Error {
  override readonly name = 'GuestFault';
}

import { copyBytes } from './request.js';

const decoder = new TextDecoder();

/**
 * The linear memory of one instance. Bound after instantiation (exported memories exist only then); views are
 * re-created whenever `memory.grow` replaced the underlying buffer. Growing detaches the old buffer (its views read
 * as empty), so a view that is not empty is current: `memory.buffer`, a call into V8's runtime, is read again only
 * then (and always for a shared memory, whose old buffers stay attached).
 *
 * @example
 * ```ts
 * const memory = new GuestMemory();
 * memory.bind(instance.exports.memory as WebAssembly.Memory);
 * const key = memory.string(ptr, size);
 * ```
 */
export class GuestMemory {
  #memory: WebAssembly.Memory | undefined;
  #buffer: ArrayBuffer | SharedArrayBuffer | undefined;
  #shared = false;
  #bytes = new Uint8Array(0);
  #view = new DataView(new ArrayBuffer(0));

  /** Attaches the instance's memory. */
  bind(memory: WebAssembly.Memory): void {
    this.#memory = memory;
    this.#refresh();
  }

  /** The memory, once bound. */
  get memory(): WebAssembly.Memory | undefined {
    return this.#memory;
  }

  /** The current size in bytes (0 before binding). */
  get byteLength(): number {
    return this.#memory === undefined ? 0 : this.bytes.length;
  }

  #refresh(): void {
    const memory = this.#memory;
    if (memory === undefined) throw new GuestFault('the guest memory is not available yet (host call during instantiation)');
    const buffer = memory.buffer;
    if (buffer !== this.#buffer) {
      this.#buffer = buffer;
      this.#shared = typeof SharedArrayBuffer === 'function' && buffer instanceof SharedArrayBuffer;
      this.#bytes = new Uint8Array(buffer);
      this.#view = new DataView(buffer);
    }
  }

  /** All of memory as bytes (current view). */
  get bytes(): Uint8Array {
    if (this.#bytes.length === 0 || this.#shared) this.#refresh();
    return this.#bytes;
  }

  /** All of memory as a DataView (current view). */
  get view(): DataView {
    if (this.#bytes.length === 0 || this.#shared) this.#refresh();
    return this.#view;
  }

  /** Throws {@link GuestFault} unless `[ptr, ptr+length)` lies inside memory; returns the unsigned pointer. */
  check(ptr: number, length: number): number {
    const start = ptr >>> 0;
    const size = length >>> 0;
    const total = this.bytes.length;
    if (start + size > total) throw new GuestFault(`out of bounds memory access: ${start}+${size} > ${total}`);
    return start;
  }

  /** A view of `[ptr, ptr+length)` without copying; valid until the guest runs again. */
  slice(ptr: number, length: number): Uint8Array {
    const start = this.check(ptr, length);
    // The constructor rather than `subarray` (no species lookup); `check` made the buffer current.
    return new Uint8Array(this.#bytes.buffer, start, length >>> 0);
  }

  /** A copy of `[ptr, ptr+length)` (see `allocBytes`). */
  copy(ptr: number, length: number): Uint8Array {
    return copyBytes(this.slice(ptr, length));
  }

  /** `[ptr, ptr+length)` decoded as UTF-8 (invalid sequences become U+FFFD, as Go's string conversion keeps bytes). */
  string(ptr: number, length: number): string {
    return decoder.decode(this.slice(ptr, length));
  }

  /** Writes bytes at `ptr`. */
  write(ptr: number, data: Uint8Array): void {
    const start = this.check(ptr, data.length);
    this.#bytes.set(data, start);
  }
}
