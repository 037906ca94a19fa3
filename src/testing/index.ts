/**
 * `e2rx/testing`: the marble-test kit. Compile a Directive (or compose steps in TypeScript) with functions replaced
 * by marble-defined stubs, drive it with RxJS's `TestScheduler`, and assert emissions, ordering, concurrency and
 * onErr routing in virtual time.
 *
 * @example
 * ```ts
 * import { TestScheduler } from 'rxjs/testing';
 * import { compileForTest, marbleRunner, summarize, testRequest } from 'e2rx/testing';
 *
 * new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(({ cold, expectObservable }) => {
 *   const runner = marbleRunner(cold, { hello: { marbles: '--a|', values: { a: 'hi' } } });
 *   const app = compileForTest(directiveYaml, { runner });
 *   expectObservable(app.run('POST /hello', testRequest({ body: 'x' })).pipe(summarize())).toBe('--(r|)', { r: 'ok hi' });
 * });
 * ```
 * @see ../../docs/guides/testing.md
 * @module
 */
export { marbleRunner, stubOutcome, type StubSpec, type StubValue, type ColdFactory } from './marble-runner.js';
export { compileForTest, type TestApp, type CompileForTestOptions } from './compile-for-test.js';
export { testRequest, summarize, summarizeResult, text } from './helpers.js';
export { createWasmRunner, type WasmRunner, type WasmRunnerOptions } from './wasm-runner.js';
