/**
 * The worker pool: worker threads, each running one guest call at a time with its own instances of every function.
 *
 * Calls wait in one FIFO queue. A worker that has given back every call it was handed takes the calls waiting at that
 * moment: a share of the queue (one call at low load, several under load) in one hand-over on its call channel
 * (`call-channel.ts`, docs/decisions/0006-worker-hand-off.md). A worker that already has a warm instance of the
 * function at the head of the queue is preferred. A call handed over but not started yet still counts as queued, and
 * can be taken back.
 *
 * Workers start on first need ({@link WorkerPool.start}): an app whose functions all run on the calling thread never
 * pays for them. A call past `limits.timeoutMs`, counted from its start on the worker, fails with `E2RX_WASM_TIMEOUT`
 * at once; an instrumented guest is then stopped inside its worker by its own deadline check (the worker lives on); a
 * worker that does not report back within {@link TIMEOUT_GRACE_MS} (a guest that is not instrumented, or one blocked
 * in a host call) is terminated and replaced, and the calls it had not started go back to the head of the queue.
 * Cancelling a call removes it from the queue, or, once it runs, detaches it: the worker is not stopped (a client
 * going away must not cost a worker); the call runs to its end or its time limit and its result is dropped.
 *
 * @module
 */
import type { HostServices } from '../capabilities/host-services.js';
import { E2rxError } from '../errors.js';
import { serveHostCall } from './bridge.js';
import { restoreRequest, type ResultMessage } from './call-codec.js';
import type { LogSink } from './host-env.js';
import type { FunctionDefinition } from './instance.js';
import type { RunOutcome } from './outcome.js';
import { poolStats, type PoolStats } from './pool-stats.js';
import { failure, type Task, type Ticket, timeoutFailure } from './pool-task.js';
import type { FromWorker, WorkerSettings } from './protocol.js';
import type { FunctionRequest } from './request.js';
import { WorkerHandle } from './worker-handle.js';

export type { FunctionLoad, PoolStats } from './pool-stats.js';
export type { Ticket } from './pool-task.js';

/** What the pool needs. */
export interface WorkerPoolOptions {
  readonly size: number;
  readonly settings: WorkerSettings;
  readonly services: HostServices;
  readonly log: LogSink;
}

/** How long a worker has to report a call back after its time limit before it is terminated. */
export const TIMEOUT_GRACE_MS = 250;
/** The most calls handed to a worker at once. */
export const MAX_SHARE = 64;
/** Consecutive start failures after which queued calls are failed and restarts slow down. */
const START_FAILURE_LIMIT = 3;
const RESTART_BACKOFF_MS = 1000;

/**
 * Runs calls on worker threads.
 *
 * @example
 * ```ts
 * const pool = new WorkerPool({ size: 2, settings, services, log });
 * pool.register(definition);
 * pool.submit('hello', request, (outcome) => console.log(outcome.kind));
 * ```
 */
export class WorkerPool {
  readonly #options: WorkerPoolOptions;
  readonly #workers = new Set<WorkerHandle>();
  /** Calls handed to a worker (running, or waiting there to start), by id, in the order they were handed over. */
  readonly #handed = new Map<number, Task>();
  readonly #definitions = new Map<string, FunctionDefinition>();
  #queue: Task[] = [];
  #nextId = 1;
  #started = false;
  #closed = false;
  #startFailures = 0;
  #timeouts = 0;
  #restarts = 0;
  #drained: (() => void) | undefined;
  #readyWaiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];

  constructor(options: WorkerPoolOptions) {
    this.#options = options;
  }

  /** Whether the workers were started. */
  get started(): boolean {
    return this.#started;
  }

