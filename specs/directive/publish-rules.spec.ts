import { describe, expect, it } from 'vitest';
import { patternProblem, targetAllowed, targetMatches } from '../../src/directive/publish-rules.js';

describe('publish rules', () => {
  it.each([
    ['orders.created', 'orders.created', true],
    ['orders.created', 'orders.updated', false],
    ['orders.*', 'orders.eu', true],
    ['orders.*', 'orders.eu.created', false],
    ['orders.*', 'orders', false],
    ['orders.*.created', 'orders.eu.created', true],
    ['audit.>', 'audit.a.b.c', true],
    ['audit.>', 'audit', false],
    ['>', 'anything.at.all', true],
    ['*', 'audit-events', true],
    ['audit', 'audit.x', false],
    ['orders.*', 'orders.', false],
  ])('targetMatches - %s against %s is %s', (pattern, target, expected) => {
    expect(targetMatches(pattern, target)).toBe(expected);
  });

  it('targetAllowed - any pattern of the list allows, an empty list allows nothing', () => {
    expect(targetAllowed(['a.b', 'orders.>'], 'orders.x')).toBe(true);
    expect(targetAllowed(['a.b'], 'orders.x')).toBe(false);
    expect(targetAllowed([], 'orders.x')).toBe(false);
  });

  it('patternProblem - says what is wrong with a pattern, nothing for a good one', () => {
    expect(patternProblem('orders.*.created')).toBeUndefined();
    expect(patternProblem('audit.>')).toBeUndefined();
    expect(patternProblem('')).toBe('it is empty');
    expect(patternProblem('a..b')).toMatch(/empty token/);
    expect(patternProblem('a.>.b')).toBe("'>' must be the last token");
    expect(patternProblem('a b')).toBe('it contains whitespace');
  });
});
