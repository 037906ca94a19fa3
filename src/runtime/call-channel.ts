/**
 * How calls reach a worker and their outcomes come back (docs/decisions/0006-worker-hand-off.md): two {@link Ring}s in
 * shared memory instead of a `postMessage` per call each way.
 *
 * - The main thread writes calls into the `calls` ring and wakes the worker with `Atomics.notify`; an idle worker
 *   sleeps in `Atomics.wait` on that ring. The worker takes calls one at a time, in order.
 * - The worker writes each outcome into the `results` ring as soon as the call ends and notifies; the main thread
 *   waits with `Atomics.waitAsync` and reads every outcome waiting at each wake-up.
 * - Each call handed over has a claim word: the worker claims it (`waiting` → `running`, with its start time) before
 *   running it; the main thread may revoke it first (`waiting` → `revoked`: a cancelled call, a closing pool), and
 *   then the worker skips it. So a call handed over but not started is still a queued call, and the pool knows when
 *   each call started (its time limit counts from there).
 * - A function to register, and a record too large for a ring, travel as a message on the channel's port, announced
 *   by a `port` record in the ring so that the order holds; the reader takes it with `receiveMessageOnPort` (the
 *   worker never returns to its event loop while it serves).
 *
 * The worker's asynchronous host calls (`bridge.ts`: the worker then blocks until the main thread answers on the
 * bridge) and its log lines go in the `results` ring too, in order with the outcomes.
 *
 * @module
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import type { HostCallMessage } from './bridge.js';
import {
  type CallMessage,
  hostCallBytes,
  leanRequest,
  type LogMessage,
  outcomeBytes,
  payloadBytes,
  readCall,
  readHeader,
  readHostCall,
  readLog,
  readResult,
  RECORD,
  type RegisterMessage,
  type ResultMessage,
  type Unchanged,
  writeCall,
  writeHostCall,
  writeLog,
  writePort,
  writeResult,
} from './call-codec.js';
import type { FunctionDefinition } from './instance.js';
import type { RunOutcome } from './outcome.js';
import { type FunctionRequest, ownBytes, ownRequest } from './request.js';
import { type RecordReader, type RecordWriter, Ring, RING_BYTES, type RingChannel } from './ring.js';

/** What a worker is given at start (its `port` must be in the transfer list). */
export interface CallChannelInit {
  readonly calls: RingChannel;
  readonly results: RingChannel;
  /** {@link CLAIM_SLOTS} claim words (Int32), then as many start times (Float64, ms since the epoch). */
  readonly claims: SharedArrayBuffer;
  readonly port: MessagePort;
}

/** Claim slots per worker: more than the calls a worker is ever handed at once. */
export const CLAIM_SLOTS = 256;
/** Records with more payload bytes than this cross on the port (a ring holds four of them at least). */
const PORT_BYTES = RING_BYTES / 4;

const WAITING = 0;
const RUNNING = 1;
const REVOKED = 2;

/** How long a worker whose results ring is full sleeps before it looks again (ms). */
const ROOM_WAIT_MS = 50;

function claimViews(buffer: SharedArrayBuffer): { claims: Int32Array; started: Float64Array } {
  return { claims: new Int32Array(buffer, 0, CLAIM_SLOTS), started: new Float64Array(buffer, CLAIM_SLOTS * 4, CLAIM_SLOTS) };
}

/**
 * The main thread's end of one worker's channel.
 *
 * @example
 * ```ts
 * const channel = new CallChannel(
 *   (result) => console.log(result.id, result.outcome.kind),
 *   (message) => console.log(message.type), // host calls and log lines
 *   () => undefined,
 * );
 * new Worker(entry, { workerData: { channel: channel.init }, transferList: [channel.init.port] });
 * const slot = channel.send(1, 'hello', request);
 * channel.wake();
 * ```
 */
export class CallChannel {
  /** What to hand to the worker. */
  readonly init: CallChannelInit;
  readonly #calls: Ring;
  readonly #results: Ring;
  readonly #claims: Int32Array;
  readonly #started: Float64Array;
  readonly #port: MessagePort;
  #nextSlot = 0;
  #open = true;
  /** Registrations waiting for room in the calls ring (never waited for: the main thread must not block). */
  readonly #pending: RegisterMessage[] = [];

