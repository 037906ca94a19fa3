/**
 * The gradient concurrency limit (src/flow/concurrency-limit.ts). Time is injected as the latencies given to
 * `measured` (the limit reads no clock itself); through a gate, as the gate's `now` option.
 */
import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit, INITIAL_LIMIT } from '../../src/flow/concurrency-limit.js';
import { createGate, type Slot, type Waiter } from '../../src/flow/gate.js';

/** Measured runs between two updates of the limit (UPDATE_EVERY in the module). */
const UPDATE = 8;

/** Feeds `updates` updates' worth of runs of `ms` each, pressing before each run when `pressed`; returns the limit after each update. */
function feed(limit: ConcurrencyLimit, updates: number, ms: number | ((run: number) => number), pressed: boolean): number[] {
  const seen: number[] = [];
  for (let update = 0; update < updates; update += 1) {
    for (let run = 0; run < UPDATE; run += 1) {
      if (pressed) limit.pressed();
      limit.measured(typeof ms === 'number' ? ms : ms(update * UPDATE + run));
    }
    seen.push(limit.current);
  }
  return seen;
}

const isNonDecreasing = (values: readonly number[]): boolean => values.every((value, index) => index === 0 || value >= (values[index - 1] as number));
const isNonIncreasing = (values: readonly number[]): boolean => values.every((value, index) => index === 0 || value <= (values[index - 1] as number));

describe('ConcurrencyLimit', () => {
  it('concurrency limit - starts at its initial limit, or at max when max is smaller', () => {
    expect(new ConcurrencyLimit(1024).current).toBe(INITIAL_LIMIT);
    expect(new ConcurrencyLimit(8).current).toBe(8);
    expect(new ConcurrencyLimit(1).current).toBe(1);
  });

  it('concurrency limit - does not move before a full update period of runs', () => {
    const limit = new ConcurrencyLimit(1024);
    for (let run = 0; run < UPDATE - 1; run += 1) {
      limit.pressed();
      limit.measured(10);
    }
    expect(limit.current).toBe(INITIAL_LIMIT);
    limit.measured(10);
    expect(limit.current).toBeGreaterThan(INITIAL_LIMIT);
  });

  it('concurrency limit - grows under pressure while latency stays at its minimum, up to max and never past it', () => {
    const limit = new ConcurrencyLimit(1024);
    const seen = feed(limit, 60, 10, true);
    expect(isNonDecreasing(seen)).toBe(true);
    expect(seen[0]).toBeGreaterThan(INITIAL_LIMIT);
    expect(Math.max(...seen)).toBe(1024);
    expect(seen.at(-1)).toBe(1024);
    // Pressed forever at the unloaded latency: it stays at max.
    expect(feed(limit, 20, 10, true).every((value) => value === 1024)).toBe(true);
  });

  it('concurrency limit - latency within twice the minimum still counts as unloaded (it grows)', () => {
    const limit = new ConcurrencyLimit(1024);
    limit.measured(10); // the unloaded latency
    const seen = feed(limit, 10, (run) => (run % 2 === 0 ? 19 : 15), true);
    expect(isNonDecreasing(seen)).toBe(true);
    expect(seen.at(-1)).toBeGreaterThan(INITIAL_LIMIT * 2);
  });

  it('concurrency limit - without pressure it holds where it is, however fast the runs', () => {
    expect(feed(new ConcurrencyLimit(1024), 30, 10, false).every((value) => value === INITIAL_LIMIT)).toBe(true);
    expect(feed(new ConcurrencyLimit(1024), 30, 0.01, false).every((value) => value === INITIAL_LIMIT)).toBe(true);
    expect(feed(new ConcurrencyLimit(1024), 30, 0, false).every((value) => value === INITIAL_LIMIT)).toBe(true);
  });

  it('concurrency limit - pressure only counts for the update it came before', () => {
    const limit = new ConcurrencyLimit(1024);
    limit.pressed();
    const seen = feed(limit, 3, 10, false);
    expect(seen[0]).toBeGreaterThan(INITIAL_LIMIT);
    expect(seen[1]).toBe(seen[0]);
    expect(seen[2]).toBe(seen[0]);
  });

  it('concurrency limit - shrinks when latency grows well past the minimum, and never below 1', () => {
    const limit = new ConcurrencyLimit(1024);
    feed(limit, 60, 10, true);
    expect(limit.current).toBe(1024);
    // Runs now wait for something: 10x the unloaded latency, with pressure all along.
    const seen = feed(limit, 100, 100, true);
    expect(isNonIncreasing(seen)).toBe(true);
    expect(seen[5]).toBeLessThan(1024);
    expect(seen.at(-1)).toBeLessThan(16);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(1);
  });

  it('concurrency limit - the floor holds under any latency, and a limit of max 1 stays 1', () => {
    const limit = new ConcurrencyLimit(1024);
    limit.measured(0.001);
    const seen = feed(limit, 500, (run) => 1_000 + run * 100, true);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(1);
    expect(Number.isInteger(limit.current)).toBe(true);

    const one = new ConcurrencyLimit(1);
    expect(feed(one, 20, 10, true).every((value) => value === 1)).toBe(true);
    expect(feed(one, 20, 1_000, true).every((value) => value === 1)).toBe(true);
  });

  it('concurrency limit - finds its way back up once latency returns to the minimum', () => {
    const limit = new ConcurrencyLimit(1024);
    feed(limit, 60, 10, true);
    feed(limit, 100, 100, true);
    const low = limit.current;
    const seen = feed(limit, 120, 10, true);
    expect(seen.at(-1)).toBeGreaterThan(low * 4);
    expect(Math.max(...seen)).toBeLessThanOrEqual(1024);
  });

  it('concurrency limit - a handler that became slower for good is measured afresh and may grow again', () => {
    const limit = new ConcurrencyLimit(1024);
    feed(limit, 10, 10, true);
    // 100 ms from now on: the limit shrinks, until the unloaded latency is measured again (after 2,000 runs).
    const shrinking = feed(limit, 200, 100, true);
    const bottom = Math.min(...shrinking);
    const after = feed(limit, 100, 100, true);
    expect(after.at(-1)).toBeGreaterThan(bottom * 4);
  });
});

