import { describe, expect, it } from 'vitest';
import { formatDiagnostic, lineAndColumn } from '../../src/build/diagnostics.js';

describe('diagnostics', () => {
  it('formatDiagnostic - prints file:line:col, severity, code and message', () => {
    expect(
      formatDiagnostic({ severity: 'error', code: 'TS2304', message: "Cannot find name 'x'.", file: 'hello/index.ts', line: 3, column: 10 }),
    ).toBe("hello/index.ts:3:10 - error TS2304: Cannot find name 'x'.");
  });

  it('formatDiagnostic - leaves out what is unknown', () => {
    expect(formatDiagnostic({ severity: 'warning', code: 'AS235', message: 'm', file: 'a.ts' })).toBe('a.ts - warning AS235: m');
    expect(formatDiagnostic({ severity: 'error', code: 'E2RX', message: 'm' })).toBe('error E2RX: m');
  });

  it('lineAndColumn - counts lines and columns from 1', () => {
    expect(lineAndColumn('abc', 0)).toEqual({ line: 1, column: 1 });
    expect(lineAndColumn('a\nbc', 3)).toEqual({ line: 2, column: 2 });
    expect(lineAndColumn('a\n', 2)).toEqual({ line: 2, column: 1 });
    expect(lineAndColumn('ab', 99)).toEqual({ line: 1, column: 3 });
  });
});
