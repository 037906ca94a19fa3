/**
 * `e2rx test`'s runner against the examples' real functions: right cases pass, and a deliberately wrong case fails
 * for each kind of expectation (status, headers, body, json, match, published, deadLetter, logs, cache), saying what
 * was expected and what came. Case files are written into copies of the example apps.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadApp } from '../../../src/app/load-app.js';
import { E2rxError } from '../../../src/errors.js';
import { runCaseFile, type CasesReport } from '../../../src/testing/cases/run-cases.js';
import { cleanupApps, makeTempDir } from '../../support/apps.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

afterAll(cleanupApps);

/** Runs `cases` (YAML) against a copy of `examples/<name>`, its Directive changed by `edit`. */
async function run(name: string, cases: string, edit: (directive: string) => string = (directive) => directive): Promise<CasesReport> {
  const app = join(await makeTempDir('e2rx-cases-'), name);
  await cp(join(EXAMPLES, name), app, { recursive: true });
  await writeFile(join(app, 'Directive.test.yaml'), cases);
  await writeFile(join(app, 'Directive.yaml'), edit(await readFile(join(app, 'Directive.yaml'), 'utf8')));
  return runCaseFile(await loadApp(app), { cwd: app, appDir: app, env: {} });
}

/** The failures of the only case of a report. */
function failuresOf(report: CasesReport): readonly string[] {
  expect(report.results).toHaveLength(1);
  return report.results[0]?.failures ?? [];
}

