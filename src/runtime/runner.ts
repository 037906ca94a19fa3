/**
 * What the runtime needs from an execution backend: the worker pool ({@link WorkerPool}) or the calling thread
 * ({@link InlineRunner}).
 *
 * @module
 */
import type { FunctionDefinition } from './instance.js';
import type { RunOutcome } from './outcome.js';
import type { FunctionRequest } from './request.js';

/** Live counters of one function in a backend. */
export interface FunctionLoad {
  /** Instances alive (idle or running), over all threads. */
  readonly instances: number;
  /** Calls running. */
  readonly running: number;
  /** Calls waiting for a thread. */
  readonly queued: number;
}

/** Live counters of a backend. */
export interface RunnerStats {
  readonly workers: number;
  readonly busyWorkers: number;
  readonly queued: number;
  readonly running: number;
  readonly timeouts: number;
  readonly workerRestarts: number;
  readonly functions: Readonly<Record<string, FunctionLoad>>;
}

/** An execution backend. */
export interface Runner {
  /** Adds or replaces a function on every thread. */
  register(definition: FunctionDefinition): void;
  /** Runs one call; resolves with its outcome (failures included); rejects only with the signal's reason. */
  run(name: string, request: FunctionRequest, signal?: AbortSignal): Promise<RunOutcome>;
  /** Live counters. */
  stats(): RunnerStats;
  /** Resolves once every thread can take calls. */
  ready(): Promise<void>;
  /** Fails queued calls with `E2RX_POOL_CLOSED`, waits for running ones, stops the threads. */
  close(): Promise<void>;
}
