import { describe, expect, it } from 'vitest';
import { poolStats } from '../../src/runtime/pool-stats.js';
import type { Task } from '../../src/runtime/pool-task.js';
import type { WorkerHandle } from '../../src/runtime/worker-handle.js';
import { makeRequest } from './support/driver.js';

/** The two fields of a worker that the counting reads. */
const worker = (assigned: number, instances: Record<string, number>): WorkerHandle =>
  ({ assigned, instances: new Map(Object.entries(instances)) }) as unknown as WorkerHandle;

const task = (id: number, name: string, on?: WorkerHandle): Task => ({
  id,
  name,
  request: makeRequest(),
  done: undefined,
  finished: false,
  timedOut: false,
  ...(on === undefined ? {} : { worker: on, slot: id }),
});

describe('poolStats', () => {
  it('poolStats - the oldest call handed to a worker runs, the others handed to it and the queue wait', () => {
    const busy = worker(2, { echo: 1 });
    const idle = worker(0, { echo: 1, other: 2 });
    const handed = new Map([
      [1, task(1, 'echo', busy)],
      [2, task(2, 'other', busy)],
    ]);
    const stats = poolStats(['echo', 'other', 'unused'], new Set([busy, idle]), handed, [task(3, 'echo')], 4, 1);
    expect(stats).toEqual({
      workers: 2,
      busyWorkers: 1,
      queued: 2,
      running: 1,
      timeouts: 4,
      workerRestarts: 1,
      functions: {
        echo: { instances: 2, running: 1, queued: 1 },
        other: { instances: 2, running: 0, queued: 1 },
        unused: { instances: 0, running: 0, queued: 0 },
      },
    });
  });

  it('poolStats - calls handed to two workers run one on each', () => {
    const a = worker(1, {});
    const b = worker(1, {});
    const handed = new Map([
      [1, task(1, 'echo', a)],
      [2, task(2, 'echo', b)],
    ]);
    expect(poolStats(['echo'], new Set([a, b]), handed, [], 0, 0)).toMatchObject({ busyWorkers: 2, running: 2, queued: 0, functions: { echo: { running: 2, queued: 0 } } });
  });
});
