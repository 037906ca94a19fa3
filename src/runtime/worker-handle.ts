/**
 * The main thread's handle on one worker thread: starts it (from the TypeScript sources under tsx, or from `dist`),
 * owns its bridge and its call channel, routes its messages and stops it.
 *
 * @module
 */
import { Worker } from 'node:worker_threads';
import { BridgeServer } from './bridge.js';
import { CallChannel } from './call-channel.js';
import type { ResultMessage } from './call-codec.js';
import type { FunctionDefinition } from './instance.js';
import type { FromWorker, WorkerInit, WorkerSettings } from './protocol.js';

/** The JS heap a worker may use (guest linear memory is outside it and capped per instance instead). */
export const WORKER_HEAP_MB = 256;

/** Callbacks of a {@link WorkerHandle}. */
export interface WorkerEvents {
  /** `ready` (on the worker's port), host calls and log lines (on its channel). */
  message(handle: WorkerHandle, message: FromWorker): void;
  /** A call's outcome came back. */
  result(handle: WorkerHandle, result: ResultMessage): void;
  /** The outcomes read at one wake-up were all delivered. */
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
    transferList: [init.bridge.port, init.channel.port],
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
 * const handle = new WorkerHandle(settings, functions, { message, result, drained, exit });
 * const slot = handle.channel.send(1, 'hello', request);
 * handle.channel.wake();
 * ```
 */
export class WorkerHandle {
  /** Whether the worker said it is ready. */
  ready = false;
  /** Whether the handle is in use (false once stopped or crashed). */
  alive = true;
  /** Calls handed over whose outcome has not come back (or been revoked). */
  assigned = 0;
  /** Instances per function it reported. */
  readonly instances = new Map<string, number>();
  readonly bridge = new BridgeServer();
  readonly channel: CallChannel;
  readonly #worker: Worker;

  constructor(settings: WorkerSettings, functions: readonly FunctionDefinition[], events: WorkerEvents) {
    this.channel = new CallChannel(
      (result) => {
        if (this.alive) events.result(this, result);
      },
      (message) => {
        if (this.alive) events.message(this, message);
      },
      () => {
        if (this.alive) events.drained(this);
      },
    );
    this.#worker = startWorker({ ...settings, functions, bridge: this.bridge.channel, channel: this.channel.init });
    let error: Error | undefined;
    this.#worker.on('message', (message: FromWorker) => {
      if (this.alive) events.message(this, message);
    });
    this.#worker.on('error', (e: Error) => {
      error = e;
    });
    this.#worker.on('exit', () => {
      if (!this.alive) return;
      this.#release();
      events.exit(this, error);
    });
  }

  /** Whether it can be handed calls now: ready, and every call handed to it before has come back. */
  get idle(): boolean {
    return this.alive && this.ready && this.assigned === 0;
  }

  /** Stops the worker (also in the middle of a guest call). */
  async stop(): Promise<void> {
    this.#release();
    await this.#worker.terminate();
  }

  #release(): void {
    this.alive = false;
    this.bridge.close();
    this.channel.close();
  }
}
