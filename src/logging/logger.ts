/**
 * The process logger: JSON lines (pino) by default, a readable form on a terminal.
 *
 * @module
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { lazyModule } from '../lazy-module.js';

/** Loaded only for a terminal: JSON logging does not need it. */
const pinoPretty = lazyModule<typeof import('pino-pretty')>('pino-pretty');

/** The log levels e2rx accepts (Atmo's `ATMO_LOG_LEVEL` values plus `fatal` and `silent`). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** A log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The most log output buffered for standard output when its reader is slower than the logging (bytes). */
const LOG_BUFFER_BYTES = 16 * 1024 * 1024;

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** The minimum level (default `info`). */
  readonly level?: LogLevel;
  /** `json` (default when not on a terminal) or `pretty`. */
  readonly format?: 'json' | 'pretty';
  /** Where to write (default standard output). */
  readonly destination?: NodeJS.WritableStream;
}

/**
 * Creates the logger: one JSON object per line with `level`, `time`, `msg` and the scope fields (`request_id`,
 * `fn`, …), or a colourised single-line form for people.
 *
 * @example
 * ```ts
 * import { createLogger } from 'e2rx';
 * const logger = createLogger({ level: 'debug' });
 * logger.info({ port: 8080 }, 'serving');
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? process.stdout;
  const level: LevelWithSilent = options.level ?? 'info';
  const format = options.format ?? ((destination as { isTTY?: boolean }).isTTY ? 'pretty' : 'json');
  if (format === 'pretty') {
    const pretty = pinoPretty();
    return pino({ level, base: null }, pretty({ destination, sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  // Standard output by default through an asynchronous sonic-boom: lines written while a write is in flight leave
  // together in the next one (one system call for many lines under load, none delayed at rest), and what is
  // buffered is flushed synchronously on exit. A synchronous write per line cost a third of HTTP throughput with the
  // access log on. A reader that stops reading costs at most LOG_BUFFER_BYTES: lines past it are dropped.
  const stream = options.destination ?? pino.destination({ dest: 1, sync: false, maxLength: LOG_BUFFER_BYTES });
  return pino({ level, base: null, timestamp: pino.stdTimeFunctions.isoTime }, stream);
}

/** Whether `value` is a known log level. */
export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export type { Logger };
