import { expect } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import type { Call, OnErr } from '../../src/directive/model.js';

/** A TestScheduler asserting with vitest's deep equality. */
export function createScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** A call for specs: `fn` as written, its key, with and onErr. */
export function call(fn: string, options: { as?: string; with?: Record<string, string>; onErr?: OnErr } = {}): Call {
  return { fn, fqfn: `com.test#default::${fn}@v1`, name: fn, key: options.as ?? fn, with: options.with ?? {}, onErr: options.onErr };
}

/** An onErr value. */
export function onErr(code: Record<number, 'return' | 'continue'>, rest: { any?: 'return' | 'continue'; other?: 'return' | 'continue' } = {}): OnErr {
  return { code: new Map(Object.entries(code).map(([key, value]) => [Number(key), value])), ...rest };
}
