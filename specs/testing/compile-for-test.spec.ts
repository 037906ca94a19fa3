/**
 * `e2rx/testing`: compileForTest from YAML with marble stubs, as the module's own example shows, and its edges.
 */
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { E2rxError } from '../../src/errors.js';
import { compileForTest, marbleRunner, summarize, summarizeResult, testRequest } from '../../src/testing/index.js';

const directiveYaml = `
identifier: com.example.hello
appVersion: v1.0.0
atmoVersion: v0.4.7
handlers:
  - type: request
    resource: /hello
    method: POST
    steps:
      - fn: hello
  - type: stream
    resource: /stream
    steps:
      - fn: hello
      - fn: missing
`;

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('compileForTest', () => {
  it("compileForTest - the module example: POST /hello with a '--a|' stub answers at frame 2", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const runner = marbleRunner(cold, { hello: { marbles: '--a|', values: { a: 'hi' } } });
      const app = compileForTest(directiveYaml, { runner });
      expectObservable(app.run('POST /hello', testRequest({ body: 'x' })).pipe(summarize())).toBe('--(r|)', { r: 'ok hi' });
    });
  });

  it('compileForTest - infers the runnables from the fn names and compiles every handler', () => {
    const app = compileForTest(directiveYaml, { runner: () => {
      throw new Error('not called');
    } });
    expect(app.plan.requests.map((handler) => handler.id)).toEqual(['POST /hello']);
    expect(app.plan.websockets.map((handler) => handler.id)).toEqual(['ws /stream']);
  });

  it('compileForTest - a function without a stub fails the run (not the test scheduler)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const runner = marbleRunner(cold, { hello: { marbles: 'a|', values: { a: 'hi' } } });
      const app = compileForTest(directiveYaml, { runner });
      expectObservable(app.run('ws /stream', testRequest({ method: 'GET' })).pipe(summarize())).toBe('(r|)', { r: 'failure no stub for function missing' });
    });
  });

  it('compileForTest - an unknown handler id throws E2RX_FUNCTION_NOT_FOUND listing the ids', () => {
    const app = compileForTest(directiveYaml, { runner: marbleRunner(() => {
      throw new Error('unused');
    }, {}) });
    expect(() => app.run('GET /nope', testRequest())).toThrow(/no handler or schedule 'GET \/nope'; the app has: POST \/hello, ws \/stream/);
  });

  it('compileForTest - invalid YAML throws E2RX_DIRECTIVE_INVALID with every problem', () => {
    let caught: unknown;
    try {
      compileForTest('identifier: x\nhandlers:\n  - type: request\n    resource: /a\n', { runner: () => {
        throw new Error('unused');
      } });
    } catch (error) {
      caught = error;
    }
    expect(E2rxError.is(caught, 'E2RX_DIRECTIVE_INVALID')).toBe(true);
    expect((caught as E2rxError).details['problems']).toBeInstanceOf(Array);
  });

  it('summarizeResult - ok, error and failure', () => {
    const request = testRequest();
    expect(summarizeResult({ kind: 'ok', body: new TextEncoder().encode('b'), request })).toBe('ok b');
    expect(summarizeResult({ kind: 'runError', error: { code: 404, message: 'nf' }, request })).toBe('error 404 nf');
    expect(summarizeResult({ kind: 'failure', error: new Error('boom'), request })).toBe('failure boom');
  });
});
