/**
 * `secrets`: values of host environment variables that the Directive allows.
 *
 * @module
 */

import { get_secret_value } from "./env";
import { ffiResult, getIdent, len, ptr } from "./ffi";

/**
 * Secrets: environment variables of the server listed in `capabilities.secrets.env.allowedKeys`.
 *
 * ```ts
 * const token = secrets.get("API_TOKEN");
 * ```
 */
export abstract class secrets {
  /** The value of the secret `key`; `""` when it is not allowed or not set. */
  static get(key: string): string {
    const k = String.UTF8.encode(key);
    return ffiResult(get_secret_value(ptr(k), len(k), getIdent())).text();
  }
}
