/**
 * `log_msg` (docs/reference/host-abi.md §5): guest log lines, scoped `{fn, request_id, ident}`.
 *
 * @module
 */
import type { LogLevel } from '../host-env.js';
import type { HostFunction, InstanceContext } from './context.js';

/** The longest log message kept (longer ones are cut). */
export const MAX_LOG_MESSAGE_BYTES = 64 * 1024;

/** Maps an ABI log level (1 error, 2 warn, 3 info, 4 debug; anything else info) to a logger level. */
export function logLevel(level: number): LogLevel {
  switch (level) {
    case 1:
      return 'error';
    case 2:
      return 'warn';
    case 4:
      return 'debug';
    default:
      return 'info';
  }
}

/**
 * Builds `log_msg` for one instance; it logs nothing when the `logger` capability is disabled. The bytes logged count
 * against the call's host budget (`host-memory.ts`): log lines wait on the host (the log's queue, the lines of a call
 * held on the calling thread) and are never released during the call.
 */
export function createLogFunctions(context: InstanceContext): Record<string, HostFunction> {
  return {
    log_msg(ptr: number, size: number, level: number, ident: number): void {
      const invocation = context.invocation(ident, 'log_msg');
      if (invocation === undefined || !context.env.capabilities.logger.enabled) return;
      const message = context.memory.string(ptr, Math.min(size >>> 0, MAX_LOG_MESSAGE_BYTES));
      invocation.hold(message.length);
      context.log(logLevel(level), message, invocation);
    },
  };
}
