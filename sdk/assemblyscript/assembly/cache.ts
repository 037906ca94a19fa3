/**
 * `cache`: the app's cache (in memory or Redis, as the Directive's `capabilities.cache` says).
 *
 * @module
 */

import { cache_get, cache_set } from "./env";
import { UNKNOWN_HOST_ERROR, ffiResult, getIdent, len, ptr, toBytes } from "./ffi";
import { Result } from "./result";

/**
 * The app's key-value cache.
 *
 * ```ts
 * cache.set("greeting", "hello", 60);
 * const res = cache.get("greeting");
 * if (res.isOk) log.info(res.text());
 * ```
 */
export abstract class cache {
  /** Reads the bytes stored under `key`; an error `key not found` when there are none. */
  static get(key: string): Result {
    const k = String.UTF8.encode(key);
    return ffiResult(cache_get(ptr(k), len(k), getIdent()));
  }

  /**
   * Stores a string (UTF-8), an `ArrayBuffer` or a `Uint8Array` under `key` for `ttl` seconds (0: no expiry).
   * Fails when the cache refuses (the capability is off, `allowSet` is false, Redis failed).
   */
  static set<T>(key: string, value: T, ttl: i32 = 0): Result {
    const k = String.UTF8.encode(key);
    const v = toBytes<T>(value);
    const code = cache_set(ptr(k), len(k), ptr(v), len(v), ttl, getIdent());
    if (code == 0) return Result.ok(new ArrayBuffer(0));
    if (code == -2) return Result.err("the cache refused to store the value");
    return Result.err(UNKNOWN_HOST_ERROR);
  }
}
