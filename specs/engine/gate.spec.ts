import { describe, expect, it } from 'vitest';
import { createGate } from '../../src/engine/gate.js';

describe('createGate', () => {
  it('gate - hands out maxInFlight slots at once, queues up to queueSize, then refuses', async () => {
    const gate = createGate({ maxInFlight: 2, queueSize: 1 });
    const first = await gate.acquire();
    const second = await gate.acquire();
    expect(first).toBeTypeOf('function');
    expect(gate.inFlight).toBe(2);
    expect(gate.free).toBe(0);
    const queued = gate.acquire();
    expect(queued).toBeInstanceOf(Promise);
    expect(gate.waiting).toBe(1);
    expect(gate.acquire()).toBeUndefined();
    first?.();
    const third = await queued;
    expect(gate.inFlight).toBe(2);
    expect(gate.waiting).toBe(0);
    second?.();
    third?.();
    expect(gate.inFlight).toBe(0);
    expect(gate.free).toBe(2);
  });

  it('gate - a release is idempotent', async () => {
    const gate = createGate({ maxInFlight: 1, queueSize: 0 });
    const release = await gate.acquire();
    release?.();
    release?.();
    expect(gate.inFlight).toBe(0);
    await gate.acquire();
    expect(gate.inFlight).toBe(1);
  });

  it('gate - a queued request whose signal aborts leaves the queue and rejects with the reason', async () => {
    const gate = createGate({ maxInFlight: 1, queueSize: 2 });
    const release = await gate.acquire();
    const controller = new AbortController();
    const queued = gate.acquire(controller.signal);
    const next = gate.acquire();
    expect(gate.waiting).toBe(2);
    controller.abort(new Error('client went away'));
    await expect(queued).rejects.toThrow('client went away');
    expect(gate.waiting).toBe(1);
    release?.();
    await expect(next).resolves.toBeTypeOf('function');
    expect(gate.inFlight).toBe(1);
  });

  it('gate - slots are handed to waiters in arrival order', async () => {
    const gate = createGate({ maxInFlight: 1, queueSize: 3 });
    const release = await gate.acquire();
    const order: number[] = [];
    const waiters = [1, 2, 3].map((n) => {
      const waiting = gate.acquire();
      if (waiting === undefined) throw new Error(`waiter ${n} was refused`);
      return waiting.then((next) => {
        order.push(n);
        next();
      });
    });
    release?.();
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
    expect(gate.inFlight).toBe(0);
  });
});
