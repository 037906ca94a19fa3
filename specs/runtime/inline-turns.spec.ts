import { describe, expect, it } from 'vitest';
import { InlineTurns } from '../../src/runtime/inline-turns.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const busy = (ms: number): void => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // burn the thread, as a function on the calling thread does
  }
};

/** A loop running a second late: the slices apply. */
const BEHIND = { lagMs: () => 1_000 };

describe('InlineTurns', () => {
  it('mayRunNow - behind time, calls run at once until this turn has used its slice; the next turn starts a new one', async () => {
    // A slice of 50 ms: wide enough that a busy machine pausing the thread between two checks does not end it.
    const turns = new InlineTurns(50, BEHIND);
    expect(turns.mayRunNow()).toBe(true);
    busy(2);
    expect(turns.mayRunNow()).toBe(true);
    busy(50);
    expect(turns.mayRunNow()).toBe(false);
    await nextTurn();
    expect(turns.mayRunNow()).toBe(true);
  });

  it('defer - waiting calls run in order on later turns; while any waits, no call runs at once (no overtaking)', async () => {
    const turns = new InlineTurns(5, BEHIND);
    const ran: number[] = [];
    turns.mayRunNow();
    busy(6);
    expect(turns.mayRunNow()).toBe(false);
    for (let index = 0; index < 5; index += 1) turns.defer(() => ran.push(index));
    expect(turns.waiting).toBe(5);
    expect(ran).toEqual([]);
    await nextTurn();
    await nextTurn();
    expect(ran).toEqual([0, 1, 2, 3, 4]);
    expect(turns.waiting).toBe(0);
    // Nothing waits any more: the next call runs at once again.
    expect(turns.mayRunNow()).toBe(true);
  });

  it('a turn runs waiting calls for one slice, then lets timers and I/O run before the next slice', async () => {
    const turns = new InlineTurns(5);
    const events: string[] = [];
    for (let index = 0; index < 6; index += 1) {
      turns.defer(() => {
        // Armed by the first call, so that it is due from then on (armed before, it could fire before the first
        // turn: a timer and an immediate queued together run in either order).
        if (index === 0) setTimeout(() => events.push('timer'), 0);
        busy(3);
        events.push(`call ${index}`);
      });
    }
    await new Promise<void>((resolve) => {
      const poll = (): void => (turns.waiting === 0 ? resolve() : void setTimeout(poll, 1));
      poll();
    });
    // Two calls of 3 ms fill a 5 ms slice; the timer fires between slices, not after all six calls.
    expect(events.indexOf('timer')).toBeGreaterThan(0);
    expect(events.indexOf('timer')).toBeLessThan(6);
    expect(events.filter((event) => event.startsWith('call'))).toEqual(['call 0', 'call 1', 'call 2', 'call 3', 'call 4', 'call 5']);
  });

  it('mayRunNow - while the loop keeps time, calls run at once however long the turn; once behind, the slice counts from the next call', async () => {
    let lag = 10;
    const turns = new InlineTurns(5, { lagLimitMs: 50, lagMs: () => lag });
    expect(turns.mayRunNow()).toBe(true);
    busy(8);
    expect(turns.mayRunNow()).toBe(true);
    lag = 60;
    expect(turns.mayRunNow()).toBe(true);
    busy(6);
    expect(turns.mayRunNow()).toBe(false);
    await nextTurn();
    expect(turns.mayRunNow()).toBe(true);
  });

  it('defer - a cancelled call never runs', async () => {
    const turns = new InlineTurns(5);
    const ran: string[] = [];
    turns.defer(() => ran.push('a'));
    const ticket = turns.defer(() => ran.push('b'));
    turns.defer(() => ran.push('c'));
    ticket.cancel();
    await nextTurn();
    expect(ran).toEqual(['a', 'c']);
  });
});
