/**
 * `file`: the app's static files (`static/` in the app directory or the bundle).
 *
 * @module
 */

import { get_static_file } from "./env";
import { ffiResult, getIdent, len, ptr } from "./ffi";
import { Result } from "./result";

/**
 * Static files shipped with the app.
 *
 * ```ts
 * const page = file.getStatic("index.html");
 * ```
 */
export abstract class file {
  /** The bytes of `static/<name>`; an error when it does not exist or the `file` capability is off. */
  static getStatic(name: string): Result {
    const n = String.UTF8.encode(name);
    return ffiResult(get_static_file(ptr(n), len(n), getIdent()));
  }
}
