/**
 * Validation findings: plain values until the boundary (the CLI's exit code, `start()` throwing).
 *
 * @module
 */

/** A path into the Directive: object keys and array indexes. */
export type DirectivePath = readonly (string | number)[];

/** One finding about a Directive. */
export interface Problem {
  /** `error` makes the Directive invalid; `warning` (for example an unknown key) does not. */
  readonly severity: 'error' | 'warning';
  /** What is wrong. For the rules of Atmo v0.4.x this is the original's text, except where docs/deviations.md says. */
  readonly message: string;
  /** Where in the Directive. */
  readonly path: DirectivePath;
  /** The file the Directive came from. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
}

/** `file:line:col: message`, with `warning: ` before warnings. */
export function formatProblem(problem: Problem): string {
  const prefix = problem.severity === 'warning' ? 'warning: ' : '';
  return `${problem.file}:${problem.line}:${problem.column}: ${prefix}${problem.message}`;
}

/**
 * The original's report: `found N problems:` (plural even for one, as the original) and one tab-indented line per
 * problem (errors only), followed by
 * warnings, each on its own line.
 *
 * @example
 * ```ts
 * import { formatProblems } from 'e2rx';
 * console.error(formatProblems(result.problems));
 * ```
 */
export function formatProblems(problems: readonly Problem[]): string {
  const errors = problems.filter((problem) => problem.severity === 'error');
  const warnings = problems.filter((problem) => problem.severity === 'warning');
  const lines: string[] = [];
  if (errors.length > 0) {
    lines.push(`found ${errors.length} problems:`);
    for (const problem of errors) lines.push(`\t${formatProblem(problem)}`);
  }
  for (const problem of warnings) lines.push(formatProblem(problem));
  return lines.join('\n');
}

/** Whether any problem is an error. */
export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((problem) => problem.severity === 'error');
}
