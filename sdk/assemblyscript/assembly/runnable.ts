/**
 * The module's side of an invocation: `allocate`/`deallocate` for the input buffer, `run_e` plumbing that hands the
 * input to the user's `run` and returns its outcome, and the handlers that `e2rx build` wires to AssemblyScript's
 * `abort`, `trace` and `seed` (`--use abort=...`).
 *
 * @module
 */

import { log_msg, return_abort, return_error, return_result, wasi_random_get } from "./env";
import { getIdent, len, ptr, setIdent, toBytes } from "./ffi";
import { Output } from "./output";
import { Result } from "./result";
import "./console";

/**
 * The error code the SDK gives to a `Result` that a `run` returned unsuccessfully (as the TinyGo SDK does for plain
 * errors).
 */
export const RESULT_ERROR_CODE: i32 = 500;

/** Exported as `allocate`: gives the host a buffer of `size` bytes to write the input into. */
export function allocate(size: i32): usize {
  return heap.alloc(<usize>size);
}

/** Exported as `deallocate`: frees a buffer handed out by {@link allocate}. */
export function deallocate(pointer: usize, size: i32): void {
  heap.free(pointer);
}

/**
 * Starts an invocation: remembers `ident` and copies the input out of the host's buffer into an `ArrayBuffer`.
 * Called by `run_e` before the user's `run`.
 */
export function begin(pointer: usize, size: i32, ident: i32): ArrayBuffer {
  setIdent(ident);
  const input = new ArrayBuffer(size);
  memory.copy(changetype<usize>(input), pointer, <usize>size);
  return input;
}

/**
 * Ends an invocation with what `run` returned: an {@link Output} (output or error), a `Result` (its value, or its
 * error with code 500), a string (UTF-8), an `ArrayBuffer` or a `Uint8Array`.
 */
export function finish<T>(outcome: T): void {
  if (!isReference<T>()) {
    ERROR("run must return an Output, a Result, a string, an ArrayBuffer or a Uint8Array");
  } else if (idof<T>() == idof<Output>()) {
    const out = changetype<Output>(outcome);
    if (out.isError) returnError(out.code, out.message);
    else returnResult(out.value);
  } else if (idof<T>() == idof<Result>()) {
    const res = changetype<Result>(outcome);
    if (res.isErr) returnError(RESULT_ERROR_CODE, res.error);
    else returnResult(res.value);
  } else {
    returnResult(toBytes<T>(outcome));
  }
}

/**
 * Runs one invocation of `fn`: what `run_e` does. Use it when writing `run_e` by hand:
 *
 * ```ts
 * export { allocate, deallocate } from "@e2rx/sdk-assemblyscript";
 * export function run_e(pointer: usize, size: i32, ident: i32): void {
 *   runE(pointer, size, ident, run);
 * }
 * ```
 */
export function runE<T>(pointer: usize, size: i32, ident: i32, fn: (input: ArrayBuffer) => T): void {
  finish<T>(fn(begin(pointer, size, ident)));
}

/** Sets the invocation's output (`return_result`); the first of `returnResult`/`returnError` wins on the host. */
export function returnResult(bytes: ArrayBuffer): void {
  return_result(ptr(bytes), len(bytes), getIdent());
}

/** Sets the invocation's error (`return_error`). */
export function returnError(code: i32, message: string): void {
  const bytes = String.UTF8.encode(message);
  return_error(code, ptr(bytes), len(bytes), getIdent());
}

/**
 * The `abort` of every module built by `e2rx build`: reports the failure through `return_abort` (the host makes it
 * error code -1, `runnable abort: <message>; file: <file>, line: <line>, col: <column>`) and traps.
 */
export function abortHandler(
  message: string | null = null,
  fileName: string | null = null,
  line: u32 = 0,
  column: u32 = 0,
): void {
  const msg = toBytes<string | null>(message);
  const file = toBytes<string | null>(fileName);
  return_abort(ptr(msg), len(msg), ptr(file), len(file), line, column, getIdent());
  unreachable();
}

/** The `trace` of every module built by `e2rx build`: logs the message and the numbers at level debug. */
export function traceHandler(
  message: string,
  n: i32 = 0,
  a0: f64 = 0,
  a1: f64 = 0,
  a2: f64 = 0,
  a3: f64 = 0,
  a4: f64 = 0,
): void {
  let text = "trace: " + message;
  if (n > 0) text += " " + a0.toString();
  if (n > 1) text += ", " + a1.toString();
  if (n > 2) text += ", " + a2.toString();
  if (n > 3) text += ", " + a3.toString();
  if (n > 4) text += ", " + a4.toString();
  const bytes = String.UTF8.encode(text);
  log_msg(ptr(bytes), len(bytes), 4, getIdent());
}

/**
 * The `seed` of `Math.random` in modules built by `e2rx build`: 8 random bytes from WASI `random_get` (AssemblyScript
 * reinterprets the returned f64 as the 64-bit seed).
 */
export function seedHandler(): f64 {
  const bytes = new ArrayBuffer(8);
  wasi_random_get(ptr(bytes), 8);
  return reinterpret<f64>(load<u64>(ptr(bytes)));
}
