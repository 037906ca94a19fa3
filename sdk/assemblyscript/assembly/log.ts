/**
 * `log`: messages to the server's log, tagged with the request id.
 *
 * @module
 */

import { log_msg } from "./env";
import { getIdent, len, ptr } from "./ffi";

/** The log levels as the host numbers them (docs/reference/host-abi.md §7). */
export enum LogLevel {
  Error = 1,
  Warn = 2,
  Info = 3,
  Debug = 4,
}

/** Writes `message` to the server's log at `level`. */
export function logAt(level: LogLevel, message: string): void {
  const bytes = String.UTF8.encode(message);
  log_msg(ptr(bytes), len(bytes), level, getIdent());
}

/**
 * Logging through the server's logger (scoped with the request id).
 *
 * ```ts
 * log.info("handling " + req.url());
 * ```
 */
export abstract class log {
  /** Logs at level error. */
  static error(message: string): void {
    logAt(LogLevel.Error, message);
  }

  /** Logs at level warn. */
  static warn(message: string): void {
    logAt(LogLevel.Warn, message);
  }

  /** Logs at level info. */
  static info(message: string): void {
    logAt(LogLevel.Info, message);
  }

  /** Logs at level debug. */
  static debug(message: string): void {
    logAt(LogLevel.Debug, message);
  }
}
