/**
 * `get_secret_value` (docs/reference/host-abi.md §5): the value of an environment variable the app lists in
 * `capabilities.secrets.allowedKeys`, else empty.
 *
 * @module
 */
import type { HostFunction, InstanceContext } from './context.js';

const encoder = new TextEncoder();

/**
 * Builds `get_secret_value` for one instance. Its result goes through the FFI slot but, as in the original, it is
 * not guarded by the single-pending rule (it replaces an uncollected result). A key that is not allowed, or the
 * `secrets` capability disabled, gives an empty result.
 */
export function createSecretFunctions(context: InstanceContext): Record<string, HostFunction> {
  const rules = context.env.capabilities.secrets;
  const allowed = new Set(rules.allowedKeys);
  return {
    get_secret_value(keyPtr: number, keySize: number, ident: number): number {
      const invocation = context.invocation(ident, 'get_secret_value');
      if (invocation === undefined) return -1;
      const key = context.memory.string(keyPtr, keySize);
      const value = rules.enabled && allowed.has(key) ? (context.env.secrets[key] ?? '') : '';
      invocation.take();
      return invocation.store({ kind: 'data', data: encoder.encode(value) });
    },
  };
}
