/**
 * A function runner whose functions are marble diagrams.
 *
 * @module
 */
import { map, throwIfEmpty, type Observable } from 'rxjs';
import { parseFqfn } from '../directive/fqfn.js';
import { E2rxError } from '../errors.js';
import type { FunctionRequest } from '../runtime/request.js';
import type { FunctionOutcome, FunctionRunner } from '../steps/function-runner.js';
import { assertSharedObservable } from './shared-rxjs.js';

/** What a stub emits: a string or bytes (output), `{ code, message }` (a Runnable error), or `null` (nothing). */
export type StubValue = string | Uint8Array | { readonly code: number; readonly message: string } | null;

/**
 * A stub: a cold marble diagram of outcomes (`'--a|'`), its values, and the error for `#` (a failure such as a
 * trap). A function given as a stub receives the request, to return values computed from it.
 */
export type StubSpec =
  | { readonly marbles: string; readonly values?: Readonly<Record<string, StubValue>>; readonly error?: unknown }
  | ((request: FunctionRequest) => Observable<FunctionOutcome>);

/** `cold` from `TestScheduler.run`'s helpers. */
export type ColdFactory = <T>(marbles: string, values?: Record<string, T>, error?: unknown) => Observable<T>;

const encoder = new TextEncoder();

/** The outcome of a stub value for a request. */
export function stubOutcome(value: StubValue, request: FunctionRequest): FunctionOutcome {
  if (value === null) return { kind: 'none', request };
  if (typeof value === 'string') return { kind: 'output', output: encoder.encode(value), request };
  if (value instanceof Uint8Array) return { kind: 'output', output: value, request };
  return { kind: 'runError', code: value.code, message: value.message, request };
}

/**
 * A runner whose functions are stubs, looked up by the fn string as written, then by FQFN, then by bare name. A
 * call to a function with no stub fails with `E2RX_FUNCTION_NOT_FOUND`; a stub that completes without a value
 * (`'-|'`) fails its call with `E2RX_TEST_STUB_EMPTY`, so the run ends with a failure naming it instead of with no
 * result at all. `calls` records every call in order.
 *
 * @throws {@link E2rxError} `E2RX_TEST_RXJS_DUPLICATE` when `cold` (or a stub function's Observable) comes from
 *   another copy of rxjs than e2rx's.
 *
 * @example
 * ```ts
 * scheduler.run(({ cold }) => {
 *   const runner = marbleRunner(cold, {
 *     get: { marbles: '--a|', values: { a: '{"id":1}' } },
 *     fail: { marbles: '-e|', values: { e: { code: 404, message: 'not found' } } },
 *     trap: { marbles: '-#', error: new Error('wasm trap') },
 *   });
 * });
 * ```
 */
export function marbleRunner(cold: ColdFactory, stubs: Readonly<Record<string, StubSpec>>): FunctionRunner & { readonly calls: string[] } {
  // A `cold` of another copy of rxjs than e2rx's means e2rx's timers ignore the test's clock: stop here, loudly.
  assertSharedObservable(probe(cold), 'the cold given to marbleRunner');
  const calls: string[] = [];
  const runner = (fn: { fqfn: string; fn: string }, request: FunctionRequest): Observable<FunctionOutcome> => {
    const stub = stubs[fn.fn] ?? stubs[fn.fqfn] ?? stubs[parseFqfn(fn.fqfn).fn];
    calls.push(fn.fn);
    if (stub === undefined) throw new E2rxError('E2RX_FUNCTION_NOT_FOUND', `no stub for function ${fn.fn}`);
    if (typeof stub === 'function') {
      const outcome = stub(request);
      assertSharedObservable(outcome, `the Observable the stub of ${fn.fn} returned`);
      return outcome.pipe(throwIfEmpty(() => emptyStub(fn.fn, 'its stub function')));
    }
    const values: Record<string, StubValue> = { ...(stub.values ?? {}) };
    const diagram = cold<StubValue>(stub.marbles, values, stub.error);
    assertSharedObservable(diagram, 'the cold given to marbleRunner');
    return diagram.pipe(
      throwIfEmpty(() => emptyStub(fn.fn, `its diagram '${stub.marbles}'`)),
      map((value) => stubOutcome(value, request)),
    );
  };
  return Object.assign(runner, { calls });
}

/** The error of a stub that completed without a value: a call ends at its first value, so it would never end. */
function emptyStub(fn: string, what: string): E2rxError {
  return new E2rxError(
    'E2RX_TEST_STUB_EMPTY',
    `the stub of ${fn} completed without a value (${what}): a stub must emit one value; use null for a function that returns nothing`,
  );
}

/** An Observable made by `cold`, to see which rxjs made it; `undefined` when `cold` cannot be called yet. */
function probe(cold: ColdFactory): unknown {
  try {
    return cold('|');
  } catch {
    return undefined;
  }
}
