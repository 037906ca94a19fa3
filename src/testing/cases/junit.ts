/**
 * The JUnit XML report of `e2rx test --reporter junit`, as CI servers read it: one `<testsuite>` per case file, one
 * `<testcase>` per case, a `<failure>` listing the expectations a failed case did not meet.
 *
 * @module
 */
import type { CasesReport } from './run-cases.js';

/**
 * The report as JUnit XML.
 *
 * @example
 * ```ts
 * junitXml([report]); // '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites tests="2" failures="0" ...'
 * ```
 */
export function junitXml(reports: readonly CasesReport[]): string {
  const seconds = (ms: number): string => (ms / 1000).toFixed(3);
  const total = (pick: (report: CasesReport) => number): number => reports.reduce((sum, report) => sum + pick(report), 0);
  const time = total((report) => report.results.reduce((sum, result) => sum + result.durationMs, 0));
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="e2rx test" tests="${total((report) => report.results.length)}" failures="${total((report) => report.failed)}" errors="0" time="${seconds(time)}">`,
  ];
  for (const report of reports) {
    const suiteTime = report.results.reduce((sum, result) => sum + result.durationMs, 0);
    lines.push(`  <testsuite name="${escape(report.file)}" tests="${report.results.length}" failures="${report.failed}" errors="0" skipped="0" time="${seconds(suiteTime)}">`);
    for (const result of report.results) {
      const open = `    <testcase classname="${escape(`${report.file} ${result.target}`)}" name="${escape(result.name)}" time="${seconds(result.durationMs)}"`;
      if (result.passed) {
        lines.push(`${open}/>`);
        continue;
      }
      lines.push(`${open}>`);
      lines.push(`      <failure message="${escape(result.failures[0] ?? 'failed')}" type="expectation">${escape(result.failures.join('\n'))}</failure>`);
      lines.push('    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}

/** Text as XML attribute or element content; characters XML 1.0 cannot carry are dropped. */
function escape(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
