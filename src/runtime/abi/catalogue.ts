/**
 * The catalogue of the 16 host functions of the Atmo / Sat ABI (docs/reference/host-abi.md §5): parameter counts, whether they return
 * an i32, whether they go through the bridge, and in which versions they existed; and of e2rx's own host functions,
 * imported from module `e2rx` (docs/reference/host-abi.md#e2rx-host-functions).
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

/** The name of one of the 16 host functions of `env`. */
export type EnvFunctionName = keyof typeof HOST_FUNCTIONS;

/**
 * (e2rx) The host functions of e2rx's own import module ({@link E2RX_MODULE}), beyond Atmo's ABI, which stays as it
 * was under `env` (docs/reference/host-abi.md#e2rx-host-functions).
 */
export const E2RX_HOST_FUNCTIONS = {
  publish: { params: 10, returns: true, async: false, ffi: false },
} as const satisfies Record<string, HostFunctionSpec>;

/** (e2rx) The import module of e2rx's own host functions. */
export const E2RX_MODULE = 'e2rx';

/** The name of a host function, of `env` or of `e2rx` (their names do not overlap). */
export type HostFunctionName = EnvFunctionName | keyof typeof E2RX_HOST_FUNCTIONS;

/** The spec of a host function, of `env` or of `e2rx`. */
export function hostFunctionSpec(name: HostFunctionName): HostFunctionSpec {
  return name in E2RX_HOST_FUNCTIONS ? E2RX_HOST_FUNCTIONS[name as keyof typeof E2RX_HOST_FUNCTIONS] : HOST_FUNCTIONS[name as EnvFunctionName];
}

/** The import module of the host functions. */
export const HOST_MODULE = 'env';

/** The suffix of the SwiftWasm variants (two extra ignored i32 parameters). */
export const SWIFT_SUFFIX = '_swift';

/** The WASI import modules served by the WASI implementation (`wasi_unstable` is mapped onto preview 1). */
export const WASI_MODULES: readonly string[] = ['wasi_snapshot_preview1', 'wasi_unstable'];

/** Whether `name` is one of the 16 host functions. */
export function isHostFunction(name: string): name is EnvFunctionName {
  return Object.hasOwn(HOST_FUNCTIONS, name);
}

/**
 * The host function an import names, if any, and whether it is a Swift variant: an `env` import (`fetch_url` or
 * `fetch_url_swift`), or an `e2rx` import (`publish`; no Swift variants).
 */
export function resolveHostImport(module: string, name: string): { readonly host: HostFunctionName; readonly swift: boolean } | undefined {
  if (module === E2RX_MODULE) return Object.hasOwn(E2RX_HOST_FUNCTIONS, name) ? { host: name as HostFunctionName, swift: false } : undefined;
  if (module !== HOST_MODULE) return undefined;
  if (isHostFunction(name)) return { host: name, swift: false };
  if (name.endsWith(SWIFT_SUFFIX)) {
    const base = name.slice(0, -SWIFT_SUFFIX.length);
    if (isHostFunction(base)) return { host: base, swift: true };
  }
  return undefined;
}
