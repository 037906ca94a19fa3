import { map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/steps/steps.js';
import { okOrThrow, withRetries, type Attempted } from '../../src/handlers/attempts.js';
import { testRequest } from '../../src/testing/helpers.js';

const request = testRequest();
const ok: RunResult = { kind: 'ok', body: new Uint8Array(), request };
const failed: RunResult = { kind: 'runError', error: { code: 500, message: 'no' }, request };
const summary = (end: Attempted<RunResult>): string => (end.kind === 'done' ? `done@${end.attempts}` : `failed@${end.attempts}`);

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('withRetries', () => {
  it('withRetries - succeeds at once without waiting (the value of the attempt, once it completes)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const attempt = (): Observable<RunResult> => cold('-a|', { a: ok }).pipe(map(okOrThrow));
      expectObservable(withRetries(attempt, { retries: 3, backoffMs: 10 }).pipe(map(summary))).toBe('--(d|)', { d: 'done@1' });
    });
  });

  it('withRetries - retries after 10, then 20 ms (doubling), and succeeds on the third attempt', () => {
    scheduler().run(({ cold, expectObservable }) => {
      let calls = 0;
      const attempt = (): Observable<RunResult> => {
        calls += 1;
        return cold('-a|', { a: calls < 3 ? failed : ok }).pipe(map(okOrThrow));
      };
      // 1 (first fails) + 10 + 1 (second fails) + 20 + 2 (third emits, completes) = 34
      expectObservable(withRetries(attempt, { retries: 3, backoffMs: 10 }).pipe(map(summary))).toBe('34ms (d|)', { d: 'done@3' });
    });
  });

  it('withRetries - gives the last failure after the retries, never an error', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const attempt = (): Observable<RunResult> => cold('-a|', { a: failed }).pipe(map(okOrThrow));
      const ends = withRetries(attempt, { retries: 1, backoffMs: 5 });
      expectObservable(ends.pipe(map(summary))).toBe('7ms (f|)', { f: 'failed@2' });
      expectObservable(ends.pipe(map((end) => (end.kind === 'failed' ? end.failure : undefined)))).toBe('7ms (f|)', { f: failed });
    });
  });

  it('withRetries - a thrown error is the failure; an attempt that emits nothing fails', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const boom = new Error('broker down');
      expectObservable(withRetries(() => cold<RunResult>('-#', undefined, boom), { retries: 0, backoffMs: 5 }).pipe(map((end) => end.kind === 'failed' && end.failure))).toBe(
        '-(f|)',
        { f: boom },
      );
      expectObservable(withRetries(() => cold<RunResult>('-|'), { retries: 0, backoffMs: 5 }).pipe(map(summary))).toBe('-(f|)', { f: 'failed@1' });
    });
  });
});
