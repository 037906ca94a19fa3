/**
 * `util`: conversions between strings and bytes.
 *
 * @module
 */

import { toBytes, toText } from "./ffi";

/**
 * Conversions between text and bytes.
 *
 * ```ts
 * const name = util.toText(input);
 * return Output.ok(util.toBytes("hello " + name));
 * ```
 */
export abstract class util {
  /** Decodes UTF-8 bytes to a string. */
  static toText(bytes: ArrayBuffer): string {
    return toText(bytes);
  }

  /** Encodes a string as UTF-8 (an `ArrayBuffer` is returned as is, a `Uint8Array` copied). */
  static toBytes<T>(value: T): ArrayBuffer {
    return toBytes<T>(value);
  }
}
