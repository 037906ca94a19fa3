/**
 * `db_exec` (docs/reference/host-abi.md §5), answered by {@link HostServices} through the bridge with the variables added by
 * `add_ffi_var`.
 *
 * @module
 */
import type { HostFunction, InstanceContext } from './context.js';

/**
 * Builds `db_exec` for one instance. The variables added with add_ffi_var since the last db_exec are passed
 * positionally (names ignored) and cleared, even when the call is refused.
 */
export function createDbFunctions(context: InstanceContext): Record<string, HostFunction> {
  return {
    db_exec(queryType: number, namePtr: number, nameSize: number, ident: number): number {
      const invocation = context.invocation(ident, 'db_exec');
      if (invocation === undefined) return -1;
      const taken = invocation.ffiVars.splice(0);
      const variables = taken.map(([, value]) => value);
      for (const [name, value] of taken) invocation.hold(-(name.length + value.length));
      if (context.refusePending(invocation, 'db_exec')) return -1;
      const name = context.memory.string(namePtr, nameSize);
      return invocation.store(
        context.env.async.call({ op: 'dbExec', queryType, name, variables }, { fn: context.fn, requestId: invocation.request.id }),
      );
    },
  };
}
