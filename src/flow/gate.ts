/**
 * The admission gate of one handler: at most `limit` runs at once (a limit that follows the handler's latency, up to
 * `maxInFlight`: see concurrency-limit.ts); more work waits in a FIFO queue; work is refused only for real overload
 * (docs/reference/admission.md):
 *
 * - **time**: a piece of work that could no longer finish within its time (`timeoutMs`) is refused, at the door
 *   when the estimated wait says so, or when it leaves the queue too late to finish (planning, both times, for it
 *   to end within {@link PLANNED_SHARE} of its time). Its age counts from when it
 *   arrived, including what it waited before it could be read (the event loop's lag, `lagMs`). The estimate is Little's law on
 *   the runs in flight: with `n` runs taking `d` ms on average, one finishes every `d / n` ms, so the `k`-th in the
 *   queue starts in about `k · d / n` ms.
 * - **memory**: the bytes of the waiting work (request bodies, message payloads) stay under `maxQueuedBytes`.
 * - **count**: an optional `queueSize` bounds the number waiting (unbounded unless set).
 *
 * Sources turn a refusal into their own form of "not now": HTTP 503 with `Retry-After`, a smaller JetStream pull, a
 * paused Kafka partition, a slow-consumer event for core NATS. RxJS's own `mergeMap(f, n)` would buffer the excess
 * without bound; this is where e2rx's backpressure lives.
 *
 * @module
 */

import { ConcurrencyLimit } from './concurrency-limit.js';

/** Why work was refused. */
export type Refusal = 'time' | 'memory' | 'queue';

/** A held slot (or a place in the queue). */
export interface Slot {
  /** Frees the slot of a started run (idempotent) and starts the next waiting one. */
  release(): void;
  /** Leaves the queue if still waiting (the client went away); does nothing once started. */
  cancel(): void;
}

/** Work that asks the gate for a slot. */
export interface Waiter {
  /** Called once a slot is held: at once inside {@link Gate.enter}, or later when the work leaves the queue. */
  start(slot: Slot): void;
  /** Called when work that waited is refused as it leaves the queue (it could no longer finish in time). */
  shed(reason: Refusal): void;
}

/** The bounds of a gate. */
export interface GateOptions {
  readonly maxInFlight: number;
  /** Work waiting at most, by count (default: no count bound). */
  readonly queueSize?: number | undefined;
  /** Bytes of waiting work at most (default: no bound). */
  readonly maxQueuedBytes?: number | undefined;
  /** The time a piece of work has, from its arrival (default: none, no refusal by time). */
  readonly requestTimeoutMs?: number | undefined;
  /**
   * The clock, in ms (default `performance.now`; the engine gives its gates the calling thread's current reading,
   * src/runtime/clock.ts, which is the reading held by the work that enters or ends synchronously).
   */
  readonly now?: () => number;
  /**
   * How long work has already waited when it is read (ms): the event loop's lag (loop-lag.ts), counted in its age.
   * Default: none.
   */
  readonly lagMs?: () => number;
}

/** A handler's gate, as the sources consult it. */
export interface Gate {
  /** Runs holding a slot. */
  readonly inFlight: number;
  /** Work waiting for a slot. */
  readonly waiting: number;
  /** Bytes of the waiting work. */
  readonly queuedBytes: number;
  /** Slots free now, less the waiting work (for pull-based sources: how much to ask for). */
  readonly free: number;
  /** The bounds. */
  readonly options: GateOptions;
  /** The average time a run holds its slot (ms, moving average; 0 before the first). */
  readonly averageRunMs: number;
  /** How long new work would wait for a slot now (ms). */
  estimatedWaitMs(): number;
  /** Runs allowed at once now: a limit that follows the handler's latency, up to `maxInFlight` (see concurrency-limit.ts). */
  readonly limit: number;
  /** A pull-based source got all it asked for: there may be more work than free slots (lets the limit grow). */
  pressed(): void;
  /**
   * Asks for a slot for work of `bytes` bytes: starts it at once (`waiter.start` is called before `enter` returns),
   * queues it, or refuses it (returns the reason; nothing is called).
   */
  enter(bytes: number, waiter: Waiter): Slot | Refusal;
}

/** A piece of work in the gate: waiting, running, or done (one object per piece of work, no closures). */
class Entry implements Slot {
  /** When it entered the queue (only for work that waits). */
  arrived = 0;
  state: 'waiting' | 'running' | 'done' = 'waiting';
  /** When it started, for the runs whose time is measured (one in {@link SAMPLE_EVERY}); else -1. */
  started = -1;

  constructor(
    readonly gate: GateState,
    readonly bytes: number,
    readonly waiter: Waiter,
  ) {}

  release(): void {
    if (this.state !== 'running') return;
    this.state = 'done';
    this.gate.finished(this);
  }

  cancel(): void {
    if (this.state !== 'waiting') return;
    this.state = 'done';
    this.gate.left(this);
  }
}

/** What an {@link Entry} tells its gate. */
interface GateState {
  finished(entry: Entry): void;
  left(entry: Entry): void;
}

/**
 * The share of its time that admission plans work to end within. Under sustained overload the queue stays at the
 * horizon admission allows, so every accepted piece of work ends near it; planning for the whole time limit put a
 * run's usual variation, the estimate's error, and the answer's way back to the client (the socket, the network, the
 * client's own loop) past it: accepted p99 was ×1.00–1.02 of the limit in bench/http-overload.ts. The last tenth
 * is that margin, at the door and as work leaves the queue (×0.91 with it).
 */
