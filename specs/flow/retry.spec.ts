/**
 * The retry policy (src/flow/retry.ts): the delays between attempts, and when a message is given up.
 */
import { describe, expect, it } from 'vitest';
import { retryDelay } from '../../src/flow/retry.js';

describe('retryDelay', () => {
  it('retryDelay - doubles from backoffMs between attempts, and gives up once the attempts are used', () => {
    const policy = { attempts: 4, backoffMs: 100 };
    expect([1, 2, 3, 4, 5].map((failures) => retryDelay(policy, failures))).toEqual([100, 200, 400, undefined, undefined]);
  });

  it('retryDelay - a fixed delay replaces the doubling one; one attempt is never retried', () => {
    expect([1, 2, 3].map((failures) => retryDelay({ attempts: 3, backoffMs: 100, fixedDelayMs: 250 }, failures))).toEqual([250, 250, undefined]);
    expect(retryDelay({ attempts: 1, backoffMs: 100 }, 1)).toBeUndefined();
    expect(retryDelay({ attempts: 3, backoffMs: 0 }, 1)).toBe(0);
  });
});
