/**
 * The worker pool: a fixed number of worker threads, each running one guest call at a time with its own instances
 * of every function. Calls wait in one FIFO queue; a free worker that already has a warm instance of the function is
 * preferred. A call running past `limits.timeoutMs` has its worker terminated and replaced; the other workers keep
 * serving. Aborting a call's signal removes it from the queue, or, once it runs, detaches it: its promise rejects with
 * the reason at once, but the worker is not stopped (a client going away must not cost a worker and a re-registration
 * of every module). The detached call runs to its end (its result is discarded) and still occupies its worker and
 * counts as running until then; its time limit still applies, so a detached runaway loop is stopped like any other.
 *
 * @module
 */
import type { HostServices } from '../capabilities/host-services.js';
import { E2rxError, abortReason } from '../errors.js';
import { serveHostCall } from './bridge.js';
import type { LogSink } from './host-env.js';
import type { FunctionDefinition } from './instance.js';
import type { Failure, RunOutcome } from './outcome.js';
import type { FromWorker, WorkerInit } from './protocol.js';
import type { FunctionRequest } from './request.js';
import type { Runner, RunnerStats } from './runner.js';
import { WorkerHandle } from './worker-handle.js';

/** What the pool needs. */
export interface WorkerPoolOptions {
  readonly size: number;
  readonly settings: Omit<WorkerInit, 'bridge' | 'functions'>;
  readonly services: HostServices;
  readonly log: LogSink;
}

interface Task {
  readonly id: number;
  readonly name: string;
  readonly request: FunctionRequest;
  readonly resolve: (outcome: RunOutcome) => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
  timer?: NodeJS.Timeout;
  /** The caller's promise is settled (outcome delivered, or rejected on abort). */
  replied: boolean;
  /** The call left the queue and its worker for good (it ended, timed out, its worker stopped, or the pool closed). */
  done: boolean;
}

/** Consecutive start failures after which queued calls are failed and restarts slow down. */
const START_FAILURE_LIMIT = 3;
const RESTART_BACKOFF_MS = 1000;

const failure = (code: Failure['code'], message: string, details?: Record<string, unknown>): RunOutcome => ({
  kind: 'failure',
  failure: details === undefined ? { code, message } : { code, message, details },
});

/**
 * Runs calls on worker threads.
 *
 * @example
 * ```ts
 * const pool = new WorkerPool({ size: 2, settings, services, log });
 * pool.register(definition);
 * const outcome = await pool.run('hello', request);
 * ```
 */
export class WorkerPool implements Runner {
  readonly #options: WorkerPoolOptions;
  readonly #workers = new Set<WorkerHandle>();
  readonly #running = new Map<number, Task>();
  readonly #definitions = new Map<string, FunctionDefinition>();
  #queue: Task[] = [];
  #nextId = 1;
  #closed = false;
  #startFailures = 0;
  #timeouts = 0;
  #restarts = 0;
  #drained: (() => void) | undefined;
  #readyWaiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];

  constructor(options: WorkerPoolOptions) {
    this.#options = options;
    for (let i = 0; i < options.size; i += 1) this.#spawn();
  }

