/**
 * The guest half of the FFI protocol: the invocation's `ident`, UTF-8 and byte conversions, and the two-phase result
 * collection (docs/reference/host-abi.md §4).
 *
 * @module
 */

import { get_ffi_result } from "./env";
import { Result } from "./result";

/** The message the host's `-1` (nothing stored) turns into, as in the other SDKs. */
export const UNKNOWN_HOST_ERROR = "unknown error returned from host";

let currentIdent: i32 = 0;

/** Remembers the `ident` the host passed to `run_e`; every host call passes it back. */
export function setIdent(ident: i32): void {
  currentIdent = ident;
}

/** The `ident` of the invocation in progress (0 before the first `run_e`). */
export function getIdent(): i32 {
  return currentIdent;
}

/**
 * Converts a string (encoded as UTF-8), an `ArrayBuffer` (as is) or a `Uint8Array` (its viewed bytes) to bytes.
 * Any other type is a compile-time error. A `null` value gives empty bytes.
 */
export function toBytes<T>(value: T): ArrayBuffer {
  if (!isReference<T>()) {
    ERROR("expected a string, an ArrayBuffer or a Uint8Array");
    return new ArrayBuffer(0);
  }
  if (isNullable<T>()) {
    if (changetype<usize>(value) == 0) return new ArrayBuffer(0);
  }
  if (isString<T>()) {
    return String.UTF8.encode(changetype<string>(value));
  } else if (idof<T>() == idof<ArrayBuffer>()) {
    return changetype<ArrayBuffer>(value);
  } else if (idof<T>() == idof<Uint8Array>()) {
    const view = changetype<Uint8Array>(value);
    return view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
  } else {
    ERROR("expected a string, an ArrayBuffer or a Uint8Array");
    return new ArrayBuffer(0);
  }
}

/** Decodes UTF-8 bytes to a string (invalid sequences become U+FFFD). */
export function toText(bytes: ArrayBuffer): string {
  return String.UTF8.decode(bytes);
}

/** The address of a buffer's first byte, to pass to the host. */
// @ts-ignore: decorator
@inline
export function ptr(bytes: ArrayBuffer): usize {
  return changetype<usize>(bytes);
}

/** The length of a buffer, to pass to the host. */
// @ts-ignore: decorator
@inline
export function len(bytes: ArrayBuffer): i32 {
  return bytes.byteLength;
}

/**
 * Collects the result of an FFI host call that returned `size` (docs/reference/host-abi.md §4): `size >= 0` is a result of that many bytes,
 * `-1` is a host failure with nothing stored, any other negative size is an error message of `-size` bytes.
 * The pending slot is always collected (also for an empty result) so that the next host call may run.
 */
export function ffiResult(size: i32): Result {
  if (size == -1) return Result.err(UNKNOWN_HOST_ERROR);
  const isError = size < 0;
  const buffer = new ArrayBuffer(isError ? -size : size);
  if (get_ffi_result(ptr(buffer), currentIdent) != 0) return Result.err(UNKNOWN_HOST_ERROR);
  return isError ? Result.err(toText(buffer)) : Result.ok(buffer);
}
