/**
 * `marbleRunner`: a stub that completes without a value (`'-|'`) fails the run with a clear message, instead of
 * leaving the run without any result (which a matching wrong expectation would let pass).
 */
import { EMPTY } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { compileForTest, marbleRunner, summarize, testRequest } from '../../src/testing/index.js';

const directive = `
identifier: com.example.empty
appVersion: v1.0.0
atmoVersion: v0.4.7
handlers:
  - type: request
    resource: /hello
    method: POST
    steps:
      - fn: hello
`;

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('marbleRunner - a stub that emits no value', () => {
  it("marble runner - a '-|' stub fails the run at its completion, naming the function and the diagram", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const app = compileForTest(directive, { runner: marbleRunner(cold, { hello: { marbles: '-|' } }) });
      expectObservable(app.run('POST /hello', testRequest()).pipe(summarize())).toBe('-(r|)', {
        r: "failure the stub of hello completed without a value (its diagram '-|'): a stub must emit one value; use null for a function that returns nothing",
      });
    });
  });

  it('marble runner - a stub function that returns EMPTY fails the same way', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const app = compileForTest(directive, { runner: marbleRunner(cold, { hello: () => EMPTY }) });
      expectObservable(app.run('POST /hello', testRequest()).pipe(summarize())).toBe('(r|)', {
        r: 'failure the stub of hello completed without a value (its stub function): a stub must emit one value; use null for a function that returns nothing',
      });
    });
  });

  it("marble runner - a test expecting no result from a '-|' stub now fails, with the message in its diff", () => {
    let failure: unknown;
    try {
      scheduler().run(({ cold, expectObservable }) => {
        const app = compileForTest(directive, { runner: marbleRunner(cold, { hello: { marbles: '-|' } }) });
        // What such a test used to pass with: the run completing with nothing.
        expectObservable(app.run('POST /hello', testRequest()).pipe(summarize())).toBe('-|');
      });
    } catch (error) {
      failure = error;
    }
    expect(failure, 'the test must fail').toBeInstanceOf(Error);
    // vitest prints `actual` as the diff: the failure of the run, with the message.
    expect(JSON.stringify((failure as { actual?: unknown }).actual)).toContain('failure the stub of hello completed without a value');
  });

  it('marble runner - null is how a stub says the function returned nothing: the run goes on', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const app = compileForTest(directive, { runner: marbleRunner(cold, { hello: { marbles: '-n|', values: { n: null } } }) });
      expectObservable(app.run('POST /hello', testRequest()).pipe(summarize())).toBe('-(r|)', { r: 'ok ' });
    });
  });
});
