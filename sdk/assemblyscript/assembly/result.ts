/**
 * `Result`: what a fallible host call gives back, bytes or an error message (AssemblyScript has no exceptions).
 *
 * @module
 */

/**
 * The outcome of a fallible host call: either `ok` with bytes in `value`, or not ok with a message in `error`.
 *
 * ```ts
 * const res = http.get("https://example.com/data");
 * if (res.isErr) return Output.err(502, res.error);
 * log.info(res.text());
 * ```
 */
export class Result {
  private constructor(
    /** Whether the call succeeded. */
    public readonly isOk: bool,
    /** The bytes the call produced; empty when it failed. */
    public readonly value: ArrayBuffer,
    /** The error message; empty when it succeeded. */
    public readonly error: string,
  ) {}

  /** A successful result holding `value`. */
  static ok(value: ArrayBuffer): Result {
    return new Result(true, value, "");
  }

  /** A failed result with a message. */
  static err(message: string): Result {
    return new Result(false, new ArrayBuffer(0), message);
  }

  /** Whether the call failed. */
  get isErr(): bool {
    return !this.isOk;
  }

  /** The value decoded as UTF-8 (empty when the call failed). */
  text(): string {
    return String.UTF8.decode(this.value);
  }

  /** The value; aborts the function (error code -1) with the error message when the call failed. */
  unwrap(): ArrayBuffer {
    if (!this.isOk) abort(this.error);
    return this.value;
  }

  /** The value, or `fallback` when the call failed. */
  unwrapOr(fallback: ArrayBuffer): ArrayBuffer {
    return this.isOk ? this.value : fallback;
  }
}
