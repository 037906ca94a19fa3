import { describe, expect, it } from 'vitest';
import { formatProblemReport, problemsOf } from '../../src/cli/problem-report.js';
import type { Problem } from '../../src/directive/problem.js';

const problem = (message: string, severity: Problem['severity'] = 'error', line = 2): Problem => ({ severity, message, path: [], file: 'Directive.yaml', line, column: 13 });

describe('formatProblemReport', () => {
  it('problem report - one error is "found 1 problem:"', () => {
    expect(formatProblemReport([problem('app version is not a valid semantic version')])).toBe(
      'found 1 problem:\n\tDirective.yaml:2:13: app version is not a valid semantic version',
    );
  });

  it('problem report - several errors are "found N problems:", one tab-indented line each, then the warnings', () => {
    expect(formatProblemReport([problem('a'), problem('unknown key', 'warning', 9), problem('b', 'error', 3)])).toBe(
      'found 2 problems:\n\tDirective.yaml:2:13: a\n\tDirective.yaml:3:13: b\nDirective.yaml:9:13: warning: unknown key',
    );
  });

  it('problem report - warnings alone have no header', () => {
    expect(formatProblemReport([problem('unknown key', 'warning')])).toBe('Directive.yaml:2:13: warning: unknown key');
  });

  it('problem report - problemsOf reads details.problems, and nothing else', () => {
    expect(problemsOf({ problems: [problem('a')] })).toHaveLength(1);
    expect(problemsOf({ problems: 'no' })).toBeUndefined();
    expect(problemsOf({})).toBeUndefined();
  });
});
