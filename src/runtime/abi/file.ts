/**
 * `get_static_file` (docs/reference/host-abi.md §5), answered by {@link HostServices} through the bridge.
 *
 * @module
 */
import type { HostFunction, InstanceContext } from './context.js';

/** Builds `get_static_file` for one instance (an FFI function, docs/reference/host-abi.md §4). */
export function createFileFunctions(context: InstanceContext): Record<string, HostFunction> {
  return {
    get_static_file(namePtr: number, nameSize: number, ident: number): number {
      return context.ffi(ident, 'get_static_file', (invocation) =>
        context.env.async.call(
          { op: 'getStaticFile', name: context.memory.string(namePtr, nameSize) },
          { fn: context.fn, requestId: invocation.request.id },
        ),
      );
    },
  };
}
