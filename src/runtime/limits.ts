/**
 * Per-call limits of the runtime and their defaults.
 *
 * @module
 */

/** Limits as given in the runtime options; every field optional. */
export interface RuntimeLimits {
  /** Wall-clock time a call may run before its worker is stopped (ms). */
  readonly timeoutMs?: number;
  /**
   * Linear memory an instance may grow to (MiB). Also bounds what one call holds on the host (state, request fields,
   * response headers, FFI variables, log lines): past it the call fails with `E2RX_HOST_MEMORY`.
   */
  readonly maxMemoryMb?: number;
  /** Largest input (request body) accepted (bytes). */
  readonly maxInputBytes?: number;
  /** Largest output a function may return (bytes). Also caps one `request_set_field` value. */
  readonly maxOutputBytes?: number;
}

/** Limits with every default applied. */
export type ResolvedLimits = Required<RuntimeLimits>;

/**
 * The default limits: 30 s per call (the group-step timeout of Atmo), 256 MiB of linear memory per instance,
 * 16 MiB in and out.
 */
export const DEFAULT_LIMITS: ResolvedLimits = {
  timeoutMs: 30_000,
  maxMemoryMb: 256,
  maxInputBytes: 16 * 1024 * 1024,
  maxOutputBytes: 16 * 1024 * 1024,
};

/** The number of 64 KiB WebAssembly pages in a memory limit given in MiB (at least 1). */
export function pagesOf(megabytes: number): number {
  return Math.max(1, Math.floor((megabytes * 1024 * 1024) / 65_536));
}

/**
 * Applies the defaults to the given limits.
 *
 * @example
 * ```ts
 * resolveLimits({ timeoutMs: 500 }).maxMemoryMb; // 256
 * ```
 */
export function resolveLimits(limits: RuntimeLimits = {}): ResolvedLimits {
  return {
    timeoutMs: limits.timeoutMs ?? DEFAULT_LIMITS.timeoutMs,
    maxMemoryMb: limits.maxMemoryMb ?? DEFAULT_LIMITS.maxMemoryMb,
    maxInputBytes: limits.maxInputBytes ?? DEFAULT_LIMITS.maxInputBytes,
    maxOutputBytes: limits.maxOutputBytes ?? DEFAULT_LIMITS.maxOutputBytes,
  };
}
