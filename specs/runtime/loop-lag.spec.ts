import { describe, expect, it } from 'vitest';
import { readClock } from '../../src/runtime/clock.js';
import { LAG_INTERVAL_MS, loopLagMs } from '../../src/runtime/loop-lag.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('loopLagMs', () => {
  it('loopLagMs - about 0 while the loop keeps time; about the blocked time after a long turn', async () => {
    loopLagMs();
    await sleep(LAG_INTERVAL_MS * 4);
    expect(loopLagMs()).toBeLessThan(50);
    // Block the thread for 200 ms: the timer fires that late.
    const until = performance.now() + 200;
    while (performance.now() < until) {
      // a turn that does not end
    }
    // The first tick after the block reads it; it holds until the next tick, so look often for a few intervals (a
    // loaded machine may run two ticks between two looks made further apart).
    let seen = 0;
    const end = performance.now() + LAG_INTERVAL_MS * 3;
    while (performance.now() < end) {
      await sleep(1);
      seen = Math.max(seen, loopLagMs());
    }
    expect(seen).toBeGreaterThan(150);
    // A few intervals later it keeps time again.
    await sleep(LAG_INTERVAL_MS * 4);
    expect(loopLagMs()).toBeLessThan(50);
  });

  it('loopLagMs - counts the turn in progress: a turn of calls that read the clock shows its length before the timer can run', async () => {
    loopLagMs();
    await sleep(LAG_INTERVAL_MS * 4);
    expect(loopLagMs()).toBeLessThan(50);
    // One long turn, as many requests run at once on the calling thread make it: each "call" reads the clock as it
    // ends (as the runtime's calls do), and nothing yields to the timer.
    const start = performance.now();
    const seen: number[] = [];
    while (performance.now() - start < 300) {
      const until = performance.now() + 1;
      while (performance.now() < until) {
        // a call's work
      }
      readClock();
      seen.push(loopLagMs());
    }
    // Early in the turn it keeps time; 300 ms in, it lags by about that much, though the timer has not fired since.
    expect(seen[0]).toBeLessThan(50);
    expect(seen.at(-1)).toBeGreaterThan(200);
    // Once the loop turns again, it keeps time.
    await sleep(LAG_INTERVAL_MS * 4);
    expect(loopLagMs()).toBeLessThan(50);
  });
});
