/**
 * The main thread's handle on one worker thread: starts it (from the TypeScript sources under tsx, or from `dist`),
 * owns its bridge, routes its messages and stops it.
 *
 * @module
 */
import { Worker } from 'node:worker_threads';
import { BridgeServer } from './bridge.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';
import { type RecordReader, Ring } from './ring.js';
import { writeControl } from './handoff-codec.js';

/** The JS heap a worker may use (guest linear memory is outside it and capped per instance instead). */
export const WORKER_HEAP_MB = 256;

/** Callbacks of a {@link WorkerHandle}. */
export interface WorkerEvents {
  message(handle: WorkerHandle, message: FromWorker): void;
  /** One record of the results ring (`ring` transport). */
  result(handle: WorkerHandle, reader: RecordReader): void;
  /** The records read at one wake-up were all handled. */
  drained(handle: WorkerHandle): void;
  /** The worker stopped without being asked to (crash, out of memory); `error` is what it threw, if anything. */
  exit(handle: WorkerHandle, error: Error | undefined): void;
}

/**
 * Starts the worker entry. Under the TypeScript sources (`import.meta.url` ends with `.ts`: vitest, tsx) the worker
 * is an eval'd bootstrap that registers tsx's loader with `tsx/esm/api` and imports `worker.ts`: on Node 20,
 * `execArgv: ['--import', 'tsx']` does not apply tsx's hooks to a worker (measured: `ERR_UNKNOWN_FILE_EXTENSION`).
 * Built, it starts `worker.js` next to this file.
 */
function startWorker(init: WorkerInit): Worker {
  const options = {
    workerData: init,
    transferList: [init.bridge.port],
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
  };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { ...options, eval: true });
}

/**
 * One worker thread and its state as the pool sees it.
 *
 * @example
 * ```ts
 * const handle = new WorkerHandle(settings, functions, { message: onMessage, exit: onExit });
 * handle.post({ type: 'call', id: 1, name: 'hello', request });
 * ```
 */
export class WorkerHandle {
  /** Whether the worker said it is ready. */
  ready = false;
  /** Whether the handle is in use (false once stopped or crashed). */
  alive = true;
  /** The calls handed to it, oldest (running) first. */
  readonly assigned: number[] = [];
  readonly rings: { readonly calls: Ring; readonly results: Ring } | undefined;
  /** Instances per function it reported. */
  readonly instances = new Map<string, number>();
  readonly bridge = new BridgeServer();
  readonly #worker: Worker;

  constructor(settings: Omit<WorkerInit, 'bridge' | 'functions' | 'rings'>, functions: WorkerInit['functions'], events: WorkerEvents) {
    this.rings = settings.transport === 'ring' ? { calls: Ring.create(), results: Ring.create() } : undefined;
    const rings = this.rings === undefined ? {} : { rings: { calls: this.rings.calls.channel, results: this.rings.results.channel } };
    this.#worker = startWorker({ ...settings, functions, bridge: this.bridge.channel, ...rings });
    if (this.rings !== undefined) this.#listen(this.rings.results, events);
    let error: Error | undefined;
    this.#worker.on('message', (message: FromWorker) => {
      if (this.alive) events.message(this, message);
    });
    this.#worker.on('error', (e: Error) => {
      error = e;
    });
    this.#worker.on('exit', () => {
      if (!this.alive) return;
      this.alive = false;
      this.bridge.close();
      events.exit(this, error);
    });
  }

  /** The id of the call it runs (or is about to), if any. */
  get callId(): number | undefined {
    return this.assigned[0];
  }

  /** Whether it can take a call now. */
  get idle(): boolean {
    return this.alive && this.ready && this.assigned.length === 0;
  }

  /** Reads the results ring at every wake-up, until the worker stops. */
  #listen(results: Ring, events: WorkerEvents): void {
    for (;;) {
      const seen = results.seq;
      let read = false;
      while (this.alive && results.read((reader) => events.result(this, reader))) read = true;
      if (!this.alive) return;
      if (read) {
        results.wake();
        events.drained(this);
      }
      const waiting = results.waitAsync(seen);
      if (waiting !== undefined) {
        void waiting.then(() => this.#listen(results, events));
        return;
      }
    }
  }

  /** Sends a message to the worker. */
  post(message: ToWorker): void {
    this.#worker.postMessage(message);
    if (this.rings !== undefined && message.type === 'register') {
      this.rings.calls.write(writeControl);
      this.rings.calls.wake();
    }
  }

  /** Stops the worker (also in the middle of a guest call). */
  async stop(): Promise<void> {
    this.alive = false;
    if (this.rings !== undefined) Atomics.notify(new Int32Array(this.rings.results.channel.control), 2);
    this.bridge.close();
    await this.#worker.terminate();
  }
}
