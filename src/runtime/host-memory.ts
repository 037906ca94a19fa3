/**
 * The bound on what one call holds on the host: the state values and request fields it sets, the response headers,
 * the FFI variables and the log lines it emits live outside its linear memory (and outside a worker's heap cap), so
 * they are counted against the function's memory limit (`limits.maxMemoryMb`). Past it the host function throws
 * {@link HostMemoryExceeded}, which stops the guest; the call fails with `E2RX_HOST_MEMORY` and its instance is
 * discarded.
 *
 * @module
 */

const MIB = 1024 * 1024;

/** What the message lists as held on the host. */
const HELD = 'state, response headers, FFI variables, logs';

/**
 * The bytes a call may hold on the host: its memory limit, the same number that caps its linear memory.
 *
 * @example
 * ```ts
 * hostBudgetBytes(256); // 268435456
 * ```
 */
export function hostBudgetBytes(maxMemoryMb: number): number {
  return maxMemoryMb * MIB;
}

/**
 * Thrown by a host function when the call would hold more than its budget on the host. Like a `GuestFault`, it
 * unwinds the guest; the instance classifies it as `E2RX_HOST_MEMORY`.
 *
 * @example
 * ```ts
 * throw new HostMemoryExceeded(300 * 1024 * 1024, hostBudgetBytes(256));
 * // the call holds 314,572,800 bytes on the host (state, response headers, FFI variables, logs), above its memory limit of 256 MiB
 * ```
 */
export class HostMemoryExceeded extends Error {
  override readonly name = 'HostMemoryExceeded';

  constructor(
    /** The bytes the call would hold. */
    readonly held: number,
    /** The budget, in bytes. */
    readonly budget: number,
  ) {
    super(
      `the call holds ${held.toLocaleString('en-US')} bytes on the host (${HELD}), above its memory limit of ${(budget / MIB).toLocaleString('en-US')} MiB`,
    );
  }
}
