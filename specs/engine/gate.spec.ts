import { describe, expect, it } from 'vitest';
import { createGate, type Refusal, type Slot, type Waiter } from '../../src/engine/gate.js';

/** A waiter that records what the gate did with it. */
function waiter(): Waiter & { slot: Slot | undefined; shedFor: Refusal | undefined; started: boolean } {
  const record = {
    slot: undefined as Slot | undefined,
    shedFor: undefined as Refusal | undefined,
    started: false,
    start(slot: Slot) {
      record.slot = slot;
      record.started = true;
    },
    shed(reason: Refusal) {
      record.shedFor = reason;
    },
  };
  return record;
}

/** A clock the spec moves by hand. */
function clock(): { now: () => number; advance(ms: number): void } {
  let time = 0;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

describe('createGate', () => {
  it('gate - starts work at once up to maxInFlight, then queues it in arrival order', () => {
    const gate = createGate({ maxInFlight: 2 });
    const [a, b, c, d] = [waiter(), waiter(), waiter(), waiter()];
    for (const w of [a, b, c, d]) expect(typeof gate.enter(10, w)).toBe('object');
    expect([a.started, b.started, c.started, d.started]).toEqual([true, true, false, false]);
    expect(gate).toMatchObject({ inFlight: 2, waiting: 2, queuedBytes: 20, free: 0 });
    a.slot?.release();
    expect([c.started, d.started]).toEqual([true, false]);
    b.slot?.release();
    expect(d.started).toBe(true);
    expect(gate).toMatchObject({ inFlight: 2, waiting: 0, queuedBytes: 0 });
  });

  it('gate - a release is idempotent and a slot released twice frees one place', () => {
    const gate = createGate({ maxInFlight: 1 });
    const [a, b, c] = [waiter(), waiter(), waiter()];
    gate.enter(0, a);
    gate.enter(0, b);
    gate.enter(0, c);
    a.slot?.release();
    a.slot?.release();
    expect([b.started, c.started]).toEqual([true, false]);
    expect(gate.inFlight).toBe(1);
  });

  it('gate - cancel takes waiting work out of the queue (and does nothing once it runs)', () => {
    const gate = createGate({ maxInFlight: 1 });
    const [a, b, c] = [waiter(), waiter(), waiter()];
    gate.enter(0, a);
    const queued = gate.enter(5, b) as Slot;
    gate.enter(5, c);
    queued.cancel();
    expect(gate).toMatchObject({ waiting: 1, queuedBytes: 5 });
    a.slot?.release();
    expect([b.started, c.started]).toEqual([false, true]);
    c.slot?.cancel();
    expect(gate.inFlight).toBe(1);
  });

  it('gate - refuses by count when queueSize is set, and by bytes past maxQueuedBytes', () => {
    const counted = createGate({ maxInFlight: 1, queueSize: 1 });
    counted.enter(0, waiter());
    expect(typeof counted.enter(0, waiter())).toBe('object');
    expect(counted.enter(0, waiter())).toBe('queue');

    const sized = createGate({ maxInFlight: 1, maxQueuedBytes: 100 });
    sized.enter(1_000, waiter());
    expect(typeof sized.enter(60, waiter())).toBe('object');
    expect(sized.enter(41, waiter())).toBe('memory');
    expect(typeof sized.enter(40, waiter())).toBe('object');
  });

  it('gate - without a time limit nothing is refused by time, however long the queue', () => {
    const gate = createGate({ maxInFlight: 1 });
    for (let i = 0; i < 10_000; i += 1) expect(typeof gate.enter(1, waiter())).toBe('object');
    expect(gate.waiting).toBe(9_999);
  });

  it('gate - refuses new work by time when the estimated wait (Little’s law on the runs in flight) passes the time limit', () => {
    const time = clock();
    const gate = createGate({ maxInFlight: 2, requestTimeoutMs: 1_000, now: time.now });
    // Teach the gate that a run takes 100 ms (the first run is always timed).
    const first = waiter();
    gate.enter(0, first);
    time.advance(100);
    first.slot?.release();
    expect(gate.averageRunMs).toBe(100);
    // Two run; each queued one waits 100 ms / 2 slots = 50 ms more: with 100 ms to run, the 18th in the queue would
    // start at 900 ms and end at 1000 ms; the 19th would not finish in time.
    gate.enter(0, waiter());
    gate.enter(0, waiter());
    const verdicts: (string | object)[] = [];
    for (let i = 0; i < 20; i += 1) verdicts.push(gate.enter(0, waiter()));
    expect(verdicts.filter((verdict) => typeof verdict === 'object')).toHaveLength(18);
    expect(verdicts.slice(18)).toEqual(['time', 'time']);
    expect(gate.estimatedWaitMs()).toBeCloseTo(19 * 50);
  });

  it('gate - sheds work that waited so long it could no longer finish in time, as it leaves the queue', () => {
    const time = clock();
    const gate = createGate({ maxInFlight: 1, requestTimeoutMs: 1_000, now: time.now });
    const first = waiter();
    gate.enter(0, first);
    time.advance(10);
    first.slot?.release();
    const running = waiter();
    gate.enter(0, running);
    const late = waiter();
    const next = waiter();
    gate.enter(7, late);
    time.advance(995);
    gate.enter(3, next);
    running.slot?.release();
    expect(late.shedFor).toBe('time');
    expect(late.started).toBe(false);
    expect(next.started).toBe(true);
    expect(gate).toMatchObject({ waiting: 0, queuedBytes: 0, inFlight: 1 });
  });

  it('gate - runs that end synchronously inside start drain a long queue without deep recursion', () => {
    const gate = createGate({ maxInFlight: 1 });
    let done = 0;
    const blocker = waiter();
    gate.enter(0, blocker);
    for (let i = 0; i < 100_000; i += 1) {
      gate.enter(0, {
        start: (slot) => {
          done += 1;
          slot.release();
        },
        shed: () => undefined,
      });
    }
    blocker.slot?.release();
    expect(done).toBe(100_000);
    expect(gate).toMatchObject({ inFlight: 0, waiting: 0 });
  });

  it('gate - free counts the slots left after the waiting work', () => {
    const gate = createGate({ maxInFlight: 3 });
    gate.enter(0, waiter());
    expect(gate.free).toBe(2);
    gate.enter(0, waiter());
    gate.enter(0, waiter());
    gate.enter(0, waiter());
    expect(gate.free).toBe(0);
  });
});
