/**
 * The host functions of the SE2 / Runnable ABI (Atmo v0.4.x, 16 functions), imported from module `env`.
 *
 * Every function takes only `i32` parameters; pointers are offsets into this module's exported `memory`; the last
 * parameter is always the invocation's `ident`, which the host passed to `run_e`. Functions marked FFI return a size
 * and leave their result in a one-slot buffer that `get_ffi_result` collects (see `ffi.ts`).
 *
 * These declarations are internal to the SDK: user code calls the namespaces (`req`, `http`, `log`, ...) instead.
 *
 * @module
 */

/** Sets the invocation's output. */
// @ts-ignore: decorator
@external("env", "return_result")
export declare function return_result(ptr: usize, size: i32, ident: i32): void;

/** Sets the invocation's error (a Runnable error with a code and a UTF-8 message). */
// @ts-ignore: decorator
@external("env", "return_error")
export declare function return_error(code: i32, ptr: usize, size: i32, ident: i32): void;

/** Reports an AssemblyScript `abort` (message, file, line, column); the host turns it into error code -1. */
// @ts-ignore: decorator
@external("env", "return_abort")
export declare function return_abort(
  msgPtr: usize,
  msgSize: i32,
  filePtr: usize,
  fileSize: i32,
  line: u32,
  column: u32,
  ident: i32,
): void;

/** Copies the pending FFI result (or error text) to `ptr` and clears it; 0 on success, -1 when nothing is pending. */
// @ts-ignore: decorator
@external("env", "get_ffi_result")
export declare function get_ffi_result(ptr: usize, ident: i32): i32;

/** Appends an ordered (name, value) variable for the next `db_exec`. */
// @ts-ignore: decorator
@external("env", "add_ffi_var")
export declare function add_ffi_var(namePtr: usize, nameSize: i32, valPtr: usize, valSize: i32, ident: i32): i32;

/** FFI: an HTTP request; `method` 0 GET, 1 HEAD, 2 OPTIONS, 3 POST, 4 PUT, 5 PATCH, 6 DELETE. */
// @ts-ignore: decorator
@external("env", "fetch_url")
export declare function fetch_url(method: i32, urlPtr: usize, urlSize: i32, bodyPtr: usize, bodySize: i32, ident: i32): i32;

/** FFI: a GraphQL query POSTed to `endpoint`. */
// @ts-ignore: decorator
@external("env", "graphql_query")
export declare function graphql_query(endpointPtr: usize, endpointSize: i32, queryPtr: usize, querySize: i32, ident: i32): i32;

/** Stores bytes in the cache for `ttl` seconds (0 = no expiry); 0 ok, -1 / -2 failure. */
// @ts-ignore: decorator
@external("env", "cache_set")
export declare function cache_set(keyPtr: usize, keySize: i32, valPtr: usize, valSize: i32, ttl: i32, ident: i32): i32;

/** FFI: reads bytes from the cache. */
// @ts-ignore: decorator
@external("env", "cache_get")
export declare function cache_get(keyPtr: usize, keySize: i32, ident: i32): i32;

/** Logs a message; `level` 1 error, 2 warn, 3 info, 4 debug. */
// @ts-ignore: decorator
@external("env", "log_msg")
export declare function log_msg(ptr: usize, size: i32, level: i32, ident: i32): void;

/** FFI: reads a field of the request (see `FieldType`). */
// @ts-ignore: decorator
@external("env", "request_get_field")
export declare function request_get_field(fieldType: i32, keyPtr: usize, keySize: i32, ident: i32): i32;

/** FFI: writes a field of the request (see `FieldType`). */
// @ts-ignore: decorator
@external("env", "request_set_field")
export declare function request_set_field(
  fieldType: i32,
  keyPtr: usize,
  keySize: i32,
  valPtr: usize,
  valSize: i32,
  ident: i32,
): i32;

/** Sets a response header. */
// @ts-ignore: decorator
@external("env", "resp_set_header")
export declare function resp_set_header(keyPtr: usize, keySize: i32, valPtr: usize, valSize: i32, ident: i32): void;

/** FFI: reads the app's `static/<name>` file. */
// @ts-ignore: decorator
@external("env", "get_static_file")
export declare function get_static_file(namePtr: usize, nameSize: i32, ident: i32): i32;

/** FFI: runs the named query of the Directive with the variables added by `add_ffi_var`; `queryType` 0 insert, 1 select, 2 update, 3 delete. */
// @ts-ignore: decorator
@external("env", "db_exec")
export declare function db_exec(queryType: i32, namePtr: usize, nameSize: i32, ident: i32): i32;

/** FFI (not guarded): the value of an allowed secret (an environment variable of the host), or empty. */
// @ts-ignore: decorator
@external("env", "get_secret_value")
export declare function get_secret_value(keyPtr: usize, keySize: i32, ident: i32): i32;

/** WASI: fills `len` bytes at `buf` with random data; used only by `Math.random` (see `runnable.ts`). */
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "random_get")
export declare function wasi_random_get(buf: usize, len: usize): u16;
