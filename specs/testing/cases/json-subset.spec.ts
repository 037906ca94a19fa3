import { describe, expect, it } from 'vitest';
import { jsonMismatch } from '../../../src/testing/cases/json-subset.js';

describe('jsonMismatch', () => {
  it('jsonMismatch - an object may have more keys; nested values are compared the same way', () => {
    expect(jsonMismatch({ id: 1, user: { name: 'Ada', age: 36 } }, { user: { name: 'Ada' } })).toBeUndefined();
    expect(jsonMismatch({ id: 1, user: { name: 'Ada' } }, { user: { name: 'Grace' } })).toBe('user.name: expected "Grace", got "Ada"');
    expect(jsonMismatch({ id: 1 }, { name: 'Ada' })).toBe('name: missing (expected "Ada")');
  });

  it('jsonMismatch - a list must have the expected length, each item containing the expected one', () => {
    expect(jsonMismatch([{ id: 1, a: 1 }, { id: 2 }], [{ id: 1 }, { id: 2 }])).toBeUndefined();
    expect(jsonMismatch([1, 2, 3], [1, 2])).toBe('the value: expected 2 items, got 3');
    expect(jsonMismatch({ tags: ['a'] }, { tags: ['b'] })).toBe('tags[0]: expected "b", got "a"');
  });

  it('jsonMismatch - scalars must be equal, types included; null matches only null', () => {
    expect(jsonMismatch({ n: '1' }, { n: 1 })).toBe('n: expected 1, got "1"');
    expect(jsonMismatch({ rating: null }, { rating: null })).toBeUndefined();
    expect(jsonMismatch({ rating: {} }, { rating: null })).toBe('rating: expected null, got {}');
    expect(jsonMismatch('text', { a: 1 })).toBe('the value: expected an object, got "text"');
  });
});
