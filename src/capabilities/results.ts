/**
 * Small constructors of {@link HostCallResult} values shared by the capabilities.
 *
 * @module
 */

import type { HostCallResult } from './host-services.js';

const encoder = new TextEncoder();

/** The error every disabled capability returns (docs/reference/capabilities.md). */
export const CAPABILITY_NOT_ENABLED = 'capability is not enabled';

/**
 * A successful result carrying UTF-8 text.
 *
 * @example
 * ```ts
 * textResult('{"lastInsertID":1,"rowsAffected":1}');
 * ```
 */
export function textResult(text: string): HostCallResult {
  return { kind: 'data', data: encoder.encode(text) };
}

/**
 * A failed result: the message is stored as the pending FFI error.
 *
 * @example
 * ```ts
 * errorResult('key not found');
 * ```
 */
export function errorResult(message: string): HostCallResult {
  return { kind: 'error', message };
}

/**
 * A bare status returned to the guest with nothing stored (-1 host failure, -2 invalid argument or refusal, 0 ok).
 *
 * @example
 * ```ts
 * statusResult(-2);
 * ```
 */
export function statusResult(status: number): HostCallResult {
  return { kind: 'status', status };
}
