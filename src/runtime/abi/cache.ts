/**
 * `cache_set` and `cache_get` (docs/reference/host-abi.md §5), answered by {@link HostServices} through the bridge.
 *
 * @module
 */
import type { HostFunction, InstanceContext } from './context.js';

/**
 * Builds the cache host functions for one instance. `cache_set` is not an FFI function: it returns 0 on success,
 * -1 for an unknown ident and -2 when the cache refuses (or the services answered with an error).
 */
export function createCacheFunctions(context: InstanceContext): Record<string, HostFunction> {
  return {
    cache_set(keyPtr: number, keySize: number, valPtr: number, valSize: number, ttl: number, ident: number): number {
      const invocation = context.invocation(ident, 'cache_set');
      if (invocation === undefined) return -1;
      const request = {
        op: 'cacheSet',
        key: context.memory.string(keyPtr, keySize),
        value: context.memory.copy(valPtr, valSize),
        ttlSeconds: ttl,
      } as const;
      const result = context.env.async.call(request, { fn: context.fn, requestId: invocation.request.id });
      if (result.kind === 'status') return result.status;
      return result.kind === 'data' ? 0 : -2;
    },
    cache_get(keyPtr: number, keySize: number, ident: number): number {
      return context.ffi(ident, 'cache_get', (invocation) =>
        context.env.async.call(
          { op: 'cacheGet', key: context.memory.string(keyPtr, keySize) },
          { fn: context.fn, requestId: invocation.request.id },
        ),
      );
    },
  };
}
