/**
 * How the CLI reports the problems of a Directive: `found 1 problem:` or `found N problems:`, one tab-indented
 * `file:line:col: message` per error, then the warnings, one per line.
 *
 * @module
 */
import { formatProblem, type Problem } from '../directive/problem.js';

/**
 * The report `e2rx validate` prints on stdout and `e2rx start` prints after `e2rx: ` on stderr.
 *
 * Atmo wrote `found 1 problems:`; the CLI counts in English (the library's `formatProblems` keeps Atmo's text).
 *
 * @example
 * ```ts
 * formatProblemReport([{ severity: 'error', message: 'app version is not a valid semantic version', path: ['appVersion'], file: 'Directive.yaml', line: 2, column: 13 }]);
 * // 'found 1 problem:\n\tDirective.yaml:2:13: app version is not a valid semantic version'
 * ```
 */
export function formatProblemReport(problems: readonly Problem[]): string {
  const errors = problems.filter((problem) => problem.severity === 'error');
  const warnings = problems.filter((problem) => problem.severity === 'warning');
  const lines: string[] = [];
  if (errors.length > 0) {
    lines.push(`found ${errors.length} ${errors.length === 1 ? 'problem' : 'problems'}:`);
    for (const problem of errors) lines.push(`\t${formatProblem(problem)}`);
  }
  for (const problem of warnings) lines.push(formatProblem(problem));
  return lines.join('\n');
}

/** The problems an `E2RX_DIRECTIVE_INVALID` error carries in `details.problems`, or `undefined`. */
export function problemsOf(details: Readonly<Record<string, unknown>>): readonly Problem[] | undefined {
  const problems = details['problems'];
  return Array.isArray(problems) ? (problems as Problem[]) : undefined;
}
