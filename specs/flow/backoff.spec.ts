import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_MAX_BACKOFF_MS } from '../../src/flow/backoff.js';

describe('backoffDelay', () => {
  it('backoffDelay - doubles from the base', () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(attempt, { baseMs: 100 }))).toEqual([100, 200, 400, 800]);
  });

  it('backoffDelay - is capped, and a zero base gives zero', () => {
    expect(backoffDelay(50, { baseMs: 100 })).toBe(DEFAULT_MAX_BACKOFF_MS);
    expect(backoffDelay(5, { baseMs: 100, maxMs: 1_000 })).toBe(1_000);
    expect(backoffDelay(3, { baseMs: 0 })).toBe(0);
    expect(backoffDelay(0, { baseMs: 100 })).toBe(100);
  });

  it('backoffDelay - jitter takes up to its fraction off each delay, at random', () => {
    expect(backoffDelay(3, { baseMs: 100, jitter: 0.2, random: () => 0 })).toBe(400);
    expect(backoffDelay(3, { baseMs: 100, jitter: 0.2, random: () => 0.5 })).toBe(360);
    expect(backoffDelay(3, { baseMs: 100, jitter: 1, random: () => 0.999 })).toBe(0);
    for (let i = 0; i < 100; i += 1) {
      const delay = backoffDelay(2, { baseMs: 1_000, jitter: 0.2 });
      expect(delay).toBeGreaterThanOrEqual(1_600);
      expect(delay).toBeLessThanOrEqual(2_000);
    }
  });
});
