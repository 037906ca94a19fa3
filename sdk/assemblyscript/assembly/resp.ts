/**
 * `resp`: headers of the HTTP response.
 *
 * @module
 */

import { resp_set_header } from "./env";
import { getIdent, len, ptr } from "./ffi";

/**
 * The HTTP response of a request handler. Headers set by any step are applied to the response (last write wins).
 *
 * ```ts
 * resp.contentType("application/json");
 * resp.setHeader("x-served-by", "hello");
 * ```
 */
export abstract class resp {
  /** Sets a response header. */
  static setHeader(key: string, value: string): void {
    const k = String.UTF8.encode(key);
    const v = String.UTF8.encode(value);
    resp_set_header(ptr(k), len(k), ptr(v), len(v), getIdent());
  }

  /** Sets the response's `Content-Type` (otherwise it is `application/octet-stream`). */
  static contentType(value: string): void {
    resp.setHeader("Content-Type", value);
  }
}
