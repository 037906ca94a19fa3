/**
 * The process's own IO for commands, and the error printer shared by every command.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { E2rxError, errorMessage } from '../errors.js';
import type { CommandIo } from './command.js';

/** The real process streams, working directory and environment. */
export function processIo(): CommandIo {
  return { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env };
}

/**
 * Prints an error the way every command does: `e2rx: <what is wrong>` and, for e2rx errors, `hint: <how to fix>`.
 * Never a stack trace.
 *
 * @returns the exit code for it (1).
 */
export function printError(io: CommandIo, error: unknown): number {
  const message = errorMessage(error);
  io.stderr.write(`e2rx: ${message}\n`);
  if (E2rxError.is(error)) io.stderr.write(`hint: ${error.hint}\n`);
  return 1;
}

/** The package version. */
export function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
