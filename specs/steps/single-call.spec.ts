/**
 * The single-call run (src/steps/single-call.ts): a handler whose steps are one `fn` step without `with` runs without
 * the step sequence. Every case is run both ways, through `singleCallStart` and through the general path
 * (`startStepSequence` over `fnStart`), and must give the same result; with a runner in callback form (the engine's)
 * and with one that only returns Observables (the marble kit's).
 */
import { of, throwError, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Step } from '../../src/directive/model.js';
import type { GuestPublish } from '../../src/runtime/guest-publish.js';
import type { FunctionRequest } from '../../src/runtime/request.js';
import { fnStart } from '../../src/steps/fn.js';
import type { FunctionOutcome, FunctionRef, FunctionRunner } from '../../src/steps/function-runner.js';
import { resultOf, startRun, type RunResult } from '../../src/steps/run-state.js';
import { singleCallStart } from '../../src/steps/single-call.js';
import { startStepSequence } from '../../src/steps/step-operator.js';
import { compileRun } from '../../src/steps/steps.js';
import { testRequest } from '../../src/testing/index.js';
import { call, onErr } from './support.js';

const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** What a stub function does with the request it gets: an outcome, or a failure (an Error, thrown when `throws`). */
type Behaviour = (request: FunctionRequest) => FunctionOutcome | Error;

/** A runner in callback form (it also has the Observable form), answering at once. */
function callbackRunner(behaviour: Behaviour): FunctionRunner & { readonly calls: FunctionRef[] } {
  const calls: FunctionRef[] = [];
  const observe = (fn: FunctionRef, request: FunctionRequest): Observable<FunctionOutcome> => {
    calls.push(fn);
    const outcome = behaviour(request);
    return outcome instanceof Error ? throwError(() => outcome) : of(outcome);
  };
  return Object.assign(observe, {
    calls,
    start: (fn: FunctionRef, request: FunctionRequest, next: (outcome: FunctionOutcome) => void, fail: (error: unknown) => void) => {
      calls.push(fn);
      const outcome = behaviour(request);
      if (outcome instanceof Error) fail(outcome);
      else next(outcome);
      return undefined;
    },
  });
}

/** A runner with only the Observable form. */
function observableRunner(behaviour: Behaviour): FunctionRunner {
  return (_fn, request) => {
    const outcome = behaviour(request);
    return outcome instanceof Error ? throwError(() => outcome) : of(outcome);
  };
}

/** The result of one run of `step` both ways; they must agree. */
function bothWays(step: Step & { kind: 'fn' }, behaviour: Behaviour, request: FunctionRequest, response?: string): RunResult {
  const results: RunResult[] = [];
  for (const runner of [callbackRunner(behaviour), observableRunner(behaviour)]) {
    const single = singleCallStart([step], response, runner);
    expect(single).toBeDefined();
    let direct: RunResult | undefined;
    expect(single?.(request, (result) => (direct = result))).toBeUndefined();
    let general: RunResult | undefined;
    startStepSequence([fnStart(step.call, runner)], startRun(request), (state) => (general = resultOf(state, response)));
    expect(direct).toBeDefined();
    expect(direct).toEqual(general);
    results.push(direct as RunResult);
  }
  expect(results[0]).toEqual(results[1]);
  return results[0] as RunResult;
}

const fn = (name: string, options: Parameters<typeof call>[1] = {}): Step & { kind: 'fn' } => ({ kind: 'fn', call: call(name, options) });

