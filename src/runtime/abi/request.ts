/**
 * Host functions on the invocation's request: `request_get_field`, `request_set_field`, `resp_set_header`
 * (docs/reference/host-abi.md §5, field semantics in `request-fields.ts`).
 *
 * @module
 */
import { getField, setField } from './request-fields.js';
import type { HostFunction, InstanceContext } from './context.js';

/**
 * Builds the request host functions for one instance, gated by the `requestHandler` capability: when it is disabled
 * or `allowGetField` is false, gets return -1; when disabled or `allowSetField` is false, sets store the error
 * `capability is not enabled`. A value above `limits.maxOutputBytes` is refused with `value is too large`. What a set
 * adds (fields, state, response headers) counts against the call's host budget: past it the call fails with
 * `E2RX_HOST_MEMORY` (`host-memory.ts`).
 */
export function createRequestFunctions(context: InstanceContext): Record<string, HostFunction> {
  const rules = context.env.capabilities.requestHandler;
  return {
    request_get_field(fieldType: number, keyPtr: number, keySize: number, ident: number): number {
      return context.ffi(ident, 'request_get_field', (invocation) => {
        if (!rules.enabled || !rules.allowGetField) return { kind: 'status', status: -1 };
        const result = getField(invocation, fieldType, context.memory.string(keyPtr, keySize));
        if (result.kind === 'status' && fieldType > 5) {
          context.log('warn', `invalid field type: module requested field type ${fieldType}`, invocation);
        }
        return result;
      });
    },
    request_set_field(fieldType: number, keyPtr: number, keySize: number, valPtr: number, valSize: number, ident: number): number {
      return context.ffi(ident, 'request_set_field', (invocation) => {
        if (!rules.enabled || !rules.allowSetField) return { kind: 'error', message: 'capability is not enabled' };
        if (valSize >>> 0 > context.env.limits.maxOutputBytes) return { kind: 'error', message: 'value is too large' };
        return setField(invocation, fieldType, context.memory.string(keyPtr, keySize), context.memory.copy(valPtr, valSize));
      });
    },
    resp_set_header(keyPtr: number, keySize: number, valPtr: number, valSize: number, ident: number): void {
      const invocation = context.invocation(ident, 'resp_set_header');
      if (invocation === undefined || !rules.enabled) return;
      const key = context.memory.string(keyPtr, keySize);
      const value = context.memory.string(valPtr, valSize);
      const headers = invocation.mutable().respHeaders;
      const old = Object.hasOwn(headers, key) ? headers[key] : undefined;
      invocation.hold(old === undefined ? key.length + value.length : value.length - old.length);
      headers[key] = value;
    },
  };
}
