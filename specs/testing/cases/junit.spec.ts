import { describe, expect, it } from 'vitest';
import { junitXml } from '../../../src/testing/cases/junit.js';

describe('junitXml', () => {
  it('junitXml - one suite per file, one testcase per case, a failure listing what was not met, text escaped', () => {
    const xml = junitXml([
      {
        file: 'Directive.test.yaml',
        passed: 1,
        failed: 1,
        results: [
          { name: 'ok <case>', target: 'POST /hello', passed: true, failures: [], durationMs: 12, virtual: true },
          { name: 'bad', target: 'nats a.b', passed: false, failures: ['body: expected "a", got "b"', 'status: x & y'], durationMs: 1500, virtual: true },
        ],
      },
    ]);
    expect(xml).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name="e2rx test" tests="2" failures="1" errors="0" time="1.512">',
        '  <testsuite name="Directive.test.yaml" tests="2" failures="1" errors="0" skipped="0" time="1.512">',
        '    <testcase classname="Directive.test.yaml POST /hello" name="ok &lt;case&gt;" time="0.012"/>',
        '    <testcase classname="Directive.test.yaml nats a.b" name="bad" time="1.500">',
        '      <failure message="body: expected &quot;a&quot;, got &quot;b&quot;" type="expectation">body: expected &quot;a&quot;, got &quot;b&quot;\nstatus: x &amp; y</failure>',
        '    </testcase>',
        '  </testsuite>',
        '</testsuites>',
        '',
      ].join('\n'),
    );
  });
});
