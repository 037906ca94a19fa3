/**
 * The process's own IO for commands, and the error printer shared by every command.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { E2rxError, ERROR_CODES, errorMessage } from '../errors.js';
import { survivingClosedReader } from './closed-output.js';
import type { CommandIo } from './command.js';
import { formatProblemReport, problemsOf } from './problem-report.js';

/**
 * The real process streams, working directory and environment. A closed reader (`e2rx build | head -1`) never
 * crashes a command nor stops it halfway: see {@link survivingClosedReader}.
 */
export function processIo(): CommandIo {
  return {
    stdout: survivingClosedReader(process.stdout),
    stderr: survivingClosedReader(process.stderr),
    cwd: process.cwd(),
    env: process.env,
  };
}

/**
 * The exit codes of `e2rx` (docs/reference/cli.md#exit-codes): success, a failure e2rx explains (an invalid app, a
 * port in use), a usage error, and an internal error (a bug of e2rx; 70 is `EX_SOFTWARE` of sysexits.h).
 */
export const EXIT_CODES = { success: 0, failure: 1, usage: 2, internal: 70 } as const;

/**
 * Whether an error is a bug of e2rx rather than a failure it explains: an `E2RX_INTERNAL` error, or anything that is
 * neither an {@link E2rxError} nor an operating-system error (a `TypeError` from a broken invariant, say). An
 * operating-system error (a file that cannot be written: it has a `syscall`) is the machine's, not a bug.
 *
 * @example
 * ```ts
 * isInternalError(new TypeError('x is not a function')); // true
 * isInternalError(new E2rxError('E2RX_APP_NOT_FOUND')); // false
 * ```
 */
export function isInternalError(error: unknown): boolean {
  if (E2rxError.is(error)) return error.code === 'E2RX_INTERNAL';
  const syscall = (error as { syscall?: unknown } | null | undefined)?.syscall;
  return !(error instanceof Error && typeof syscall === 'string');
}

/**
 * The text of an internal error: `e2rx: internal error: <message>` and the hint to report it. No stack trace.
 */
export function internalErrorText(error: unknown): string {
  return `e2rx: internal error: ${errorMessage(error)}\nhint: this is a bug of e2rx: ${ERROR_CODES.E2RX_INTERNAL.hint}\n`;
}

/**
 * Prints an error the way every command does: `e2rx: <what is wrong>` and, for e2rx errors, `hint: <how to fix>`.
 * An invalid Directive is reported as `found N problems:` with one line per problem (see {@link formatProblemReport});
 * an internal error (see {@link isInternalError}) as `e2rx: internal error: <message>`. Never a stack trace.
 *
 * @returns the exit code for it: 1, or 70 for an internal error.
 */
export function printError(io: CommandIo, error: unknown): number {
  if (isInternalError(error)) {
    io.stderr.write(internalErrorText(error));
    return EXIT_CODES.internal;
  }
  const problems = E2rxError.is(error, 'E2RX_DIRECTIVE_INVALID') ? problemsOf(error.details) : undefined;
  io.stderr.write(`e2rx: ${problems ? formatProblemReport(problems) : errorMessage(error)}\n`);
  if (E2rxError.is(error)) io.stderr.write(`hint: ${error.hint}\n`);
  return EXIT_CODES.failure;
}

/** The package version. */
export function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