  /**
   * @param onResult receives each outcome (its request may be absent: see `restoreRequest`)
   * @param onMessage receives the worker's asynchronous host calls and log lines, in order with the outcomes
   * @param onDrained is called after the records read at one wake-up
   */
  constructor(
    readonly onResult: (result: ResultMessage) => void,
    readonly onMessage: (message: HostCallMessage | LogMessage) => void,
    readonly onDrained: () => void,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.#calls = Ring.create();
    this.#results = Ring.create();
    const claims = new SharedArrayBuffer(CLAIM_SLOTS * 12);
    ({ claims: this.#claims, started: this.#started } = claimViews(claims));
    this.#port = port1;
    this.init = { calls: this.#calls.channel, results: this.#results.channel, claims, port: port2 };
    this.#listen();
  }

  /**
   * Hands a call over (wake the worker with {@link wake} after a batch). Returns its claim slot, or undefined when the
   * calls ring has no room (the call stays with the caller).
   */
  send(id: number, name: string, request: FunctionRequest): number | undefined {
    if (!this.#flushPending()) return undefined;
    const slot = this.#nextSlot;
    Atomics.store(this.#claims, slot, WAITING);
    const inRing = payloadBytes(request) <= PORT_BYTES && this.#calls.write((w) => writeCall(w, slot, id, name, request));
    if (!inRing && !this.#viaPort({ type: 'call', slot, id, name, request: leanRequest(request) }, slot)) return undefined;
    this.#nextSlot = (slot + 1) % CLAIM_SLOTS;
    return slot;
  }

  /** Adds or replaces a function on the worker. */
  register(definition: FunctionDefinition): void {
    this.#pending.push({ type: 'register', definition });
    this.#flushPending();
    this.wake();
  }

  /** Hands over the registrations waiting for room; true when none is left. */
  #flushPending(): boolean {
    while (this.#pending.length > 0) {
      if (!this.#viaPort(this.#pending[0] as RegisterMessage, 0)) return false;
      this.#pending.shift();
    }
    return true;
  }

  #viaPort(message: CallMessage | RegisterMessage, slot: number): boolean {
    if (!this.#calls.fits(8)) return false;
    this.#port.postMessage(message);
    return this.#calls.write((w) => writePort(w, slot));
  }

  /** Wakes the worker if it sleeps. */
  wake(): void {
    this.#calls.wake();
  }

  /** Takes back a call the worker has not started; false when it has. */
  revoke(slot: number): boolean {
    return Atomics.compareExchange(this.#claims, slot, WAITING, REVOKED) === WAITING;
  }

  /** When the call in `slot` started on the worker (ms since the epoch), or undefined when it has not. */
  startedAt(slot: number): number | undefined {
    return Atomics.load(this.#claims, slot) === RUNNING ? this.#started[slot] : undefined;
  }

  /** Stops listening (the worker is gone). */
  close(): void {
    this.#open = false;
    this.#results.wake();
    this.#port.close();
  }

  /** Reads the results ring at every wake-up, until closed. */
  #listen(): void {
    const results = this.#results;
    for (;;) {
      const seen = results.seq;
      let read = false;
      let record: ResultMessage | HostCallMessage | LogMessage | undefined;
      while (this.#open && results.read((r) => (record = this.#record(r)))) {
        read = true;
        const received = record as ResultMessage | HostCallMessage | LogMessage;
        this.#deliver(() => (received.type === 'result' ? this.onResult(received) : this.onMessage(received)));
      }
      if (!this.#open) return;
      if (read) {
        results.freed();
        if (this.#pending.length > 0 && this.#flushPending()) this.wake();
        this.#deliver(this.onDrained);
        if (!this.#open) return;
      }
      const waiting = results.waitAsync(seen);
      if (waiting !== undefined) {
        void waiting.then(() => this.#listen());
        return;
      }
    }
  }

  /**
   * Runs a callback; what it throws is rethrown on its own turn of the event loop (an uncaught exception, as from an
   * event listener), so that this channel keeps listening.
   */
  #deliver(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      setImmediate(() => {
        throw error;
      });
    }
  }

  #record(r: RecordReader): ResultMessage | HostCallMessage | LogMessage {
    switch (readHeader(r).kind) {
      case RECORD.result:
        return readResult(r);
      case RECORD.host:
        return readHostCall(r);
      case RECORD.log:
        return readLog(r);
      default: {
        const received = receiveMessageOnPort(this.#port);
        if (received === undefined) throw new Error('call channel: a record announced on the port did not arrive');
        return received.message as ResultMessage | HostCallMessage | LogMessage;
      }
    }
  }
}

/**
 * An outcome ready to post: its output and request bytes own their buffers (they may be views into a slab, see
 * `allocBytes`), and the output's buffer can be transferred.
 */
function owning(outcome: RunOutcome | Unchanged): RunOutcome | Unchanged {
  if (outcome.kind === 'failure') return outcome;
  const request = outcome.request === undefined ? {} : { request: ownRequest(outcome.request) };
  // (e2rx) Published bodies and keys are copies in a shared slab: cloned as views, each would carry the whole slab.
  const publishes =
    outcome.kind === 'runError' || outcome.publishes === undefined
      ? {}
      : { publishes: outcome.publishes.map((m) => ({ ...m, body: ownBytes(m.body), ...(m.key === undefined ? {} : { key: ownBytes(m.key) }) })) };
  return outcome.kind === 'output' ? { ...outcome, output: ownBytes(outcome.output), ...request, ...publishes } : { ...outcome, ...request, ...publishes };
}

/** What a worker takes from its channel: a call to run, or a function to register. */
export type Incoming = CallMessage | RegisterMessage;

/**
 * The worker's end of its channel.
 *
 * @example
 * ```ts
 * const inbox = new CallInbox(workerData.channel);
 * for (;;) {
 *   const next = inbox.next();
 *   if (next === undefined) inbox.sleep();
 *   else if (next.type === 'call') inbox.reply({ type: 'result', id: next.id, instances: 1, outcome: run(next) });
 * }
 * ```
 */
export class CallInbox {
  readonly #calls: Ring;
  readonly #results: Ring;
  readonly #claims: Int32Array;
  readonly #started: Float64Array;
  readonly #port: MessagePort;
  #seen = 0;

  constructor(init: CallChannelInit) {
    this.#calls = new Ring(init.calls);
    this.#results = new Ring(init.results);
    ({ claims: this.#claims, started: this.#started } = claimViews(init.claims));
    this.#port = init.port;
  }

  /** The next call (claimed: it runs now) or registration; undefined when there is none. Revoked calls are skipped. */
  next(): Incoming | undefined {
    for (;;) {
      this.#seen = this.#calls.seq;
      let incoming: Incoming | undefined;
      if (!this.#calls.read((r) => (incoming = this.#incoming(r)))) return undefined;
      if (incoming === undefined) throw new Error('call channel: a message announced on the port did not arrive');
      if (incoming.type === 'register') return incoming;
      this.#started[incoming.slot] = Date.now();
      if (Atomics.compareExchange(this.#claims, incoming.slot, WAITING, RUNNING) === WAITING) return incoming;
    }
  }

  #incoming(r: RecordReader): Incoming | undefined {
    const { kind, slot } = readHeader(r);
    if (kind === RECORD.call) return readCall(r, slot);
    return receiveMessageOnPort(this.#port)?.message as Incoming | undefined;
  }

  /** Sleeps until the main thread hands over something after the last {@link next} that found nothing. */
  sleep(): void {
    this.#calls.sleep(this.#seen);
  }

  /** Sends a call's outcome back and wakes the main thread. */
  reply(result: ResultMessage): void {
    this.#send(
      (w) => writeResult(w, result),
      outcomeBytes(result.outcome),
      () => {
        const outcome = owning(result.outcome);
        return { message: { ...result, outcome }, transfer: outcome.kind === 'output' ? [outcome.output.buffer as ArrayBuffer] : [] };
      },
    );
  }

  /** Sends an asynchronous host call to the main thread (the bridge then blocks until it answers). */
  host(message: HostCallMessage, transfer: ArrayBuffer[]): void {
    this.#send((w) => writeHostCall(w, message), hostCallBytes(message.request), () => ({ message, transfer }));
  }

  /** Sends a log line to the main thread. */
  log(message: LogMessage): void {
    this.#send((w) => writeLog(w, message), 0, () => ({ message, transfer: [] }));
  }

  /**
   * Writes a record into the results ring, or, when its payload is too large for it (or it does not fit), posts it on
   * the port and writes a `port` record; waits for room when even that does not fit. Then wakes the main thread.
   */
  #send(write: (w: RecordWriter) => void, bytes: number, posted: () => { message: unknown; transfer: ArrayBuffer[] }): void {
    const results = this.#results;
    for (;;) {
      if (bytes <= PORT_BYTES && results.write(write)) break;
      if (results.fits(8)) {
        const { message, transfer } = posted();
        this.#port.postMessage(message, transfer);
        results.write((w) => writePort(w));
        break;
      }
      results.waitForRoom(ROOM_WAIT_MS);
    }
    results.wake();
  }
}