  /** {@inheritDoc Runner.register} */
  register(definition: FunctionDefinition): void {
    this.#definitions.set(definition.name, definition);
    for (const worker of this.#workers) worker.post({ type: 'register', definition });
  }

  /** {@inheritDoc Runner.run} */
  run(name: string, request: FunctionRequest, signal?: AbortSignal): Promise<RunOutcome> {
    if (this.#closed) return Promise.resolve(failure('E2RX_POOL_CLOSED', 'the worker pool is closed'));
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    return new Promise<RunOutcome>((resolve, reject) => {
      const task: Task = {
        id: this.#nextId++,
        name,
        request,
        resolve,
        reject,
        signal,
        onAbort: () => this.#abort(task),
        replied: false,
        done: false,
      };
      signal?.addEventListener('abort', task.onAbort, { once: true });
      this.#queue.push(task);
      this.#dispatch();
    });
  }

  /** {@inheritDoc Runner.stats} */
  stats(): RunnerStats {
    const functions: Record<string, { instances: number; running: number; queued: number }> = {};
    const load = (name: string): { instances: number; running: number; queued: number } =>
      (functions[name] ??= { instances: 0, running: 0, queued: 0 });
    for (const name of this.#definitions.keys()) load(name);
    let busy = 0;
    for (const worker of this.#workers) {
      if (worker.callId !== undefined) busy += 1;
      for (const [name, count] of worker.instances) load(name).instances += count;
    }
    for (const task of this.#running.values()) load(task.name).running += 1;
    for (const task of this.#queue) load(task.name).queued += 1;
    return {
      workers: this.#workers.size,
      busyWorkers: busy,
      queued: this.#queue.length,
      running: this.#running.size,
      timeouts: this.#timeouts,
      workerRestarts: this.#restarts,
      functions: functions,
    };
  }

  /** {@inheritDoc Runner.ready} */
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
   * {@inheritDoc Runner.close}
   *
   * Calls whose caller still waits run to their end; a detached call (its caller aborted) is stopped with its worker.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const task of this.#queue.splice(0)) this.#settle(task, failure('E2RX_POOL_CLOSED', 'the worker pool is closed'));
    for (const task of [...this.#running.values()]) if (task.replied) this.#dropDetached(task);
    if (this.#running.size > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    await Promise.all([...this.#workers].map((worker) => worker.stop()));
    this.#workers.clear();
    this.#wakeReadyWaiters();
  }

  #spawn(): void {
    const functions = [...this.#definitions.values()];
    const handle = new WorkerHandle(this.#options.settings, functions, {
      message: (h, message) => this.#onMessage(h, message),
      exit: (h, error) => this.#onExit(h, error),
    });
    this.#workers.add(handle);
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      const idle = [...this.#workers].filter((w) => w.idle);
      if (idle.length === 0) return;
      const task = this.#queue[0];
      const worker = idle.find((w) => (w.instances.get(task?.name ?? '') ?? 0) > 0) ?? idle[0];
      if (task === undefined || worker === undefined) return;
      this.#queue.shift();
      worker.callId = task.id;
      this.#running.set(task.id, task);
      task.timer = setTimeout(() => this.#timeout(worker, task), this.#options.settings.limits.timeoutMs);
      worker.post({ type: 'call', id: task.id, name: task.name, request: task.request });
    }
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
      case 'done': {
        const task = this.#running.get(message.id);
        worker.callId = undefined;
        if (task !== undefined) {
          worker.instances.set(task.name, message.instances);
          this.#settle(task, message.outcome);
        }
        this.#dispatch();
        return;
      }
    }
  }

  /** Ends the call and settles its caller's promise (a no-op for the promise of a call already detached). */
  #settle(task: Task, outcome: RunOutcome | { reject: unknown }): void {
    this.#reply(task, outcome);
    if (task.done) return;
    task.done = true;
    clearTimeout(task.timer);
    this.#running.delete(task.id);
    if (this.#running.size === 0) this.#drained?.();
  }

  /** Settles the caller's promise once; the call itself may go on running (detached). */
  #reply(task: Task, outcome: RunOutcome | { reject: unknown }): void {
    if (task.replied) return;
    task.replied = true;
    task.signal?.removeEventListener('abort', task.onAbort);
    if ('reject' in outcome) task.reject(outcome.reject);
    else task.resolve(outcome);
  }

  #timeout(worker: WorkerHandle, task: Task): void {
    this.#timeouts += 1;
    const ms = this.#options.settings.limits.timeoutMs;
    this.#settle(task, failure('E2RX_WASM_TIMEOUT', `the call ran past its time limit of ${ms} ms`, { timeoutMs: ms }));
    this.#replace(worker);
  }

  /**
   * A queued call leaves the queue; a running one is detached: its caller gets the reason now, while the call keeps
   * its worker (and its timer) until it ends. Either way the worker is not stopped.
   */
  #abort(task: Task): void {
    if (task.done || task.signal === undefined) return;
    const reason = { reject: abortReason(task.signal) };
    const queued = this.#queue.indexOf(task);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
      this.#settle(task, reason);
    } else {
      this.#reply(task, reason);
      if (this.#closed) this.#dropDetached(task);
    }
  }

  /**
   * While closing, a detached call is not waited for (nobody wants its result): its worker is stopped now and the
   * call ends, so that `close()` returns once the calls that still have a caller are done.
   */
  #dropDetached(task: Task): void {
    const worker = [...this.#workers].find((w) => w.callId === task.id);
    this.#settle(task, { reject: undefined });
    if (worker !== undefined) void worker.stop();
  }

  #replace(worker: WorkerHandle): void {
    this.#workers.delete(worker);
    void worker.stop();
    this.#restarts += 1;
    if (!this.#closed) this.#spawn();
  }

  #onExit(worker: WorkerHandle, error: Error | undefined): void {
    this.#workers.delete(worker);
    const task = worker.callId === undefined ? undefined : this.#running.get(worker.callId);
    const reason = error?.message ?? 'the worker exited';
    if (task !== undefined) {
      const oom = (error as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.#settle(task, failure(oom ? 'E2RX_WASM_MEMORY' : 'E2RX_INTERNAL', `the worker stopped: ${reason}`));
    }
    this.#options.log('error', `worker thread stopped: ${reason}`, { fn: task?.name ?? '' });
    if (this.#closed) return;
    if (!worker.ready) this.#startFailures += 1;
    if (this.#startFailures >= START_FAILURE_LIMIT) {
      for (const queued of this.#queue.splice(0)) this.#settle(queued, failure('E2RX_INTERNAL', `worker threads fail to start: ${reason}`));
      this.#wakeReadyWaiters(new E2rxError('E2RX_INTERNAL', `worker threads fail to start: ${reason}`, { cause: error }));
      setTimeout(() => {
        if (!this.#closed) this.#spawn();
      }, RESTART_BACKOFF_MS).unref();
      return;
    }
    this.#restarts += 1;
    this.#spawn();
  }
}
