/**
 * Host functions that return outcomes and move FFI data: `return_result`, `return_error`, `return_abort`,
 * `get_ffi_result`, `add_ffi_var` (docs/reference/host-abi.md §4).
 *
 * @module
 */
import { describeFrame, guestFrame } from '../guest-frame.js';
import type { HostFunction, InstanceContext } from './context.js';

/** The longest error or abort message kept (longer ones are cut). */
export const MAX_ERROR_MESSAGE_BYTES = 64 * 1024;

function message(context: InstanceContext, ptr: number, size: number): string {
  return context.memory.string(ptr, Math.min(size >>> 0, MAX_ERROR_MESSAGE_BYTES));
}

/**
 * Builds `return_result`, `return_error`, `return_abort`, `get_ffi_result` and `add_ffi_var` for one instance.
 *
 * The first of return_result / return_error / return_abort settles the call; later ones are ignored (logged at debug).
 * An output above `limits.maxOutputBytes` settles the call as "output too large" (not copied). FFI variables count
 * against the call's host budget until `db_exec` takes them (`host-memory.ts`).
 */
export function createResultFunctions(context: InstanceContext): Record<string, HostFunction> {
  const settled = (name: string, ok: boolean, ident: number): void => {
    if (!ok) context.log('debug', `env.${name} ignored: the call already returned`, context.current, { ident });
  };
  return {
    return_result(ptr: number, size: number, ident: number): void {
      const invocation = context.invocation(ident, 'return_result');
      if (invocation === undefined) return;
      const length = size >>> 0;
      const ok =
        length > context.env.limits.maxOutputBytes
          ? invocation.settle({ kind: 'outputTooLarge', size: length })
          : invocation.settle({ kind: 'output', output: context.memory.copy(ptr, length) });
      settled('return_result', ok, ident);
    },
    return_error(code: number, ptr: number, size: number, ident: number): void {
      const invocation = context.invocation(ident, 'return_error');
      if (invocation === undefined) return;
      settled('return_error', invocation.settle({ kind: 'runError', code, message: message(context, ptr, size) }), ident);
    },
    return_abort(msgPtr: number, msgSize: number, filePtr: number, fileSize: number, line: number, column: number, ident: number): void {
      const invocation = context.invocation(ident, 'return_abort');
      if (invocation === undefined) return;
      // The guest's frames are on the stack right now: the user's is the first below the library's.
      const found = guestFrame(new Error().stack, context.debug);
      const from = found === undefined ? '' : `; called from ${describeFrame(found)}`;
      const text = `runnable abort: ${message(context, msgPtr, msgSize)}; file: ${message(context, filePtr, fileSize)}, line: ${line}, col: ${column}${from}`;
      context.log('error', text, invocation);
      settled('return_abort', invocation.settle({ kind: 'runError', code: -1, message: text }), ident);
    },
    get_ffi_result(ptr: number, ident: number): number {
      const invocation = context.invocation(ident, 'get_ffi_result');
      if (invocation === undefined) return -1;
      if (!invocation.hasPending) return -1;
      const data = invocation.take() ?? new Uint8Array(0);
      context.memory.write(ptr, data);
      return 0;
    },
    add_ffi_var(namePtr: number, nameSize: number, valuePtr: number, valueSize: number, ident: number): number {
      const invocation = context.invocation(ident, 'add_ffi_var');
      if (invocation === undefined) return -1;
      const name = context.memory.string(namePtr, nameSize);
      const value = context.memory.string(valuePtr, valueSize);
      invocation.hold(name.length + value.length);
      invocation.ffiVars.push([name, value]);
      return 0;
    },
  };
}
