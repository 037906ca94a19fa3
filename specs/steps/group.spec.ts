import { describe, expect, it } from 'vitest';
import { map } from 'rxjs';
import { marbleRunner, summarize, testRequest, text } from '../../src/testing/index.js';
import { runSteps } from '../../src/steps/steps.js';
import type { Step } from '../../src/directive/model.js';
import { call, createScheduler, onErr } from './support.js';

describe('groupStep', () => {
  it('groupStep - members start together on the same snapshot and the step ends when the slowest ends', () => {
    createScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('--a|', { a: 'A' });
      const b = cold('----b|', { b: 'B' });
      const runner = marbleRunner(cold, {
        first: { marbles: 'f|', values: { f: 'F' } },
        a: () => a.pipe(map((value) => ({ kind: 'output' as const, output: new TextEncoder().encode(value), request: testRequest() }))),
        b: () => b.pipe(map((value) => ({ kind: 'output' as const, output: new TextEncoder().encode(value), request: testRequest() }))),
      });
      const steps: Step[] = [
        { kind: 'fn', call: call('first') },
        { kind: 'group', calls: [call('a'), call('b')], with: {}, onErr: undefined },
      ];
      const run = runSteps(steps, 'a', testRequest(), runner).pipe(
        map((result) => `${result.kind} ${text(result.request.state['a'])}${text(result.request.state['b'])} ${result.kind === 'ok' ? text(result.body) : ''}`),
      );
      expectObservable(run).toBe('----(r|)', { r: 'ok AB A' });
      expectSubscriptions(a.subscriptions).toBe('^-!');
      expectSubscriptions(b.subscriptions).toBe('^---!');
    });
  });

  it('groupStep - a group as the last step without response gives an empty body', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const runner = marbleRunner(cold, { a: { marbles: 'a|', values: { a: 'A' } }, b: { marbles: 'b|', values: { b: 'B' } } });
      const steps: Step[] = [{ kind: 'group', calls: [call('a'), call('b')], with: {}, onErr: undefined }];
      expectObservable(runSteps(steps, undefined, testRequest(), runner).pipe(summarize())).toBe('(r|)', { r: 'ok ' });
    });
  });

  it('groupStep - each member applies its own with and onErr', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const runner = marbleRunner(cold, {
        seed: { marbles: 's|', values: { s: 'S' } },
        a: { marbles: '-e|', values: { e: { code: 404, message: 'not found' } } },
        b: (request) => cold('--b|', { b: { kind: 'output' as const, output: request.state['input'] ?? new Uint8Array(), request } }),
      });
      const steps: Step[] = [
        { kind: 'fn', call: call('seed') },
        { kind: 'group', calls: [call('a', { onErr: onErr({ 404: 'continue' }) }), call('b', { with: { input: 'seed' } })], with: {}, onErr: undefined },
      ];
      const run = runSteps(steps, undefined, testRequest(), runner).pipe(
        map((result) => `${result.kind} a=${text(result.request.state['a'])} b=${text(result.request.state['b'])}`),
      );
      expectObservable(run).toBe('--(r|)', { r: 'ok a={"code":404,"message":"not found"} b=S' });
    });
  });

  it('groupStep - a member error without onErr stops the run with that error', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const runner = marbleRunner(cold, {
        a: { marbles: '-e|', values: { e: { code: 418, message: 'teapot' } } },
        b: { marbles: '---b|', values: { b: 'B' } },
        after: { marbles: 'x|', values: { x: 'X' } },
      });
      const steps: Step[] = [
        { kind: 'group', calls: [call('a'), call('b')], with: {}, onErr: undefined },
        { kind: 'fn', call: call('after') },
      ];
      expectObservable(runSteps(steps, undefined, testRequest(), runner).pipe(summarize())).toBe('---(r|)', { r: 'error 418 teapot' });
    });
  });

  it('groupStep - a member failure fails the step at once and cancels the others', () => {
    createScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const slow = cold('------s|', { s: 'S' });
      const runner = marbleRunner(cold, {
        a: { marbles: '--#', error: new Error('trap') },
        b: () => slow.pipe(map(() => ({ kind: 'none' as const, request: testRequest() }))),
      });
      const steps: Step[] = [{ kind: 'group', calls: [call('a'), call('b')], with: {}, onErr: undefined }];
      expectObservable(runSteps(steps, 'a', testRequest(), runner).pipe(summarize())).toBe('--(r|)', { r: 'failure trap' });
      expectSubscriptions(slow.subscriptions).toBe('^-!');
    });
  });

  it('groupStep - times out with "fn group timed out" after the group timeout', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const runner = marbleRunner(cold, { a: { marbles: '10s a|', values: { a: 'A' } } });
      const steps: Step[] = [{ kind: 'group', calls: [call('a')], with: {}, onErr: undefined }];
      expectObservable(runSteps(steps, 'a', testRequest(), runner, { groupTimeoutMs: 5000 }).pipe(summarize())).toBe('5s (r|)', {
        r: 'failure fn group timed out',
      });
    });
  });

  it('groupStep - the default group timeout is 30 s', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const runner = marbleRunner(cold, { a: { marbles: '31s a|', values: { a: 'A' } } });
      const steps: Step[] = [{ kind: 'group', calls: [call('a')], with: {}, onErr: undefined }];
      expectObservable(runSteps(steps, 'a', testRequest(), runner).pipe(summarize())).toBe('30s (r|)', { r: 'failure fn group timed out' });
    });
  });

  it('groupStep - results merge in completion order', () => {
    const order: string[] = [];
    createScheduler().run(({ cold, expectObservable }) => {
      const header = (name: string, delay: string) => (request: ReturnType<typeof testRequest>) =>
        cold(`${delay}x|`, { x: { kind: 'output' as const, output: new Uint8Array(), request: { ...request, respHeaders: { 'x-last': name } } } }).pipe(
          map((outcome) => {
            order.push(name);
            return outcome;
          }),
        );
      const runner = marbleRunner(cold, { slow: header('slow', '---'), fast: header('fast', '-') });
      const steps: Step[] = [{ kind: 'group', calls: [call('slow'), call('fast')], with: {}, onErr: undefined }];
      expectObservable(runSteps(steps, undefined, testRequest(), runner).pipe(map((result) => result.request.respHeaders['x-last']))).toBe('---(r|)', {
        r: 'slow',
      });
    });
    expect(order).toEqual(['fast', 'slow']);
  });
});
