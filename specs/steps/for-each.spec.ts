import { describe, it } from 'vitest';
import { map, of } from 'rxjs';
import { marbleRunner, summarize, testRequest, text } from '../../src/testing/index.js';
import { runSteps } from '../../src/steps/steps.js';
import type { Step } from '../../src/directive/model.js';
import { call, createScheduler, onErr } from './support.js';

const forEach = (concurrency: number, policy?: ReturnType<typeof onErr>): Step[] => [
  { kind: 'forEach', in: 'items', call: call('double', { as: 'doubled', ...(policy ? { onErr: policy } : {}) }), concurrency },
];

describe('forEachStep', () => {
  it('forEachStep - runs once per element, concurrently, and gathers outputs in input order', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const delays: Record<string, string> = { '1': '---', '2': '-', '3': '--' };
      const runner = marbleRunner(cold, {
        double: (request) =>
          cold(`${delays[text(request.body)] ?? ''}x|`, {
            x: { kind: 'output' as const, output: new TextEncoder().encode(String(Number(text(request.body)) * 2)), request },
          }),
      });
      const request = testRequest({ state: { items: '[1,2,3]' } });
      expectObservable(runSteps(forEach(8), undefined, request, runner).pipe(summarize())).toBe('---(r|)', { r: 'ok [2,4,6]' });
    });
  });

  it('forEachStep - the concurrency bound limits how many elements run at once', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const runner = marbleRunner(cold, {
        double: (request) => cold('--x|', { x: { kind: 'output' as const, output: request.body, request } }),
      });
      const request = testRequest({ state: { items: '["a","b","c","d"]' } });
      expectObservable(runSteps(forEach(2), undefined, request, runner).pipe(summarize())).toBe('----(r|)', { r: 'ok ["a","b","c","d"]' });
    });
  });

  it('forEachStep - each element is in state under __elem, and non-JSON outputs become strings', () => {
    createScheduler().run(({ expectObservable }) => {
      const runner = marbleRunner(() => of(), {
        double: (request) => of({ kind: 'output' as const, output: new TextEncoder().encode(`elem=${text(request.state['__elem'])}`), request }),
      });
      const request = testRequest({ state: { items: '[{"id":1}]' } });
      expectObservable(runSteps(forEach(1), undefined, request, runner).pipe(summarize())).toBe('(r|)', { r: 'ok ["elem={\\"id\\":1}"]' });
    });
  });

  it('forEachStep - an element error continued by onErr is embedded; one returned stops the run', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const runner = () =>
        marbleRunner(cold, {
          double: (request) =>
            text(request.body) === '2'
              ? cold('e|', { e: { kind: 'runError' as const, code: 422, message: 'bad', request } })
              : cold('x|', { x: { kind: 'output' as const, output: request.body, request } }),
        });
      const request = testRequest({ state: { items: '[1,2]' } });
      expectObservable(runSteps(forEach(2, onErr({ 422: 'continue' })), undefined, request, runner()).pipe(summarize())).toBe('(r|)', {
        r: 'ok [1,{"code":422,"message":"bad"}]',
      });
      expectObservable(runSteps(forEach(2), undefined, request, runner()).pipe(summarize())).toBe('(r|)', { r: 'error 422 bad' });
    });
  });

  it('forEachStep - a state key that is not a JSON array fails the run with a clear message', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const runner = marbleRunner(cold, {});
      expectObservable(runSteps(forEach(1), undefined, testRequest({ state: { items: '{"a":1}' } }), runner).pipe(summarize())).toBe('(r|)', {
        r: 'failure forEach: state key items does not hold a JSON array',
      });
      expectObservable(runSteps(forEach(1), undefined, testRequest(), runner).pipe(map((result) => result.kind))).toBe('(r|)', { r: 'failure' });
    });
  });
});
