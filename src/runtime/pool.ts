/**
 * The worker pool: worker threads, each running one guest call at a time with its own instances of every function.
 * Calls wait in one FIFO queue; a free worker that already has a warm instance of the function is preferred.
 *
 * Workers start on first need ({@link WorkerPool.start}): an app whose functions all run on the calling thread never
 * pays for them. A call past `limits.timeoutMs` fails with `E2RX_WASM_TIMEOUT` at once; an instrumented guest is then
 * stopped inside its worker by its own deadline check (the worker lives on); a worker that does not report back within
 * {@link TIMEOUT_GRACE_MS} (a guest that is not instrumented, or one blocked in a host call) is terminated and
 * replaced. Cancelling a call removes it from the queue, or, once it runs, detaches it: the worker is not stopped (a
 * client going away must not cost a worker); the call runs to its end or its time limit and its result is dropped.
 *
 * @module
 */
import type { HostServices } from '../capabilities/host-services.js';
import { E2rxError } from '../errors.js';
import { serveHostCall } from './bridge.js';
import type { LogSink } from './host-env.js';
import type { FunctionDefinition } from './instance.js';
import type { Failure, RunOutcome } from './outcome.js';
import type { Done, FromWorker, WorkerInit } from './protocol.js';
import { ownBytes, ownRequest, type FunctionRequest } from './request.js';
import { readResult, writeCall } from './handoff-codec.js';
import { WorkerHandle } from './worker-handle.js';

/** What the pool needs. */
export interface WorkerPoolOptions {
  readonly size: number;
  readonly settings: Omit<WorkerInit, 'bridge' | 'functions' | 'rings'>;
  readonly services: HostServices;
  readonly log: LogSink;
}

/** Live counters of one function on the workers. */
export interface FunctionLoad {
  /** Instances alive (idle or running), over all workers. */
  readonly instances: number;
  /** Calls running. */
  readonly running: number;
  /** Calls waiting for a worker. */
  readonly queued: number;
}

