/**
 * A `console` that writes to the server's log, so that `console.log` works in functions (`e2rx build` passes
 * `--use console=...`; without it AssemblyScript would import `env.console.log`, which no Runnable host provides).
 *
 * @module
 */

import { LogLevel, logAt } from "./log";

/** `console` for Runnables: each call becomes a `log_msg` at the matching level. */
export namespace console {
  /** Logs at level info. */
  export function log(message: string = ""): void {
    logAt(LogLevel.Info, message);
  }

  /** Logs at level debug. */
  export function debug(message: string = ""): void {
    logAt(LogLevel.Debug, message);
  }

  /** Logs at level info. */
  export function info(message: string = ""): void {
    logAt(LogLevel.Info, message);
  }

  /** Logs at level warn. */
  export function warn(message: string = ""): void {
    logAt(LogLevel.Warn, message);
  }

  /** Logs at level error. */
  export function error(message: string = ""): void {
    logAt(LogLevel.Error, message);
  }

  /** Logs `message` at level error when `condition` is false-ish. */
  export function assert<T>(condition: T, message: string = ""): void {
    if (!condition) logAt(LogLevel.Error, "Assertion failed: " + message);
  }
}