describe('e2rx test cases: a wrong expectation fails', () => {
  it('cases - a right case passes, in virtual time', async () => {
    const report = await run('hello', 'cases:\n  - name: right\n    request: { method: POST, path: /hello, body: world }\n    expect: { status: 200, body: hello world }\n');
    expect(report).toMatchObject({ passed: 1, failed: 0 });
    expect(report.results[0]).toMatchObject({ name: 'right', target: 'POST /hello', passed: true, virtual: true });
  });

  it('cases - status', async () => {
    const report = await run('hello', 'cases:\n  - name: wrong\n    request: { method: POST, path: /hello, body: world }\n    expect: { status: 201 }\n');
    expect(report).toMatchObject({ passed: 0, failed: 1 });
    expect(failuresOf(report)).toEqual(['status: expected 201, got 200']);
  });

  it('cases - headers', async () => {
    const report = await run(
      'hello',
      'cases:\n  - name: wrong\n    request: { method: POST, path: /hello, body: world }\n    expect:\n      headers: { content-type: text/plain, x-request-id: null }\n',
    );
    const failures = failuresOf(report);
    expect(failures[0]).toBe('headers.content-type: expected "text/plain", got "application/octet-stream"');
    expect(failures[1]).toMatch(/^headers\.x-request-id: expected no such header, got "[0-9a-f-]{36}"$/);
  });

  it('cases - body (exact)', async () => {
    const report = await run('hello', 'cases:\n  - name: wrong\n    request: { method: POST, path: /hello, body: world }\n    expect: { body: hello there }\n');
    expect(failuresOf(report)).toEqual(['body: expected "hello there", got "hello world"']);
  });

  it('cases - json (subset)', async () => {
    const report = await run('hello', 'cases:\n  - name: wrong\n    request: { path: /greet/ada }\n    expect:\n      json: { greeting: hello grace }\n');
    expect(failuresOf(report)[0]).toMatch(/^json: greeting: expected "hello grace", got "hello ada" \(body: /);
    const right = await run('hello', 'cases:\n  - name: right\n    request: { path: /greet/ada }\n    expect:\n      json: { greeting: hello ada, method: GET }\n');
    expect(right.failed).toBe(0);
  });

  it('cases - match (regex)', async () => {
    const report = await run('hello', 'cases:\n  - name: wrong\n    request: { method: POST, path: /hello, body: world }\n    expect: { match: "^bye" }\n');
    expect(failuresOf(report)).toEqual(['match: "hello world" does not match /^bye/']);
  });

  it('cases - published (respondTo)', async () => {
    const report = await run(
      'nats-enrich',
      'cases:\n  - name: wrong\n    message: { json: { customer: ada } }\n    expect:\n      published: { to: orders.done, json: { tier: silver } }\n',
    );
    expect(failuresOf(report)).toEqual([
      'published.to: expected "orders.done", got "orders.enriched"',
      expect.stringMatching(/^published\.json: tier: expected "silver", got "gold"/),
    ]);
    const none = await run('nats-enrich', 'cases:\n  - name: wrong\n    message: { json: { id: 1 } }\n    expect:\n      published: { json: { id: 1 } }\n');
    expect(failuresOf(none)).toEqual(['published: expected a message, got none (the run ended: error 400 an order needs a customer)']);
  });

  it('cases - deadLetter', async () => {
    const report = await run(
      'nats-enrich',
      'cases:\n  - name: wrong\n    message: { json: { id: 3 } }\n    expect:\n      deadLetter:\n        headers: { e2rx-run-error-code: "500" }\n',
    );
    expect(failuresOf(report)).toEqual(['deadLetter.headers.e2rx-run-error-code: expected "500", got "400"']);
    const unexpected = await run('nats-enrich', 'cases:\n  - name: wrong\n    message: { json: { id: 3 } }\n    expect: { deadLetter: false }\n');
    expect(failuresOf(unexpected)).toEqual(['deadLetter: expected nothing, got a message to orders.rejected: "{\\"id\\":3}"']);
  });

  it('cases - logs', async () => {
    const report = await run(
      'nats-enrich',
      'cases:\n  - name: wrong\n    message: { json: { id: 3 } }\n    expect:\n      logs: [{ level: error, message: went to orders.rejected }]\n',
    );
    expect(failuresOf(report)[0]).toMatch(/^logs\[0\]: no log line at error containing "went to orders\.rejected" \(lines: .*warn nats orders\.new: message failed 1 time\(s\) and went to orders\.rejected: an order needs a customer/);
  });

  it('cases - cache', async () => {
    const report = await run(
      'counter',
      'cases:\n  - name: wrong\n    request: { method: POST, path: /counters/a }\n    stubs: { cache: { "counter:a": "1" } }\n    expect:\n      cache: { "counter:a": "3", "counter:b": "1" }\n',
    );
    expect(failuresOf(report)).toEqual(['cache[counter:a]: expected "3", got "2"', 'cache[counter:b]: expected "1", got no value']);
  });

  it('cases - a call no stub answers fails the run, naming the stub to add', async () => {
    const report = await run('users', 'cases:\n  - name: no stub\n    request: { path: /users/7 }\n    expect: { status: 200 }\n');
    expect(failuresOf(report)[0]).toBe(
      'status: expected 200, got 500 ({"status":500,"message":"e2rx test: no stub for the query SelectUser: add it under stubs.db, or list db under real"})',
    );
  });

  it('cases - a failed case does not stop the next ones, and each starts from fresh state', async () => {
    const report = await run(
      'counter',
      [
        'cases:',
        '  - { name: one, request: { method: POST, path: /counters/a }, expect: { body: "1" } }',
        '  - { name: wrong, request: { method: POST, path: /counters/a }, expect: { body: "7" } }',
        '  - { name: fresh, request: { method: POST, path: /counters/a }, expect: { body: "1" } }',
        '',
      ].join('\n'),
    );
    expect(report.results.map((result) => [result.name, result.passed])).toEqual([
      ['one', true],
      ['wrong', false],
      ['fresh', true],
    ]);
  });
});

describe('e2rx test cases: virtual time', () => {
  it('cases - a failing message is retried with its backoff (1 + 2 + 4 minutes) in virtual time, then dead-lettered', async () => {
    const started = performance.now();
    const report = await run(
      'nats-enrich',
      'cases:\n  - name: retried\n    message: { json: { id: 3 } }\n    expect:\n      deadLetter:\n        headers: { e2rx-attempts: "4" }\n      logs: [{ level: warn, message: failed 4 time(s) }]\n',
      (directive) => directive.replace('    deadLetter: orders.rejected', '    deadLetter: orders.rejected\n    retries: { max: 3, backoffMs: 60000 }'),
    );
    expect(report.results[0]).toMatchObject({ passed: true, virtual: true });
    expect(performance.now() - started).toBeLessThan(10_000);
    const wrong = await run(
      'nats-enrich',
      'cases:\n  - name: retried\n    message: { json: { id: 3 } }\n    expect:\n      deadLetter:\n        headers: { e2rx-attempts: "1" }\n',
      (directive) => directive.replace('    deadLetter: orders.rejected', '    deadLetter: orders.rejected\n    retries: { max: 3, backoffMs: 60000 }'),
    );
    expect(failuresOf(wrong)).toEqual(['deadLetter.headers.e2rx-attempts: expected "1", got "4"']);
  });
});

describe('e2rx test cases: real capabilities', () => {
  it('cases - real: [cache] runs the functions on a worker with the real (in-memory) cache, in real time', async () => {
    const report = await run(
      'counter',
      [
        'cases:',
        '  - name: real cache',
        '    request: { method: POST, path: /counters/a }',
        '    real: [cache]',
        '    expect: { status: 200, body: "1" }',
        '  - name: a wrong case with a real cache still fails',
        '    request: { path: /counters/a }',
        '    real: [cache]',
        '    expect: { body: "1" }',
        '',
      ].join('\n'),
    );
    expect(report.results.map((result) => ({ passed: result.passed, virtual: result.virtual, failures: result.failures }))).toEqual([
      { passed: true, virtual: false, failures: [] },
      // Each case has its own runtime and services: the count of the first case is not seen by the second.
      { passed: false, virtual: false, failures: ['body: expected "1", got "0"'] },
    ]);
  });
});

describe('e2rx test cases: a case file with problems', () => {
  const problemsOf = async (name: string, cases: string): Promise<string[]> => {
    const error = await run(name, cases).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(E2rxError.is(error, 'E2RX_TEST_CASES_INVALID'), String(error)).toBe(true);
    return ((error as E2rxError).details['problems'] as { file: string; line: number; column: number; message: string }[]).map(
      (problem) => `${problem.file}:${problem.line}:${problem.column}: ${problem.message}`,
    );
  };

  it('case file - an unknown key (a misspelt expectation) is an error at its position', async () => {
    expect(await problemsOf('hello', 'cases:\n  - name: typo\n    request: { path: /hello, method: POST }\n    expect:\n      stauts: 200\n')).toEqual([
      'Directive.test.yaml:5:7: unknown key \'stauts\' in cases[0].expect',
    ]);
  });

  it('case file - a wrong type, a request no handler answers, a case without input, each at its position', async () => {
    const text = [
      'cases:',
      '  - name: wrong type',
      '    request: { path: /hello, method: POST }',
      '    expect: { status: "200" }',
      '  - name: no route',
      '    request: { path: /nowhere }',
      '    expect: { status: 404 }',
      '  - name: no input',
      '    expect: { status: 200 }',
      '',
    ].join('\n');
    expect(await problemsOf('hello', text)).toEqual(['Directive.test.yaml:4:23: cases[0].expect.status: must be a number']);
    const semantic = text.replace('status: "200"', 'status: 200');
    expect(await problemsOf('hello', semantic)).toEqual([
      'Directive.test.yaml:6:22: no request handler answers GET /nowhere (the app has: POST /hello, GET /greet/:name)',
      "Directive.test.yaml:8:5: case 'no input' has no input: give it exactly one of request (HTTP), message (NATS, Kafka) or tick (a schedule)",
    ]);
  });

  it('case file - invalid YAML, a schedule that does not exist, a stub of a query the Directive lacks, a bad regex', async () => {
    expect((await problemsOf('hello', 'cases:\n  - name: [unclosed\n'))[0]).toMatch(/^Directive\.test\.yaml:\d+:\d+: invalid YAML: /);
    expect(await problemsOf('schedule', 'cases:\n  - name: t\n    tick: nightly\n    expect: { body: x }\n')).toEqual([
      "Directive.test.yaml:3:11: no schedule 'nightly' in the app (its schedules: heartbeat)",
    ]);
    expect(
      await problemsOf('users', 'cases:\n  - name: q\n    request: { path: /users/1 }\n    stubs: { db: { SelectUsr: [] } }\n    expect: { match: "(" }\n'),
    ).toEqual([
      'Directive.test.yaml:4:20: stubs.db: the Directive has no query \'SelectUsr\' (its queries: InsertUser, SelectUser, SelectUsers, UpdateUser, DeleteUser)',
      'Directive.test.yaml:5:22: not a regular expression: Invalid regular expression: /(/: Unterminated group',
    ]);
  });

  it('case file - an expectation the input can never meet is a problem, not a failure', async () => {
    expect(await problemsOf('hello', 'cases:\n  - name: n\n    request: { path: /hello, method: POST }\n    expect: { published: false }\n')).toEqual([
      'Directive.test.yaml:4:15: expect.published applies to message cases (NATS, Kafka) only',
    ]);
    expect(await problemsOf('counter', 'cases:\n  - name: n\n    request: { path: /counters/a }\n    real: [cache]\n    expect: { cache: { a: "1" } }\n')).toEqual([
      'Directive.test.yaml:5:15: expect.cache reads the stubbed cache: it cannot check a real one (real: [cache])',
    ]);
    expect(await problemsOf('kafka-fanout', 'cases:\n  - name: n\n    message: { json: {} }\n    expect: { deadLetter: false, status: 200 }\n')).toEqual([
      'Directive.test.yaml:4:34: expect.status applies to request cases (HTTP) only',
    ]);
  });

  it('case file - an app without one', async () => {
    const app = join(await makeTempDir('e2rx-cases-'), 'hello');
    await cp(join(EXAMPLES, 'hello'), app, { recursive: true, filter: (source) => !source.endsWith('.test.yaml') });
    await expect(runCaseFile(await loadApp(app), { cwd: app, appDir: app, env: {} })).rejects.toMatchObject({ code: 'E2RX_TEST_CASES_NOT_FOUND', message: 'Directive.test.yaml does not exist' });
  });
});
