/**
 * The {@link LogSink} writing to a pino logger.
 *
 * @module
 */
import type { Logger } from 'pino';
import type { LogSink } from './host-env.js';

/**
 * Writes guest log lines to `logger` as `logger[level](fields, message)`, fields being `{fn, request_id, ident}`
 * (plus `stream` for WASI stdout / stderr).
 *
 * @example
 * ```ts
 * const sink = pinoSink(pino());
 * sink('info', 'hello', { fn: 'hello', request_id: 'abc', ident: 42 });
 * ```
 */
export function pinoSink(logger: Logger): LogSink {
  return (level, message, fields) => {
    logger[level](fields, message);
  };
}
