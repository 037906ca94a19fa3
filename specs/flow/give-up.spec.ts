import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_ATTEMPTS, deadLetterRetryDelay, publishDeadLetter } from '../../src/flow/give-up.js';

describe('give-up policy', () => {
  it('deadLetterRetryDelay - doubles from the base, then gives up after DEAD_LETTER_ATTEMPTS failures', () => {
    expect([1, 2, 3, 4].map((failures) => deadLetterRetryDelay(failures, 10))).toEqual([10, 20, 40, 80]);
    expect(deadLetterRetryDelay(DEAD_LETTER_ATTEMPTS)).toBeUndefined();
  });

  it('publishDeadLetter - resolves undefined once a try succeeds, waiting between tries', async () => {
    const waits: number[] = [];
    let tries = 0;
    const error = await publishDeadLetter(
      () => ((tries += 1) < 3 ? Promise.reject(new Error('down')) : Promise.resolve()),
      (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
      10,
    );
    expect(error).toBeUndefined();
    expect(tries).toBe(3);
    expect(waits).toEqual([10, 20]);
  });

  it('publishDeadLetter - gives the last error after DEAD_LETTER_ATTEMPTS tries', async () => {
    let tries = 0;
    const error = await publishDeadLetter(() => Promise.reject(new Error(`down ${(tries += 1)}`)), () => Promise.resolve(), 1);
    expect(tries).toBe(DEAD_LETTER_ATTEMPTS);
    expect((error as Error).message).toBe(`down ${DEAD_LETTER_ATTEMPTS}`);
  });
});