/** A submitted call, as its caller holds it. */
export interface Ticket {
  /** Removes a queued call, or detaches a running one (its outcome is dropped). */
  cancel(): void;
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

interface Task {
  readonly id: number;
  readonly name: string;
  readonly request: FunctionRequest;
  /** Receives the outcome once; cleared when the caller cancels. */
  done: ((outcome: RunOutcome) => void) | undefined;
  timer?: NodeJS.Timeout;
  /** The worker running it, once dispatched. */
  worker?: WorkerHandle;
  /** The call left the queue and its worker for good. */
  finished: boolean;
  /** Its time limit passed (counted once, whichever side noticed first). */
  timedOut: boolean;
}

/** How long a worker has to report a call back after its time limit before it is terminated. */
export const TIMEOUT_GRACE_MS = 250;
/** Consecutive start failures after which queued calls are failed and restarts slow down. */
const START_FAILURE_LIMIT = 3;
const RESTART_BACKOFF_MS = 1000;

const failure = (code: Failure['code'], message: string, details?: Record<string, unknown>): RunOutcome => ({
  kind: 'failure',
  failure: details === undefined ? { code, message } : { code, message, details },
});

const timeoutFailure = (ms: number): RunOutcome => failure('E2RX_WASM_TIMEOUT', `the call ran past its time limit of ${ms} ms`, { timeoutMs: ms });

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
  readonly #running = new Map<number, Task>();
  readonly #definitions = new Map<string, FunctionDefinition>();
  #queue: Task[] = [];
  #nextId = 1;
  #started = false;
  #closed = false;
  #startFailures = 0;
  #timeouts = 0;
  #restarts = 0;
  #drained: (() => void) | undefined;
  #flushing = false;
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
    for (const worker of this.#workers) worker.post({ type: 'register', definition });
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

  /** Live counters. */
  stats(): PoolStats {
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
      functions,
    };
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
   * Fails queued calls with `E2RX_POOL_CLOSED`, lets the running calls whose caller still waits finish (a detached
   * call is stopped with its worker), then stops the workers.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const task of this.#queue.splice(0)) this.#finish(task, failure('E2RX_POOL_CLOSED', 'the worker pool is closed'));
    for (const task of [...this.#running.values()]) if (task.done === undefined) this.#dropDetached(task);
    if (this.#running.size > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    await Promise.all([...this.#workers].map((worker) => worker.stop()));
    this.#workers.clear();
    this.#wakeReadyWaiters();
  }

  #spawn(): void {
    const functions = [...this.#definitions.values()];
    const handle = new WorkerHandle(this.#options.settings, functions, {
      message: (h, message) => this.#onMessage(h, message),
      result: (h, reader) => {
        const done = readResult(reader, (id) => this.#running.get(id)?.request);
        this.#completed(h, done);
      },
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

  #dispatch(): void {
    const transport = this.#options.settings.transport;
    if (transport !== 'message') {
      if (this.#flushing) return;
      this.#flushing = true;
      queueMicrotask(() => {
        this.#flushing = false;
        this.#flush();
      });
      return;
    }
    while (this.#queue.length > 0) {
      const task = this.#queue[0] as Task;
      const worker = this.#idleWorker(task.name);
      if (worker === undefined) return;
      this.#queue.shift();
      this.#assign(task, worker);
      worker.post({ type: 'call', id: task.id, name: task.name, request: this.#wire(task.request) });
    }
  }

  /** Hands every queued call to the idle workers, a share each, one message (or one wake-up) per worker. */
  #flush(): void {
    const idle = [...this.#workers].filter((w) => w.idle);
    while (this.#queue.length > 0 && idle.length > 0) {
      const worker = idle.shift() as WorkerHandle;
      const tasks = this.#queue.splice(0, Math.ceil(this.#queue.length / (idle.length + 1)));
      for (const task of tasks) this.#assign(task, worker);
      const rings = worker.rings;
      if (rings === undefined) {
        worker.post({ type: 'calls', calls: tasks.map((t) => ({ id: t.id, name: t.name, request: this.#wire(t.request) })) });
        continue;
      }
      for (const t of tasks) if (!rings.calls.write((w) => writeCall(w, t.id, t.name, t.request))) throw new Error('ring full (prototype)');
      rings.calls.wake();
    }
  }

  #assign(task: Task, worker: WorkerHandle): void {
    worker.assigned.push(task.id);
    task.worker = worker;
    this.#running.set(task.id, task);
    task.timer = setTimeout(() => this.#timeout(task), this.#options.settings.limits.timeoutMs);
  }

  /** The request as posted (see {@link RequestCopy}). */
  #wire(request: FunctionRequest): FunctionRequest {
    const copy = this.#options.settings.copy;
    if (copy === 'full') return ownRequest(request);
    if (copy === 'body') return { method: request.method, url: request.url, id: request.id, body: ownBytes(request.body) } as FunctionRequest;
    const own = ownRequest(request);
    return { method: own.method, url: own.url, id: own.id, body: own.body, headers: own.headers, params: own.params, state: own.state } as FunctionRequest;
  }

  /** A call's outcome came back. */
  #completed(worker: WorkerHandle, done: Done): void {
    const at = worker.assigned.indexOf(done.id);
    if (at >= 0) worker.assigned.splice(at, 1);
    const task = this.#running.get(done.id);
    if (task === undefined) return;
    worker.instances.set(task.name, done.instances);
    this.#finish(task, this.#reported(task, this.#restored(task, done.outcome)));
  }

  /** A `lean` outcome without a request had it unchanged; with one, the guest's response headers join the caller's. */
  #restored(task: Task, outcome: RunOutcome): RunOutcome {
    if (outcome.kind === 'failure' || this.#options.settings.copy === 'full' || this.#options.settings.transport === 'ring') return outcome;
    const back = outcome.request as FunctionRequest | undefined;
    if (back === undefined) return { ...outcome, request: task.request };
    back.respHeaders = { ...task.request.respHeaders, ...back.respHeaders };
    return outcome;
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
      case 'done':
        this.#completed(worker, message);
        this.#dispatch();
        return;
      case 'results':
        for (const done of message.results) this.#completed(worker, done);
        this.#dispatch();
        return;
    }
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
      this.#running.delete(task.id);
      if (this.#running.size === 0) this.#drained?.();
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
      if (worker.callId === task.id && worker.alive) {
        this.#finish(task, undefined);
        this.#replace(worker);
        this.#dispatch();
      }
    }, TIMEOUT_GRACE_MS);
  }

  /** A queued call leaves the queue; a running one is detached (see the module comment). */
  #cancel(task: Task): void {
    if (task.finished || task.done === undefined) return;
    const queued = this.#queue.indexOf(task);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
      task.done = undefined;
      this.#finish(task, undefined);
      return;
    }
    task.done = undefined;
    if (this.#closed) this.#dropDetached(task);
  }

  /** While closing, a detached call is not waited for: its worker is stopped now. */
  #dropDetached(task: Task): void {
    const worker = task.worker;
    this.#finish(task, undefined);
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
      this.#finish(task, failure(oom ? 'E2RX_WASM_MEMORY' : 'E2RX_INTERNAL', `the worker stopped: ${reason}`));
    }
    this.#options.log('error', `worker thread stopped: ${reason}`, { fn: task?.name ?? '' });
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
  }
}
