/**
 * The live counters of the worker pool: per function (instances, running and queued calls) and overall.
 *
 * @module
 */
import type { Task } from './pool-task.js';
import type { WorkerHandle } from './worker-handle.js';

/** Live counters of one function on the workers. */
export interface FunctionLoad {
  /** Instances alive (idle or running), over all workers. */
  readonly instances: number;
  /** Calls running. */
  readonly running: number;
  /** Calls waiting for a worker. */
  readonly queued: number;
}

/** Live counters of the pool. */
export interface PoolStats {
  readonly workers: number;
  readonly busyWorkers: number;
  readonly queued: number;
  readonly running: number;
  readonly timeouts: number;
  readonly workerRestarts: number;
  readonly functions: Readonly<Record<string, FunctionLoad>>;
}

/**
 * Counts the pool's load. The oldest call handed to a worker counts as running there (it runs, or is the next to); the
 * others handed to it wait behind it and count as queued.
 *
 * @param names - the registered functions (each gets an entry, idle or not)
 * @param workers - the live workers
 * @param handed - the calls handed to a worker, by id, in the order they were handed over
 * @param queue - the calls waiting for a worker
 */
export function poolStats(
  names: Iterable<string>,
  workers: ReadonlySet<WorkerHandle>,
  handed: ReadonlyMap<number, Task>,
  queue: readonly Task[],
  timeouts: number,
  restarts: number,
): PoolStats {
  const functions: Record<string, { instances: number; running: number; queued: number }> = {};
  const load = (name: string): { instances: number; running: number; queued: number } =>
    (functions[name] ??= { instances: 0, running: 0, queued: 0 });
  for (const name of names) load(name);
  let busy = 0;
  for (const worker of workers) {
    if (worker.assigned > 0) busy += 1;
    for (const [name, count] of worker.instances) load(name).instances += count;
  }
  const first = new Set<WorkerHandle | undefined>();
  for (const task of handed.values()) {
    if (first.has(task.worker)) load(task.name).queued += 1;
    else {
      first.add(task.worker);
      load(task.name).running += 1;
    }
  }
  for (const task of queue) load(task.name).queued += 1;
  return {
    workers: workers.size,
    busyWorkers: busy,
    queued: queue.length + handed.size - first.size,
    running: first.size,
    timeouts,
    workerRestarts: restarts,
    functions,
  };
}