describe('ConcurrencyLimit through a gate (time from the gate’s clock)', () => {
  /** A gate on a clock moved by hand, kept saturated: its runs are released by rounds. */
  function saturated(maxInFlight: number): { gate: ReturnType<typeof createGate>; readonly rounds: (count: number, ms: number) => number[] } {
    let now = 0;
    const gate = createGate({ maxInFlight, now: () => now });
    const running: Slot[] = [];
    const waiter = { start: (slot: Slot) => void running.push(slot), shed: () => undefined };
    return { gate, rounds: (count, ms) => saturate(gate, running, waiter, (by) => void (now += by), count, ms) };
  }

  /** Runs `rounds` rounds of a saturated gate: every run takes `ms` on the injected clock; returns the gate's limit after each round. */
  function saturate(gate: ReturnType<typeof createGate>, running: Slot[], waiter: Waiter, advance: (ms: number) => void, rounds: number, ms: number): number[] {
    const seen: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      // Keep more work than slots: the queue is never empty, so the gate is under pressure.
      while (gate.waiting < gate.limit) gate.enter(0, waiter);
      advance(ms);
      for (const slot of running.splice(0)) slot.release();
      seen.push(gate.limit);
    }
    return seen;
  }

  it('gate limit - grows while runs take as long as unloaded, shrinks when they take longer, within 1..maxInFlight', () => {
    const { gate, rounds } = saturated(256);
    expect(gate.limit).toBe(INITIAL_LIMIT);
    const growing = rounds(30, 10);
    expect(isNonDecreasing(growing)).toBe(true);
    expect(growing.at(-1)).toBe(256);
    expect(Math.max(...growing)).toBe(256);
    const shrinking = rounds(40, 200);
    expect(isNonIncreasing(shrinking)).toBe(true);
    expect(shrinking.at(-1)).toBeLessThan(32);
    expect(Math.min(...shrinking)).toBeGreaterThanOrEqual(1);
  });

  it('gate limit - gate.pressed() (a pull came back full) is what lets the limit grow when nothing queues', () => {
    let now = 0;
    const runs = (pressed: boolean): number => {
      const gate = createGate({ maxInFlight: 1024, now: () => now });
      for (let i = 0; i < 400; i += 1) {
        if (pressed) gate.pressed();
        const slots: Slot[] = [];
        gate.enter(0, { start: (slot) => void slots.push(slot), shed: () => undefined });
        now += 5;
        slots[0]?.release();
      }
      return gate.limit;
    };
    expect(runs(false)).toBe(INITIAL_LIMIT);
    expect(runs(true)).toBeGreaterThan(INITIAL_LIMIT);
  });
});
