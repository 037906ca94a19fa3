/**
 * The log levels `--log-level` and `E2RX_LOG_LEVEL` accept.
 *
 * The same list as the logger's `LOG_LEVELS` (src/logging/logger.ts), written here so that `e2rx --help` does not
 * load pino; specs/cli/lazy-loading.spec.ts keeps the two equal.
 *
 * @module
 */
import type { LogLevel } from '../logging/logger.js';

/** Every level, from the most verbose; `silent` logs nothing. */
export const CLI_LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const satisfies readonly LogLevel[];

/** Whether `value` is one of {@link CLI_LOG_LEVELS}. */
export function isCliLogLevel(value: string): value is LogLevel {
  return (CLI_LOG_LEVELS as readonly string[]).includes(value);
}
