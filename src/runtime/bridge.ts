/**
 * Synchronous host calls over asynchronous I/O. A guest's `cache_get` must return a size before the
 * guest continues, but {@link HostServices} are asynchronous and live on the main thread. So the worker posts the
 * call to the main thread and blocks in `Atomics.wait` on a shared control word; the main thread runs the service,
 * writes the answer into a shared data buffer and `Atomics.notify`s. An answer larger than the data buffer makes the
 * main thread allocate a bigger one and hand it over on a dedicated `MessagePort`, which the woken worker reads
 * synchronously with `receiveMessageOnPort` and keeps for later calls.
 *
 * @module
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import type { HostCallContext, HostCallResult, HostServices } from '../capabilities/host-services.js';
import type { AsyncHost, HostRequest } from './host-env.js';
import { ownBytes } from './request.js';

/** The shared memory and port of one worker's bridge, handed to the worker at start. */
export interface BridgeChannel {
  readonly control: SharedArrayBuffer;
  readonly data: SharedArrayBuffer;
  readonly port: MessagePort;
}

/** The message a worker posts for one host call. */
export interface HostCallMessage {
  readonly type: 'host';
  readonly request: HostRequest;
  readonly context: HostCallContext;
}

/** The initial size of the data buffer; grown (doubled up to the answer's size) on demand. */
export const BRIDGE_INITIAL_BYTES = 64 * 1024;

// Control words.
const STATE = 0;
const KIND = 1;
const VALUE = 2;
const GROWN = 3;
const WAITING = 0;
const ANSWERED = 1;
const KINDS = ['data', 'error', 'status'] as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A host request ready to post, and the buffers transferred with it instead of copied: bytes read from the guest
 * are views into a shared slab (see `allocBytes`), so they are copied into buffers of their own first.
 */
function posting(request: HostRequest): { request: HostRequest; transfer: ArrayBuffer[] } {
  if (request.op === 'fetchUrl') {
    const body = ownBytes(request.body);
    return { request: { ...request, body }, transfer: [body.buffer as ArrayBuffer] };
  }
  if (request.op === 'cacheSet') {
    const value = ownBytes(request.value);
    return { request: { ...request, value }, transfer: [value.buffer as ArrayBuffer] };
  }
  return { request, transfer: [] };
}

/**
 * The worker side: an {@link AsyncHost} that blocks the worker until the main thread answers.
 *
 * @example
 * ```ts
 * const host = new BridgeClient(workerData.bridge, (message, transfer) => parentPort.postMessage(message, transfer));
 * const result = host.call({ op: 'cacheGet', key: 'k' }, { fn: 'hello', requestId: 'r1' });
 * ```
 */
export class BridgeClient implements AsyncHost {
  readonly #control: Int32Array;
  #data: SharedArrayBuffer;
  readonly #port: MessagePort;

  constructor(
    channel: BridgeChannel,
    readonly post: (message: HostCallMessage, transfer: ArrayBuffer[]) => void,
  ) {
    this.#control = new Int32Array(channel.control);
    this.#data = channel.data;
    this.#port = channel.port;
  }

  /** Posts the call to the main thread and blocks until it is answered. */
  call(request: HostRequest, context: HostCallContext): HostCallResult {
    const control = this.#control;
    Atomics.store(control, STATE, WAITING);
    const post = posting(request);
    this.post({ type: 'host', request: post.request, context }, post.transfer);
    // A wake-up alone proves nothing: wait until the answer is in. The main thread stores an answer, then notifies.
    // When this thread saw an answer before its notify came (it had not started waiting yet), that late notify wakes
    // the wait of the next call, which would otherwise read the previous call's answer as its own.
    while (Atomics.load(control, STATE) === WAITING) Atomics.wait(control, STATE, WAITING);
    if (Atomics.load(control, GROWN) === 1) {
      const received = receiveMessageOnPort(this.#port);
      if (received === undefined) throw new Error('bridge: the grown buffer did not arrive');
      this.#data = received.message as SharedArrayBuffer;
      Atomics.store(control, GROWN, 0);
    }
    const kind = KINDS[Atomics.load(control, KIND)];
    const value = Atomics.load(control, VALUE);
    if (kind === 'status') return { kind, status: value };
    const bytes = new Uint8Array(value);
    bytes.set(new Uint8Array(this.#data, 0, value));
    return kind === 'data' ? { kind, data: bytes } : { kind: 'error', message: decoder.decode(bytes) };
  }
}

/**
 * The main-thread side of one worker's bridge: writes answers and wakes the worker.
 *
 * @example
 * ```ts
 * const server = new BridgeServer();
 * new Worker(entry, { workerData: { bridge: server.channel }, transferList: [server.channel.port] });
 * server.answer(await serveHostCall(services, message));
 * ```
 */
export class BridgeServer {
  /** What to hand to the worker (its `port` must be in the transfer list). */
  readonly channel: BridgeChannel;
  readonly #control: Int32Array;
  #data: SharedArrayBuffer;
  readonly #port: MessagePort;

  constructor(initialBytes = BRIDGE_INITIAL_BYTES) {
    const { port1, port2 } = new MessageChannel();
    const control = new SharedArrayBuffer(16);
    this.#data = new SharedArrayBuffer(initialBytes);
    this.#control = new Int32Array(control);
    this.#port = port1;
    this.channel = { control, data: this.#data, port: port2 };
  }

  /** The current size of the data buffer. */
  get capacity(): number {
    return this.#data.byteLength;
  }

  /** Writes an answer and wakes the worker. */
  answer(result: HostCallResult): void {
    const control = this.#control;
    if (result.kind === 'status') {
      Atomics.store(control, KIND, 2);
      Atomics.store(control, VALUE, result.status);
    } else {
      const bytes = result.kind === 'data' ? result.data : encoder.encode(result.message);
      if (bytes.length > this.#data.byteLength) {
        let size = this.#data.byteLength;
        while (size < bytes.length) size *= 2;
        this.#data = new SharedArrayBuffer(size);
        this.#port.postMessage(this.#data);
        Atomics.store(control, GROWN, 1);
      }
      new Uint8Array(this.#data, 0, bytes.length).set(bytes);
      Atomics.store(control, KIND, result.kind === 'data' ? 0 : 1);
      Atomics.store(control, VALUE, bytes.length);
    }
    Atomics.store(control, STATE, ANSWERED);
    Atomics.notify(control, STATE);
  }

  /** Releases the port. */
  close(): void {
    this.#port.close();
  }
}

/**
 * Runs one host call on the {@link HostServices}. Never rejects: a service that throws gives the error text.
 *
 * @example
 * ```ts
 * const result = await serveHostCall(services, { op: 'cacheGet', key: 'k' }, { fn: 'hello', requestId: 'r1' });
 * ```
 */
export async function serveHostCall(services: HostServices, request: HostRequest, context: HostCallContext): Promise<HostCallResult> {
  try {
    switch (request.op) {
      case 'cacheGet':
        return await services.cacheGet(request.key, context);
      case 'cacheSet':
        return await services.cacheSet(request.key, request.value, request.ttlSeconds, context);
      case 'fetchUrl':
        return await services.fetchUrl(request.method, request.url, request.body, context);
      case 'graphqlQuery':
        return await services.graphqlQuery(request.endpoint, request.query, context);
      case 'dbExec':
        return await services.dbExec(request.queryType, request.name, request.variables, context);
      case 'getStaticFile':
        return await services.getStaticFile(request.name, context);
    }
  } catch (error) {
    return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
  }
}
