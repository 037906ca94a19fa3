/**
 * `Output`: what a function's `run` returns, its output bytes or an error with a code.
 *
 * @module
 */

import { toBytes } from "./ffi";

/**
 * The outcome of a function: output bytes, or an error with a code and a message.
 *
 * An error's code decides the HTTP status when it ends a request (200–599 is used as the status, anything else gives
 * 500) and is matched by the Directive's `onErr`.
 *
 * ```ts
 * export function run(input: ArrayBuffer): Output {
 *   const name = String.UTF8.decode(input);
 *   if (name.length == 0) return Output.err(400, "a name is required");
 *   return Output.ok("hello " + name);
 * }
 * ```
 */
export class Output {
  private constructor(
    /** Whether this is an error. */
    public readonly isError: bool,
    /** The output bytes (empty for an error). */
    public readonly value: ArrayBuffer,
    /** The error code (0 for an output). */
    public readonly code: i32,
    /** The error message (empty for an output). */
    public readonly message: string,
  ) {}

  /** A successful output: a string (sent as UTF-8), an `ArrayBuffer` or a `Uint8Array`. */
  static ok<T>(value: T): Output {
    return new Output(false, toBytes<T>(value), 0, "");
  }

  /** An error with a code (an HTTP status, by convention) and a message. */
  static err(code: i32, message: string): Output {
    return new Output(true, new ArrayBuffer(0), code, message);
  }
}