describe('singleCallStart', () => {
  it('single call - the output is the body and goes into state under the call key, as on the general path', () => {
    const result = bothWays(fn('echo', { as: 'out' }), (request) => ({ kind: 'output', output: request.body, request }), testRequest({ body: 'hi' }));
    expect(result.kind).toBe('ok');
    expect(result.kind === 'ok' && decode(result.body)).toBe('hi');
    expect(decode(result.request.state['out'] as Uint8Array)).toBe('hi');
  });

  it('single call - `response` names the key answered: present in state, or absent (an empty body)', () => {
    const request = testRequest({ state: { kept: 'from before' } });
    const echo: Behaviour = (given) => ({ kind: 'output', output: text('new'), request: given });
    const kept = bothWays(fn('echo'), echo, request, 'kept');
    expect(kept.kind === 'ok' && decode(kept.body)).toBe('from before');
    const absent = bothWays(fn('echo'), echo, request, 'missing');
    expect(absent.kind === 'ok' && absent.body.length).toBe(0);
  });

  it('single call - a function that returns nothing answers an empty body and stores nothing', () => {
    const result = bothWays(fn('quiet'), (request) => ({ kind: 'none', request }), testRequest());
    expect(result).toMatchObject({ kind: 'ok' });
    expect(result.kind === 'ok' && result.body.length).toBe(0);
    expect(result.request.state).toEqual({});
  });

  it("single call - the function's changes to state, headers and response headers reach the result", () => {
    const result = bothWays(
      fn('tag'),
      (request) => ({ kind: 'output', output: text('ok'), request: { ...request, state: { ...request.state, extra: text('x') }, respHeaders: { 'x-tag': 'yes' }, url: '/changed' } }),
      testRequest(),
    );
    expect(result.request.respHeaders).toEqual({ 'x-tag': 'yes' });
    expect(result.request.url).toBe('/changed');
    expect(Object.keys(result.request.state).sort()).toEqual(['extra', 'tag']);
  });

  it('single call - a Runnable error returns as a runError; onErr continue answers its error JSON; a code not listed returns', () => {
    const failing: Behaviour = (request) => ({ kind: 'runError', code: Number(request.headers['x-code'] ?? 404), message: 'nope', request });
    expect(bothWays(fn('fail'), failing, testRequest())).toMatchObject({ kind: 'runError', error: { code: 404, message: 'nope' } });
    const continued = bothWays(fn('fail', { onErr: onErr({}, { any: 'continue' }) }), failing, testRequest());
    expect(continued.kind === 'ok' && decode(continued.body)).toBe('{"code":404,"message":"nope"}');
    const listed = fn('fail', { onErr: onErr({ 404: 'continue' }) });
    expect(bothWays(listed, failing, testRequest()).kind).toBe('ok');
    expect(bothWays(listed, failing, testRequest({ headers: { 'x-code': '409' } }))).toMatchObject({ kind: 'runError', error: { code: 409 } });
  });

  it('single call - a failure of the call (or a runner that throws) is a failure result with the run request', () => {
    const request = testRequest();
    const failed = bothWays(fn('trap'), () => new Error('trapped'), request);
    expect(failed).toMatchObject({ kind: 'failure', error: { message: 'trapped' }, request });
    const throwing: FunctionRunner = Object.assign(() => of<FunctionOutcome>({ kind: 'none', request }), {
      start: () => {
        throw new Error('runner broke');
      },
    });
    let result: RunResult | undefined;
    singleCallStart([fn('trap')], undefined, throwing)?.(request, (given) => (result = given));
    expect(result).toMatchObject({ kind: 'failure', error: { message: 'runner broke' } });
  });

  it('single call - a throw from the result callback, once the call ended, propagates and is not taken for a failure', () => {
    const runner = callbackRunner((request) => ({ kind: 'output', output: text('x'), request }));
    const results: string[] = [];
    const start = singleCallStart([fn('echo')], undefined, runner);
    expect(() =>
      start?.(testRequest(), (result) => {
        results.push(result.kind);
        throw new Error('the reply broke');
      }),
    ).toThrow('the reply broke');
    expect(results).toEqual(['ok']);
  });

  it('single call - what the call published stays on an ok result; a call that returned an error carries none', () => {
    const message: GuestPublish = { connection: 'nats', target: 'audit', body: text('m'), headers: [] };
    const ok = bothWays(fn('pub'), (request) => ({ kind: 'output', output: text('done'), request, publishes: [message] }), testRequest());
    expect(ok).toMatchObject({ kind: 'ok', publishes: [message] });
    const quiet = bothWays(fn('pub'), (request) => ({ kind: 'output', output: text('done'), request }), testRequest());
    expect(quiet.kind === 'ok' && 'publishes' in quiet).toBe(false);
  });

  it('single call - a call that does not end at once is cancelled through the returned function, and gives no result', () => {
    let cancelled = 0;
    const pending: FunctionRunner = Object.assign(() => of<FunctionOutcome>(), {
      start: () => () => {
        cancelled += 1;
      },
    });
    const results: RunResult[] = [];
    const cancel = singleCallStart([fn('slow')], undefined, pending)?.(testRequest(), (result) => results.push(result));
    expect(cancel).toBeTypeOf('function');
    cancel?.();
    expect(cancelled).toBe(1);
    expect(results).toEqual([]);
  });

  it('single call - steps of another shape take the general path: `with`, two steps, a group', () => {
    const runner = callbackRunner((request) => ({ kind: 'none', request }));
    expect(singleCallStart([fn('a', { with: { x: 'y' } })], undefined, runner)).toBeUndefined();
    expect(singleCallStart([fn('a'), fn('b')], undefined, runner)).toBeUndefined();
    expect(singleCallStart([{ kind: 'group', calls: [call('a')], with: {}, onErr: undefined }], undefined, runner)).toBeUndefined();
    expect(singleCallStart([], undefined, runner)).toBeUndefined();
  });

  it('compileRun - a single call runs once per request through start and as an Observable', () => {
    const runner = callbackRunner((request) => ({ kind: 'output', output: request.body, request }));
    const run = compileRun([fn('echo')], undefined, runner);
    const results: string[] = [];
    run.start(testRequest({ body: 'a' }), (result) => results.push(result.kind === 'ok' ? decode(result.body) : result.kind));
    run(testRequest({ body: 'b' })).subscribe((result) => results.push(result.kind === 'ok' ? decode(result.body) : result.kind));
    expect(results).toEqual(['a', 'b']);
    expect(runner.calls).toHaveLength(2);
  });
});
