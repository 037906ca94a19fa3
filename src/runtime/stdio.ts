/**
 * Line buffering of a guest's WASI stdout / stderr: bytes go in, whole lines come out to a callback.
 *
 * @module
 */

/** The longest line kept before it is emitted unfinished. */
export const MAX_LINE_BYTES = 16 * 1024;

const decoder = new TextDecoder();

/**
 * Collects bytes and emits each complete line (without its `\n`); {@link flush} emits the unfinished rest.
 *
 * @example
 * ```ts
 * const out = new LineBuffer((line) => logger.info(line));
 * out.write(new TextEncoder().encode('hello\nwor'));  // emits "hello"
 * out.flush();                                        // emits "wor"
 * ```
 */
export class LineBuffer {
  #chunks: Uint8Array[] = [];
  #size = 0;

  constructor(readonly emit: (line: string) => void) {}

  /** Adds bytes (copied). */
  write(bytes: Uint8Array): void {
    let start = 0;
    for (;;) {
      const newline = bytes.indexOf(10, start);
      if (newline < 0) break;
      this.#push(bytes.subarray(start, newline));
      this.#emit();
      start = newline + 1;
    }
    if (start < bytes.length) this.#push(bytes.subarray(start));
  }

  /** Emits what is buffered, if anything. */
  flush(): void {
    if (this.#size > 0) this.#emit();
  }

  /** Drops what is buffered (the call that wrote it was abandoned). */
  discard(): void {
    this.#chunks = [];
    this.#size = 0;
  }

  #push(part: Uint8Array): void {
    let rest = part;
    while (rest.length > 0) {
      const room = MAX_LINE_BYTES - this.#size;
      this.#chunks.push(rest.slice(0, room));
      this.#size += Math.min(room, rest.length);
      rest = rest.subarray(room);
      if (this.#size >= MAX_LINE_BYTES) this.#emit();
    }
  }

  #emit(): void {
    const whole = new Uint8Array(this.#size);
    let offset = 0;
    for (const chunk of this.#chunks) {
      whole.set(chunk, offset);
      offset += chunk.length;
    }
    this.#chunks = [];
    this.#size = 0;
    const line = decoder.decode(whole);
    this.emit(line.endsWith('\r') ? line.slice(0, -1) : line);
  }
}
