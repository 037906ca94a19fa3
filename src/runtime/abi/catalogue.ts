/**
 * The catalogue of the 16 host functions of the Atmo / Sat ABI (docs/reference/host-abi.md §5): parameter counts, whether they return
 * an i32, whether they go through the bridge, and in which versions they existed.
 *
 * @module
 */

/** What one host function looks like to a guest. */
export interface HostFunctionSpec {
  /** Number of i32 parameters, ident included (Swift variants take two more). */
  readonly params: number;
  /** Whether it returns an i32. */
  readonly returns: boolean;
  /** Whether it needs the asynchronous {@link HostServices} (a bridge round trip in workers). */
  readonly async: boolean;
  /** Whether it is guarded by the single-pending rule of the FFI-result protocol (docs/reference/host-abi.md §4). */
  readonly ffi: boolean;
}

/** The 16 host functions, by import name (module `env`). */
export const HOST_FUNCTIONS = {
  return_result: { params: 3, returns: false, async: false, ffi: false },
  return_error: { params: 4, returns: false, async: false, ffi: false },
  return_abort: { params: 7, returns: false, async: false, ffi: false },
  get_ffi_result: { params: 2, returns: true, async: false, ffi: false },
  add_ffi_var: { params: 5, returns: true, async: false, ffi: false },
  fetch_url: { params: 6, returns: true, async: true, ffi: true },
  graphql_query: { params: 5, returns: true, async: true, ffi: true },
  cache_set: { params: 6, returns: true, async: true, ffi: false },
  cache_get: { params: 3, returns: true, async: true, ffi: true },
  log_msg: { params: 4, returns: false, async: false, ffi: false },
  request_get_field: { params: 4, returns: true, async: false, ffi: true },
  request_set_field: { params: 6, returns: true, async: false, ffi: true },
  resp_set_header: { params: 5, returns: false, async: false, ffi: false },
  get_static_file: { params: 3, returns: true, async: true, ffi: true },
  db_exec: { params: 4, returns: true, async: true, ffi: true },
  get_secret_value: { params: 3, returns: true, async: false, ffi: false },
} as const satisfies Record<string, HostFunctionSpec>;

/** The name of a host function. */
export type HostFunctionName = keyof typeof HOST_FUNCTIONS;

/** The import module of the host functions. */
export const HOST_MODULE = 'env';

/** The suffix of the SwiftWasm variants (two extra ignored i32 parameters). */
export const SWIFT_SUFFIX = '_swift';

/** The WASI import modules served by the WASI implementation (`wasi_unstable` is mapped onto preview 1). */
export const WASI_MODULES: readonly string[] = ['wasi_snapshot_preview1', 'wasi_unstable'];

/** Whether `name` is one of the 16 host functions. */
export function isHostFunction(name: string): name is HostFunctionName {
  return Object.hasOwn(HOST_FUNCTIONS, name);
}

/** The host function an `env` import names (`fetch_url` or `fetch_url_swift`), if any, and whether it is a Swift variant. */
export function resolveHostImport(name: string): { readonly host: HostFunctionName; readonly swift: boolean } | undefined {
  if (isHostFunction(name)) return { host: name, swift: false };
  if (name.endsWith(SWIFT_SUFFIX)) {
    const base = name.slice(0, -SWIFT_SUFFIX.length);
    if (isHostFunction(base)) return { host: base, swift: true };
  }
  return undefined;
}
