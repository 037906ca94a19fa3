import { describe, expect, it } from 'vitest';
import { currentReading, holdReading, latestReading, readClock, releaseReading } from '../../src/runtime/clock.js';

/** Busy-waits until `performance.now()` has moved past `after`. */
function tick(after: number): void {
  while (performance.now() <= after) {
    // spin
  }
}

describe('clock', () => {
  it('readClock - reads performance.now() and remembers it as the latest reading', () => {
    const before = performance.now();
    const read = readClock();
    expect(read).toBeGreaterThanOrEqual(before);
    expect(read).toBeLessThanOrEqual(performance.now());
    tick(read);
    expect(latestReading()).toBe(read);
  });

  it('currentReading - reads the clock again when no reading is held', () => {
    const first = readClock();
    tick(first);
    expect(currentReading()).toBeGreaterThan(first);
  });

  it('holdReading - currentReading gives the held reading, or a later one read through readClock, until released', () => {
    const held = holdReading();
    try {
      tick(held);
      expect(currentReading()).toBe(held);
      const later = readClock();
      tick(later);
      expect(currentReading()).toBe(later);
    } finally {
      releaseReading();
    }
    expect(currentReading()).toBeGreaterThan(held);
  });

  it('holdReading - holds nest: an inner hold takes the held reading, which stays held until the outer hold is released', () => {
    const outer = holdReading();
    try {
      tick(outer);
      const inner = holdReading();
      expect(inner).toBe(outer);
      releaseReading();
      tick(inner);
      expect(currentReading()).toBe(inner);
    } finally {
      releaseReading();
    }
    tick(outer);
    expect(currentReading()).toBeGreaterThan(outer);
  });
});
