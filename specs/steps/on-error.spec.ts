import { describe, expect, it } from 'vitest';
import { map } from 'rxjs';
import { decideOnError } from '../../src/steps/on-error.js';
import { marbleRunner, summarize, testRequest, text } from '../../src/testing/index.js';
import { runSteps } from '../../src/steps/steps.js';
import type { OnErr, Step } from '../../src/directive/model.js';
import { call, createScheduler, onErr } from './support.js';

describe('decideOnError', () => {
  it('decideOnError - without onErr every error returns', () => {
    expect(decideOnError(undefined, 404)).toBe('return');
  });
  it('decideOnError - a listed code takes its directive', () => {
    expect(decideOnError(onErr({ 404: 'continue' }), 404)).toBe('continue');
    expect(decideOnError(onErr({ 404: 'return' }, { other: 'continue' }), 404)).toBe('return');
  });
  it('decideOnError - an unlisted code takes other, and returns without other', () => {
    expect(decideOnError(onErr({ 404: 'continue' }, { other: 'continue' }), 500)).toBe('continue');
    expect(decideOnError(onErr({ 404: 'continue' }), 500)).toBe('return');
  });
  it('decideOnError - without codes, any decides', () => {
    expect(decideOnError(onErr({}, { any: 'continue' }), 500)).toBe('continue');
    expect(decideOnError(onErr({}, { any: 'return' }), 500)).toBe('return');
    expect(decideOnError(onErr({}), 500)).toBe('return');
  });
});

describe('onErr routing', () => {
  const errorThenNext = (policy: OnErr | undefined, _code: number): Step[] => [
    { kind: 'fn', call: call('fails', { onErr: policy as OnErr }) },
    { kind: 'fn', call: call('next') },
  ];
  const cases: Array<[string, OnErr | undefined, number, string]> = [
    ['no onErr returns the error', undefined, 404, 'error 404 not found'],
    ['code continue goes on', onErr({ 404: 'continue' }), 404, 'ok next'],
    ['code return returns', onErr({ 404: 'return' }), 404, 'error 404 not found'],
    ['other continue covers unlisted codes', onErr({ 401: 'return' }, { other: 'continue' }), 404, 'ok next'],
    ['unlisted codes without other return', onErr({ 401: 'continue' }), 404, 'error 404 not found'],
    ['any continue goes on', onErr({}, { any: 'continue' }), 404, 'ok next'],
    ['any return returns', onErr({}, { any: 'return' }), 404, 'error 404 not found'],
  ];
  for (const [name, policy, code, expected] of cases) {
    it(`onErr - ${name}`, () => {
      createScheduler().run(({ cold, expectObservable }) => {
        const runner = marbleRunner(cold, {
          fails: { marbles: '-e|', values: { e: { code, message: 'not found' } } },
          next: { marbles: '-n|', values: { n: 'next' } },
        });
        const frames = expected.startsWith('ok') ? '--(r|)' : '-(r|)';
        expectObservable(runSteps(errorThenNext(policy, code), undefined, testRequest(), runner).pipe(summarize())).toBe(frames, { r: expected });
      });
    });
  }

  it('onErr - continue stores the error JSON under the call key (the documented behaviour, not v0.4.7 empty)', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const runner = marbleRunner(cold, {
        fails: { marbles: 'e|', values: { e: { code: 404, message: 'not found' } } },
        next: { marbles: 'n|', values: { n: 'next' } },
      });
      const run = runSteps(errorThenNext(onErr({ 404: 'continue' }), 404), undefined, testRequest(), runner).pipe(
        map((result) => text(result.request.state['fails'])),
      );
      expectObservable(run).toBe('(r|)', { r: '{"code":404,"message":"not found"}' });
    });
  });

  it('onErr - zero-valued fields are omitted from the stored error JSON', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const runner = marbleRunner(cold, { fails: { marbles: 'e|', values: { e: { code: 0, message: 'oops' } } } });
      const steps: Step[] = [{ kind: 'fn', call: call('fails', { onErr: onErr({}, { any: 'continue' }) }) }];
      expectObservable(runSteps(steps, undefined, testRequest(), runner).pipe(summarize())).toBe('(r|)', { r: 'ok {"message":"oops"}' });
    });
  });
});