export const PLANNED_SHARE = 0.9;

/** The weight of the newest measured run in the average. */
const AVERAGE_WEIGHT = 1 / 16;
/** One run in this many is timed (a clock read is a measurable share of a short run). */
const SAMPLE_EVERY = 4;

/**
 * Creates a gate.
 *
 * @example
 * ```ts
 * const gate = createGate({ maxInFlight: 64, maxQueuedBytes: 64 << 20, requestTimeoutMs: 60_000 });
 * const verdict = gate.enter(body.length, {
 *   start: (slot) => run(request).subscribe({ complete: () => slot.release() }),
 *   shed: () => reply503(),
 * });
 * if (typeof verdict === 'string') reply503();
 * ```
 */
export function createGate(options: GateOptions): Gate {
  const now = options.now ?? (() => performance.now());
  const queueSize = options.queueSize ?? Number.POSITIVE_INFINITY;
  const maxQueuedBytes = options.maxQueuedBytes ?? Number.POSITIVE_INFINITY;
  const timeoutMs = options.requestTimeoutMs ?? Number.POSITIVE_INFINITY;
  const plannedMs = timeoutMs * PLANNED_SHARE;
  const lagMs = timeoutMs === Number.POSITIVE_INFINITY ? undefined : options.lagMs;
  const limiter = new ConcurrencyLimit(Math.max(1, options.maxInFlight));
  let inFlight = 0;
  let queuedBytes = 0;
  let average = 0;
  let samples = 0;
  let begun = 0;
  /** The queue: `queue[head..]`; cancelled entries stay until they reach the head, or the queue is compacted. */
  let queue: Entry[] = [];
  let head = 0;
  let waiting = 0;

  const estimatedWait = (position: number): number => (position * average) / Math.max(1, Math.min(inFlight, limiter.current));

  const begin = (entry: Entry): void => {
    entry.state = 'running';
    begun += 1;
    entry.started = begun % SAMPLE_EVERY === 1 || samples === 0 ? now() : -1;
    inFlight += 1;
    entry.waiter.start(entry);
  };

  /** Starts waiting work while slots are free. Runs that end synchronously call it again from inside: a loop, not a recursion. */
  let starting = false;
  const next = (): void => {
    if (starting) return;
    starting = true;
    try {
      startWaiting();
    } finally {
      starting = false;
    }
  };
  const startWaiting = (): void => {
    while (inFlight < limiter.current && head < queue.length) {
      const entry = queue[head] as Entry;
      queue[head] = undefined as unknown as Entry;
      head += 1;
      if (head > 1024 && head * 2 > queue.length) {
        queue = queue.slice(head);
        head = 0;
      }
      if (entry.state !== 'waiting') continue;
      waiting -= 1;
      queuedBytes -= entry.bytes;
      if (now() - entry.arrived + average > plannedMs) {
        entry.state = 'done';
        entry.waiter.shed('time');
        continue;
      }
      begin(entry);
    }
  };

  const state: GateState = {
    finished(entry) {
      inFlight -= 1;
      if (entry.started >= 0) {
        const ran = now() - entry.started;
        samples += 1;
        average = samples === 1 ? ran : average + (ran - average) * AVERAGE_WEIGHT;
        limiter.measured(ran);
      }
      if (head < queue.length) next();
    },
    left(entry) {
      waiting -= 1;
      queuedBytes -= entry.bytes;
      // Cancelled work stays in the queue until it reaches the head; behind runs that do not end soon (and clients
      // that give up), drop it before it piles up: it holds its request, body and response.
      if (waiting === 0) {
        queue = [];
        head = 0;
      } else if (queue.length - head > 1024 && waiting * 2 < queue.length - head) {
        queue = queue.slice(head).filter((queued) => queued.state === 'waiting');
        head = 0;
      }
    },
  };

  return {
    options,
    get inFlight() {
      return inFlight;
    },
    get waiting() {
      return waiting;
    },
    get queuedBytes() {
      return queuedBytes;
    },
    get free() {
      return Math.max(0, limiter.current - inFlight - waiting);
    },
    get limit() {
      return limiter.current;
    },
    pressed() {
      limiter.pressed();
    },
    get averageRunMs() {
      return average;
    },
    estimatedWaitMs() {
      return waiting === 0 && inFlight < limiter.current ? 0 : estimatedWait(waiting + 1);
    },
    enter(bytes, waiter) {
      // Work read from a busy loop may have waited in the kernel for about the loop's lag already.
      const waited = lagMs === undefined ? 0 : lagMs();
      if (inFlight < limiter.current && waiting === 0) {
        // A free slot: refused only when its time is already up (a handler slower than its limit still gets runs).
        if (waited >= timeoutMs) return 'time';
        const entry = new Entry(state, bytes, waiter);
        begin(entry);
        return entry;
      }
      limiter.pressed();
      if (waiting >= queueSize) return 'queue';
      if (queuedBytes + bytes > maxQueuedBytes) return 'memory';
      if (waited + estimatedWait(waiting + 1) + average > plannedMs) return 'time';
      const entry = new Entry(state, bytes, waiter);
      entry.arrived = now() - waited;
      queue.push(entry);
      waiting += 1;
      queuedBytes += bytes;
      return entry;
    },
  };
}
