/**
 * `http`: outgoing HTTP requests through the app's `http` capability.
 *
 * @module
 */

import { fetch_url } from "./env";
import { ffiResult, getIdent, len, ptr, toBytes } from "./ffi";
import { Result } from "./result";

/** The HTTP methods as the host numbers them (docs/reference/host-abi.md §7). */
export enum Method {
  GET = 0,
  HEAD = 1,
  OPTIONS = 2,
  POST = 3,
  PUT = 4,
  PATCH = 5,
  DELETE = 6,
}

/**
 * Sends a request with the host's `fetch_url`. Headers travel in the URL as `::Name:Value` segments, so neither a
 * name nor a value may contain `:`; such a header fails the call before anything is sent.
 */
export function fetch(method: Method, url: string, body: ArrayBuffer, headers: Map<string, string> | null): Result {
  let target = url;
  if (headers !== null) {
    const names = headers.keys();
    for (let i = 0; i < names.length; i++) {
      const name = unchecked(names[i]);
      const value = headers.get(name);
      if (name.includes(":")) return Result.err("header name '" + name + "' must not contain ':'");
      if (value.includes(":")) return Result.err("value of header '" + name + "' must not contain ':'");
      target += "::" + name + ":" + value;
    }
  }
  const u = String.UTF8.encode(target);
  return ffiResult(fetch_url(method, ptr(u), len(u), ptr(body), len(body), getIdent()));
}

/**
 * Outgoing HTTP requests. Each returns the response body for a 2xx status; any other status is an error
 * `"<status>: <body>"`, and a transport failure or a blocked host an error with the reason.
 *
 * ```ts
 * const headers = new Map<string, string>();
 * headers.set("accept", "application/json");
 * const res = http.get("https://api.example.com/users/1", headers);
 * if (res.isErr) return Output.err(502, res.error);
 * ```
 */
export abstract class http {
  /** A GET request. */
  static get(url: string, headers: Map<string, string> | null = null): Result {
    return fetch(Method.GET, url, new ArrayBuffer(0), headers);
  }

  /** A HEAD request. */
  static head(url: string, headers: Map<string, string> | null = null): Result {
    return fetch(Method.HEAD, url, new ArrayBuffer(0), headers);
  }

  /** An OPTIONS request. */
  static options(url: string, headers: Map<string, string> | null = null): Result {
    return fetch(Method.OPTIONS, url, new ArrayBuffer(0), headers);
  }

  /** A POST request with a body: a string (UTF-8), an `ArrayBuffer` or a `Uint8Array`. */
  static post<T>(url: string, body: T, headers: Map<string, string> | null = null): Result {
    return fetch(Method.POST, url, toBytes<T>(body), headers);
  }

  /** A PUT request with a body. */
  static put<T>(url: string, body: T, headers: Map<string, string> | null = null): Result {
    return fetch(Method.PUT, url, toBytes<T>(body), headers);
  }

  /** A PATCH request with a body. */
  static patch<T>(url: string, body: T, headers: Map<string, string> | null = null): Result {
    return fetch(Method.PATCH, url, toBytes<T>(body), headers);
  }

  /** A DELETE request. */
  static delete(url: string, headers: Map<string, string> | null = null): Result {
    return fetch(Method.DELETE, url, new ArrayBuffer(0), headers);
  }
}
