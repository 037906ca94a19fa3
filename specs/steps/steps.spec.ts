import { describe, expect, it } from 'vitest';
import { map, of } from 'rxjs';
import { marbleRunner, summarize, testRequest, text } from '../../src/testing/index.js';
import { runSteps, startRun, stepsOperator, type RunResult } from '../../src/steps/steps.js';
import type { GuestPublish } from '../../src/runtime/guest-publish.js';
import type { FunctionRequest } from '../../src/runtime/request.js';
import { fnStep } from '../../src/steps/fn.js';
import type { Step } from '../../src/directive/model.js';
import { call, createScheduler, onErr } from './support.js';

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


  describe('(e2rx) published messages', () => {
    const message = (target: string): GuestPublish => ({ connection: 'nats', target, body: new Uint8Array(0), headers: [] });
    const publishing = (target: string, kind: 'output' | 'none' = 'output') => (request: FunctionRequest) =>
      of(kind === 'output' ? { kind, output: new TextEncoder().encode(target), request, publishes: [message(target)] } : { kind, request, publishes: [message(target)] });
    const targets = (result: RunResult): string[] | undefined => (result.kind === 'ok' ? result.publishes?.map((m) => m.target) : undefined);

    it('steps - a run carries what its calls published, in step order; a group in its listed order, a forEach in input order', () => {
      const results: RunResult[] = [];
      createScheduler().run(({ cold, flush }) => {
        const runner = marbleRunner(cold, {
          a: publishing('a'),
          n: publishing('n', 'none'),
          slow: (request) => cold('---x|', { x: { kind: 'output' as const, output: new Uint8Array(0), request, publishes: [message('slow')] } }),
          fast: publishing('fast'),
          list: () => of(),
          each: (request) => of({ kind: 'output' as const, output: request.body, request, publishes: [message(`each ${text(request.body)}`)] }),
        });
        const steps: Step[] = [
          { kind: 'fn', call: call('a') },
          { kind: 'fn', call: call('n') },
          { kind: 'group', calls: [call('slow'), call('fast')], with: {}, onErr: undefined },
          { kind: 'forEach', in: 'items', call: call('each'), concurrency: 2 },
        ];
        const request = testRequest({ state: { items: '[1,2,3]' } });
        runSteps(steps, undefined, request, runner).subscribe((result) => results.push(result));
        flush();
      });
      expect(results.map(targets)).toEqual([['a', 'n', 'slow', 'fast', 'each 1', 'each 2', 'each 3']]);
    });

    it('steps - a call that returns an error publishes nothing, even when onErr continues; a run that returns an error carries none', () => {
      const results: RunResult[] = [];
      createScheduler().run(({ cold, flush }) => {
        const failing = (request: FunctionRequest) => of({ kind: 'runError' as const, code: 400, message: 'no', request, publishes: [message('never')] });
        const runner = marbleRunner(cold, { a: publishing('a'), bad: failing });
        runSteps(fnSteps(call('a'), call('bad', { onErr: onErr({}, { any: 'continue' }) })), undefined, testRequest(), runner).subscribe((r) => results.push(r));
        runSteps(fnSteps(call('a'), call('bad')), undefined, testRequest(), runner).subscribe((r) => results.push(r));
        flush();
      });
      expect(results.map((result) => [result.kind, targets(result)])).toEqual([
        ['ok', ['a']],
        ['runError', undefined],
      ]);
      expect('publishes' in (results[1] as RunResult)).toBe(false);
    });

    it('steps - a run whose calls publish nothing has no publishes field', () => {
      const results: RunResult[] = [];
      createScheduler().run(({ cold, flush }) => {
        const runner = marbleRunner(cold, { a: { marbles: '-x|', values: { x: 'A' } } });
        runSteps(fnSteps(call('a')), undefined, testRequest(), runner).subscribe((r) => results.push(r));
        flush();
      });
      expect(results).toHaveLength(1);
      expect('publishes' in (results[0] as RunResult)).toBe(false);
    });
  });
});
