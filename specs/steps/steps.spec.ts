import { describe, expect, it } from 'vitest';
import { map, of } from 'rxjs';
import { marbleRunner, summarize, testRequest, text } from '../../src/testing/index.js';
import { runSteps, startRun, stepsOperator } from '../../src/steps/steps.js';
import { fnStep } from '../../src/steps/fn.js';
import type { Step } from '../../src/directive/model.js';
import { call, createScheduler } from './support.js';

const fnSteps = (...calls: ReturnType<typeof call>[]): Step[] => calls.map((entry) => ({ kind: 'fn', call: entry }));

describe('steps', () => {
  it('steps - run in order, each after the previous completes, and the last output is the response', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const runner = marbleRunner(cold, {
        a: { marbles: '--a|', values: { a: 'A' } },
        b: { marbles: '---b|', values: { b: 'B' } },
      });
      expectObservable(runSteps(fnSteps(call('a'), call('b')), undefined, testRequest(), runner).pipe(summarize())).toBe('-----(r|)', { r: 'ok B' });
    });
  });

  it('steps - every step receives the original body as input, not the previous output', () => {
    const bodies: string[] = [];
    createScheduler().run(({ expectObservable }) => {
      const runner = marbleRunner(() => of(), {
        a: (request) => {
          bodies.push(text(request.body));
          return of({ kind: 'output' as const, output: new TextEncoder().encode('from-a'), request });
        },
        b: (request) => {
          bodies.push(text(request.body));
          return of({ kind: 'output' as const, output: new TextEncoder().encode(`b saw ${text(request.state['a'])}`), request });
        },
      });
      expectObservable(runSteps(fnSteps(call('a'), call('b')), undefined, testRequest({ body: 'original' }), runner).pipe(summarize())).toBe('(r|)', {
        r: 'ok b saw from-a',
      });
    });
    expect(bodies).toEqual(['original', 'original']);
  });

  it('steps - state is keyed by `as`, else by the fn string as written; `response` picks the key', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const runner = marbleRunner(cold, {
        'users::get': { marbles: 'a|', values: { a: 'user' } },
        other: { marbles: 'a|', values: { a: 'other' } },
      });
      const steps = fnSteps(call('users::get'), call('other', { as: 'renamed' }));
      const run = runSteps(steps, 'users::get', testRequest(), runner).pipe(
        map((result) => `${text(result.request.state['users::get'])}/${text(result.request.state['renamed'])}/${result.kind === 'ok' ? text(result.body) : ''}`),
      );
      expectObservable(run).toBe('(r|)', { r: 'user/other/user' });
    });
  });

  it('steps - a response key that is absent gives an empty 200 body', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const runner = marbleRunner(cold, { a: { marbles: 'a|', values: { a: 'A' } } });
      expectObservable(runSteps(fnSteps(call('a')), 'missing', testRequest(), runner).pipe(summarize())).toBe('(r|)', { r: 'ok ' });
    });
  });

  it('steps - `with` passes the desired state: aliases, other keys unchanged, aliased keys only under their alias', () => {
    let seen: string[] = [];
    createScheduler().run(({ cold, expectObservable }) => {
      const runner = marbleRunner(cold, {
        a: { marbles: 'a|', values: { a: 'A' } },
        b: { marbles: 'b|', values: { b: 'B' } },
        c: (request) => {
          seen = Object.keys(request.state).sort();
          return of({ kind: 'output' as const, output: request.state['input'] ?? new Uint8Array(), request });
        },
      });
      const steps = fnSteps(call('a'), call('b'), call('c', { with: { input: 'a' } }));
      expectObservable(runSteps(steps, undefined, testRequest(), runner).pipe(summarize())).toBe('(r|)', { r: 'ok A' });
    });
    expect(seen).toEqual(['b', 'input']);
  });

  it('steps - a `with` key missing from state fails the run with the original message', () => {
    let calls: string[] = ['not run'];
    createScheduler().run(({ cold, expectObservable }) => {
      const runner = marbleRunner(cold, { c: { marbles: 'c|', values: { c: 'C' } } });
      calls = runner.calls;
      const steps = fnSteps(call('c', { with: { input: 'nope' } }));
      expectObservable(runSteps(steps, undefined, testRequest(), runner).pipe(summarize())).toBe('(r|)', {
        r: 'failure failed to build desired state, nope does not exists in handler state',
      });
    });
    expect(calls).toEqual([]);
  });

  it('steps - a failure (trap) stops the run and later steps do not run', () => {
    let calls: string[] = [];
    createScheduler().run(({ cold, expectObservable }) => {
      const runner = marbleRunner(cold, { a: { marbles: '-#', error: new Error('wasm trap: unreachable') }, b: { marbles: 'b|', values: { b: 'B' } } });
      calls = runner.calls;
      expectObservable(runSteps(fnSteps(call('a'), call('b')), undefined, testRequest(), runner).pipe(summarize())).toBe('-(r|)', {
        r: 'failure wasm trap: unreachable',
      });
    });
    expect(calls).toEqual(['a']);
  });

  it('steps - a function that returns nothing records nothing', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const runner = marbleRunner(cold, { a: { marbles: 'n|', values: { n: null } } });
      const run = runSteps(fnSteps(call('a')), undefined, testRequest(), runner).pipe(map((result) => `${result.kind} ${'a' in result.request.state}`));
      expectObservable(run).toBe('(r|)', { r: 'ok false' });
    });
  });

  it('steps - response headers set by functions accumulate; later steps overwrite the same name', () => {
    createScheduler().run(({ expectObservable }) => {
      const withHeader = (name: string, value: string) => (request: ReturnType<typeof testRequest>) =>
        of({ kind: 'output' as const, output: new Uint8Array(), request: { ...request, respHeaders: { ...request.respHeaders, [name]: value } } });
      const runner = marbleRunner(() => of(), { a: withHeader('x-a', '1'), b: withHeader('x-a', '2'), c: withHeader('content-type', 'text/plain') });
      const run = runSteps(fnSteps(call('a'), call('b'), call('c')), undefined, testRequest(), runner).pipe(map((result) => JSON.stringify(result.request.respHeaders)));
      expectObservable(run).toBe('(r|)', { r: JSON.stringify({ 'x-a': '2', 'content-type': 'text/plain' }) });
    });
  });

  it('steps - many runs through one operator chain run concurrently, each in step order', () => {
    createScheduler().run(({ cold, hot, expectObservable }) => {
      const runner = marbleRunner(cold, { a: { marbles: '---a|', values: { a: 'A' } }, b: { marbles: '-b|', values: { b: 'B' } } });
      const requests = hot('-x-y|', { x: startRun(testRequest({ id: 'x' })), y: startRun(testRequest({ id: 'y' })) });
      const output = requests.pipe(
        stepsOperator(fnSteps(call('a'), call('b')), runner),
        map((state) => `${state.request.id}:${text(state.request.state['b'])}`),
      );
      expectObservable(output).toBe('-----x-(y|)', { x: 'x:B', y: 'y:B' });
    });
  });

  it('fnStep - is usable alone as an operator', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const runner = marbleRunner(cold, { a: { marbles: '-a|', values: { a: 'A' } } });
      expectObservable(of(startRun(testRequest())).pipe(fnStep(call('a'), runner), map((state) => text(state.request.state['a'])))).toBe('-(r|)', { r: 'A' });
    });
  });

});