  /** Starts the worker threads (once; later calls do nothing). Calls submitted before they are ready wait. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    for (let i = 0; i < this.#options.size; i += 1) this.#spawn();
  }

  /** Adds or replaces a function on every worker (and on the workers started later). */
  register(definition: FunctionDefinition): void {
    this.#definitions.set(definition.name, definition);
    for (const worker of this.#workers) worker.channel.register(definition);
  }

  /**
   * Queues a call; `done` receives its outcome (failures included) once, unless the ticket is cancelled first.
   * Starts the workers if they were not.
   */
  submit(name: string, request: FunctionRequest, done: (outcome: RunOutcome) => void): Ticket {
    if (this.#closed) {
      done(failure('E2RX_POOL_CLOSED', 'the worker pool is closed'));
      return { cancel: () => undefined };
    }
    this.start();
    const task: Task = { id: this.#nextId++, name, request, done, finished: false, timedOut: false };
    this.#queue.push(task);
    this.#dispatch();
    return { cancel: () => this.#cancel(task) };
  }

  /**
   * Live counters. The oldest call handed to a worker counts as running there (it runs, or is the next to); the others
   * handed to it wait behind it and count as queued.
   */
  stats(): PoolStats {
    return poolStats(this.#definitions.keys(), this.#workers, this.#handed, this.#queue, this.#timeouts, this.#restarts);
  }

  /** Resolves once every started worker is ready (at once when none was started). */
  ready(): Promise<void> {
    if ([...this.#workers].every((w) => w.ready)) return Promise.resolve();
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  #wakeReadyWaiters(error?: Error): void {
    if (error === undefined && ![...this.#workers].every((w) => w.ready)) return;
    for (const waiter of this.#readyWaiters.splice(0)) {
      if (error === undefined) waiter.resolve();
      else waiter.reject(error);
    }
  }

  /**
   * Fails queued calls with `E2RX_POOL_CLOSED` (those handed to a worker but not started too), lets the running calls
   * whose caller still waits finish (a detached call is stopped with its worker), then stops the workers.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closedFailure = failure('E2RX_POOL_CLOSED', 'the worker pool is closed');
    for (const task of this.#queue.splice(0)) this.#finish(task, closedFailure);
    for (const task of [...this.#handed.values()]) {
      if (this.#revoke(task)) this.#finish(task, closedFailure);
      else if (task.done === undefined) this.#dropDetached(task);
    }
    if (this.#handed.size > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    await Promise.all([...this.#workers].map((worker) => worker.stop()));
    this.#workers.clear();
    this.#wakeReadyWaiters();
  }

  #spawn(): void {
    const functions = [...this.#definitions.values()];
    const handle = new WorkerHandle(this.#options.settings, functions, {
      message: (h, message) => this.#onMessage(h, message),
      result: (h, result) => this.#onResult(h, result),
      drained: () => this.#dispatch(),
      exit: (h, error) => this.#onExit(h, error),
    });
    this.#workers.add(handle);
  }

  #idleWorker(name: string): WorkerHandle | undefined {
    let fallback: WorkerHandle | undefined;
    for (const worker of this.#workers) {
      if (!worker.idle) continue;
      if ((worker.instances.get(name) ?? 0) > 0) return worker;
      fallback ??= worker;
    }
    return fallback;
  }

  /**
   * Hands the queue to the idle workers: each takes its share (the queue over the number of workers, at most
   * {@link MAX_SHARE}) in one hand-over and one wake-up.
   */
  #dispatch(): void {
    while (this.#queue.length > 0) {
      const worker = this.#idleWorker((this.#queue[0] as Task).name);
      if (worker === undefined) return;
      const share = Math.min(MAX_SHARE, Math.ceil(this.#queue.length / this.#workers.size));
      let handed = 0;
      for (; handed < share && this.#queue.length > 0; handed += 1) {
        const task = this.#queue[0] as Task;
        const slot = worker.channel.send(task.id, task.name, task.request);
        if (slot === undefined) break;
        this.#queue.shift();
        this.#handOver(task, worker, slot);
      }
      worker.channel.wake();
      if (handed === 0) return;
    }
  }

  #handOver(task: Task, worker: WorkerHandle, slot: number): void {
    worker.assigned += 1;
    task.worker = worker;
    task.slot = slot;
    this.#handed.set(task.id, task);
    task.timer = setTimeout(() => this.#checkTime(task), this.#options.settings.limits.timeoutMs);
  }

  /** When a handed-over call started on its worker (ms since the epoch), if it did. */
  #startedAt(task: Task): number | undefined {
    return task.worker === undefined || task.slot === undefined ? undefined : task.worker.channel.startedAt(task.slot);
  }

  /** Takes a handed-over call back from its worker if it has not started there; true when it was taken back. */
  #revoke(task: Task): boolean {
    const worker = task.worker;
    if (worker === undefined || task.slot === undefined || !worker.channel.revoke(task.slot)) return false;
    worker.assigned -= 1;
    return true;
  }

  /**
   * A call's timer: its time limit counts from its start on the worker, so a call still waiting there, or started
   * later than it was handed over, is looked at again when its limit could be up.
   */
  #checkTime(task: Task): void {
    const ms = this.#options.settings.limits.timeoutMs;
    const started = this.#startedAt(task);
    const left = started === undefined ? ms : started + ms - Date.now();
    if (left > 0) task.timer = setTimeout(() => this.#checkTime(task), left);
    else this.#timeout(task);
  }

  #onMessage(worker: WorkerHandle, message: FromWorker): void {
    switch (message.type) {
      case 'ready':
        worker.ready = true;
        this.#startFailures = 0;
        this.#wakeReadyWaiters();
        this.#dispatch();
        return;
      case 'log':
        this.#options.log(message.level, message.message, message.fields);
        return;
      case 'host':
        void serveHostCall(this.#options.services, message.request, message.context).then((result) => {
          if (worker.alive) worker.bridge.answer(result);
        });
        return;
    }
  }

  /** A call's outcome came back (the pool hands out more once the wake-up's outcomes are all in). */
  #onResult(worker: WorkerHandle, result: ResultMessage): void {
    const task = this.#handed.get(result.id);
    worker.assigned -= 1;
    if (task === undefined) return;
    worker.instances.set(task.name, result.instances);
    this.#finish(task, this.#reported(task, restoreRequest(result.outcome, task.request)));
  }

  /**
   * A worker's outcome. A guest stopped by its own deadline check may report back before the pool's timer fires: that
   * timeout counts (once) and reads as the pool's.
   */
  #reported(task: Task, outcome: RunOutcome): RunOutcome {
    if (outcome.kind !== 'failure' || outcome.failure.code !== 'E2RX_WASM_TIMEOUT' || task.timedOut) return outcome;
    task.timedOut = true;
    this.#timeouts += 1;
    return timeoutFailure(this.#options.settings.limits.timeoutMs);
  }

  /** Ends the call: delivers the outcome to a caller that still waits, frees its slot. */
  #finish(task: Task, outcome: RunOutcome | undefined): void {
    const done = task.done;
    task.done = undefined;
    if (!task.finished) {
      task.finished = true;
      clearTimeout(task.timer);
      if (this.#handed.delete(task.id) && this.#handed.size === 0) this.#drained?.();
    }
    if (done !== undefined && outcome !== undefined) done(outcome);
  }

  /**
   * The call's time limit passed: its caller gets `E2RX_WASM_TIMEOUT` now. The worker is given {@link TIMEOUT_GRACE_MS}
   * to report back (its guest's own deadline check stops it); past that it is terminated and replaced.
   */
  #timeout(task: Task): void {
    task.timedOut = true;
    this.#timeouts += 1;
    const done = task.done;
    task.done = undefined;
    done?.(timeoutFailure(this.#options.settings.limits.timeoutMs));
    const worker = task.worker;
    if (worker === undefined) return;
    task.timer = setTimeout(() => {
      if (!task.finished && worker.alive) {
        this.#finish(task, undefined);
        this.#replace(worker);
        this.#dispatch();
      }
    }, TIMEOUT_GRACE_MS);
  }

  /** A queued call leaves the queue (or is taken back from its worker); a running one is detached. */
  #cancel(task: Task): void {
    if (task.finished || task.done === undefined) return;
    const queued = this.#queue.indexOf(task);
    if (queued >= 0) this.#queue.splice(queued, 1);
    if (queued >= 0 || this.#revoke(task)) {
      task.done = undefined;
      this.#finish(task, undefined);
      this.#dispatch();
      return;
    }
    task.done = undefined;
    if (this.#closed) this.#dropDetached(task);
  }

  /** While closing, a detached call is not waited for: its worker is stopped now. */
  #dropDetached(task: Task): void {
    const worker = task.worker;
    this.#finish(task, undefined);
    if (worker !== undefined) {
      this.#release(worker, failure('E2RX_POOL_CLOSED', 'the worker pool is closed'));
      void worker.stop();
    }
  }

  #replace(worker: WorkerHandle): void {
    this.#workers.delete(worker);
    this.#release(worker, failure('E2RX_INTERNAL', 'the worker stopped'));
    void worker.stop();
    this.#restarts += 1;
    if (!this.#closed) this.#spawn();
  }

  /**
   * A worker is gone: the call it was running fails with `failed` (a call settled before, as a timed-out one, is not
   * touched again); the calls it had not started go back to the head of the queue, or fail when the pool is closed.
   */
  #release(worker: WorkerHandle, failed: RunOutcome): void {
    const back: Task[] = [];
    for (const task of [...this.#handed.values()]) {
      if (task.worker !== worker) continue;
      if (this.#startedAt(task) !== undefined) this.#finish(task, failed);
      else if (this.#closed) this.#finish(task, failure('E2RX_POOL_CLOSED', 'the worker pool is closed'));
      else back.push(task);
    }
    for (const task of back) {
      clearTimeout(task.timer);
      this.#handed.delete(task.id);
      delete task.worker;
      delete task.slot;
    }
    worker.assigned = 0;
    this.#queue.unshift(...back);
  }

  #onExit(worker: WorkerHandle, error: Error | undefined): void {
    this.#workers.delete(worker);
    const running = [...this.#handed.values()].find((task) => task.worker === worker && this.#startedAt(task) !== undefined);
    const reason = error?.message ?? 'the worker exited';
    const oom = (error as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
    this.#release(worker, failure(oom ? 'E2RX_WASM_MEMORY' : 'E2RX_INTERNAL', `the worker stopped: ${reason}`));
    this.#options.log('error', `worker thread stopped: ${reason}`, { fn: running?.name ?? '' });
    if (this.#closed) return;
    if (!worker.ready) this.#startFailures += 1;
    if (this.#startFailures >= START_FAILURE_LIMIT) {
      for (const queued of this.#queue.splice(0)) this.#finish(queued, failure('E2RX_INTERNAL', `worker threads fail to start: ${reason}`));
      this.#wakeReadyWaiters(new E2rxError('E2RX_INTERNAL', `worker threads fail to start: ${reason}`, { cause: error }));
      setTimeout(() => {
        if (!this.#closed) this.#spawn();
      }, RESTART_BACKOFF_MS).unref();
      return;
    }
    this.#restarts += 1;
    this.#spawn();
    this.#dispatch();
  }
}
