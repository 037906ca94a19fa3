/**
 * Admission in order (src/flow/in-order.ts), in virtual time: the items of a queue run one at a time, in order,
 * through a gate shared with other queues; refusals, the two ends and unsubscribing.
 */
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { createGate, type Gate, type Refusal } from '../../src/flow/gate.js';
import { admitInOrder, type OrderedQueue, type QueueEnd } from '../../src/flow/in-order.js';

/** A queue in memory: the producer pushes, the spec reads what was consumed and whether it was closed. */
class ArrayQueue implements OrderedQueue<string> {
  readonly consumedItems: string[] = [];
  closed = false;
  private readonly items: string[] = [];
  private listener: { message(): void; end(reason: QueueEnd): void } | undefined;

  push(...items: string[]): void {
    this.items.push(...items);
    this.listener?.message();
  }
  end(reason: QueueEnd): void {
    this.listener?.end(reason);
  }
  next(): string | undefined {
    return this.items.shift();
  }
  consumed(item: string): void {
    this.consumedItems.push(item);
  }
  watch(listener: { message(): void; end(reason: QueueEnd): void }): () => void {
    this.listener = listener;
    return () => (this.listener = undefined);
  }
  close(): void {
    this.closed = true;
  }
}

function setup(scheduler: TestScheduler, gate: Gate, runMs = 10) {
  const log: string[] = [];
  const serve = (queue: ArrayQueue) =>
    admitInOrder(queue, {
      gate,
      bytes: (item) => item.length,
      run: (item, done) => {
        log.push(`${scheduler.now()} start ${item}`);
        const action = scheduler.schedule(() => {
          log.push(`${scheduler.now()} done ${item}`);
          done();
        }, runMs);
        return () => {
          log.push(`${scheduler.now()} cancel ${item}`);
          action.unsubscribe();
        };
      },
      refuse: (item: string, reason: Refusal) => log.push(`${scheduler.now()} refuse ${item} ${reason}`),
    });
  return { log, serve };
}

const testScheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('admitInOrder', () => {
  it('admitInOrder - one item at a time, in order; two queues share the gate, and a stopping queue completes once its items are over', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const gate = createGate({ maxInFlight: 1, now: () => scheduler.now() });
      const { log, serve } = setup(scheduler, gate);
      const a = new ArrayQueue();
      const b = new ArrayQueue();
      a.push('a1', 'a2');
      b.push('b1');
      scheduler.schedule(() => a.end('stopping'), 5);
      scheduler.schedule(() => b.end('stopping'), 5);
      expectObservable(serve(a)).toBe('30ms |');
      expectObservable(serve(b)).toBe('20ms |');
      scheduler.flush();
      expect(log).toEqual(['0 start a1', '10 done a1', '10 start b1', '20 done b1', '20 start a2', '30 done a2']);
      expect(a.consumedItems).toEqual(['a1', 'a2']);
      expect(gate.inFlight).toBe(0);
    });
  });

  it('admitInOrder - an item the gate refuses is answered and the next one is taken', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const gate = createGate({ maxInFlight: 1, queueSize: 0, now: () => scheduler.now() });
      const { log, serve } = setup(scheduler, gate);
      const busy = new ArrayQueue();
      const queue = new ArrayQueue();
      busy.push('x');
      queue.push('q1');
      scheduler.schedule(() => queue.push('q2'), 15);
      scheduler.schedule(() => queue.end('closed'), 40);
      expectObservable(serve(busy)).toBe('-');
      expectObservable(serve(queue)).toBe('40ms |');
      scheduler.flush();
      expect(log).toEqual(['0 start x', '0 refuse q1 queue', '10 done x', '15 start q2', '25 done q2']);
      expect(queue.consumedItems).toEqual(['q1', 'q2']);
    });
  });

  it('admitInOrder - a closed queue completes at once; unsubscribing cancels the running item, frees its slot and closes the queue', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const gate = createGate({ maxInFlight: 1, now: () => scheduler.now() });
      const { log, serve } = setup(scheduler, gate, 100);
      const running = new ArrayQueue();
      const waiting = new ArrayQueue();
      running.push('r');
      waiting.push('w');
      expectObservable(serve(running), '^ 19ms !').toBe('-');
      expectObservable(serve(waiting), '^ 29ms !').toBe('-');
      scheduler.schedule(() => expect(gate.waiting).toBe(1), 10);
      scheduler.flush();
      // r is cancelled at 20 and w starts in its slot; w is cancelled at 30.
      expect(log).toEqual(['0 start r', '20 cancel r', '20 start w', '30 cancel w']);
      expect([running.closed, waiting.closed, gate.inFlight, gate.waiting]).toEqual([true, true, 0, 0]);
    });
  });

  it('admitInOrder - unsubscribing while the item waits for a slot takes it out of the gate: it never runs', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const gate = createGate({ maxInFlight: 1, now: () => scheduler.now() });
      const { log, serve } = setup(scheduler, gate);
      const first = new ArrayQueue();
      const second = new ArrayQueue();
      first.push('f');
      second.push('s');
      scheduler.schedule(() => first.end('closed'), 50);
      expectObservable(serve(first)).toBe('50ms |');
      expectObservable(serve(second), '^ 4ms !').toBe('-');
      scheduler.flush();
      expect(log).toEqual(['0 start f', '10 done f']);
      expect(second.consumedItems).toEqual([]);
      expect(gate.waiting).toBe(0);
    });
  });
});
