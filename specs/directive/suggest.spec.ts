import { describe, expect, it } from 'vitest';
import { closestMatch, editDistance } from '../../src/directive/suggest.js';

describe('editDistance', () => {
  it('editDistance - counts insertions, deletions and substitutions', () => {
    expect(editDistance('response', 'response')).toBe(0);
    expect(editDistance('reponse', 'response')).toBe(1);
    expect(editDistance('responses', 'response')).toBe(1);
    expect(editDistance('respanse', 'response')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('abc', '')).toBe(3);
  });

  it('editDistance - ignores case', () => {
    expect(editDistance('AppVersion', 'appversion')).toBe(0);
    expect(editDistance('respondto', 'respondTo')).toBe(0);
  });
});

describe('closestMatch', () => {
  const keys = ['type', 'resource', 'method', 'source', 'steps', 'response', 'respondTo'];

  it('closestMatch - suggests the closest candidate for a likely typo', () => {
    expect(closestMatch('reponse', keys)).toBe('response');
    expect(closestMatch('resouce', keys)).toBe('resource');
    expect(closestMatch('step', keys)).toBe('steps');
    expect(closestMatch('respondto', keys)).toBe('respondTo');
  });

  it('closestMatch - suggests nothing when no candidate is close', () => {
    expect(closestMatch('description', keys)).toBeUndefined();
    expect(closestMatch('zzzzzz', keys)).toBeUndefined();
    expect(closestMatch('anything', [])).toBeUndefined();
  });

  it('closestMatch - allows at least two edits, and a third of the length for long words', () => {
    expect(closestMatch('tpye', ['type'])).toBe('type');
    expect(closestMatch('xyz', ['type'])).toBeUndefined();
    expect(closestMatch('connectons', ['connections'])).toBe('connections');
    expect(closestMatch('authentcatoin', ['authentication'])).toBe('authentication');
  });

  it('closestMatch - prefers the first of equally close candidates', () => {
    expect(closestMatch('ab', ['ac', 'ad'])).toBe('ac');
  });
});
