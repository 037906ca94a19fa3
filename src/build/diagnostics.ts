/**
 * Compiler diagnostics of a function build, with the file, line and column they point at.
 *
 * @module
 */

/** How bad a diagnostic is. */
export type DiagnosticSeverity = 'error' | 'warning' | 'info';

/**
 * One message of the compiler (or of e2rx's checks on the built module), located in a source file when possible.
 *
 * @example
 * ```ts
 * import { formatDiagnostic } from './diagnostics.js'; // internal
 * console.log(formatDiagnostic({ severity: 'error', code: 'TS2304', message: "Cannot find name 'x'.", file: 'hello/index.ts', line: 3, column: 10 }));
 * // hello/index.ts:3:10 - error TS2304: Cannot find name 'x'.
 * ```
 */
export interface BuildDiagnostic {
  /** How bad it is. */
  readonly severity: DiagnosticSeverity;
  /** The compiler's code (`TS2304`, `AS200`), or `E2RX` for e2rx's own checks. */
  readonly code: string;
  /** The message. */
  readonly message: string;
  /** The file, relative to the app directory when inside it (else absolute, or `~lib/...` for the standard library). */
  readonly file?: string;
  /** The 1-based line. */
  readonly line?: number;
  /** The 1-based column. */
  readonly column?: number;
}

/**
 * One diagnostic as a line: `file:line:col - severity CODE: message`.
 *
 * @example
 * ```ts
 * formatDiagnostic({ severity: 'warning', code: 'AS235', message: 'Only variables, functions and enums become exports.' });
 * // 'warning AS235: Only variables, functions and enums become exports.'
 * ```
 */
export function formatDiagnostic(diagnostic: BuildDiagnostic): string {
  const where =
    diagnostic.file === undefined
      ? ''
      : `${diagnostic.file}${diagnostic.line === undefined ? '' : `:${diagnostic.line}:${diagnostic.column ?? 1}`} - `;
  return `${where}${diagnostic.severity} ${diagnostic.code}: ${diagnostic.message}`;
}

/**
 * The 1-based line and column of a UTF-16 offset in `text`, counting columns as the compiler does (characters).
 *
 * @example
 * ```ts
 * lineAndColumn('a\nbc', 3); // { line: 2, column: 2 }
 * ```
 */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = 0; i < end; i += 1) {
    if (text.charCodeAt(i) === 10) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}
