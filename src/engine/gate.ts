/**
 * The in-flight bound of one handler: at most `maxInFlight` runs at once and `queueSize` waiting; past that, work is
 * refused at the source (HTTP 503, a paused Kafka partition, a smaller JetStream pull) instead of piling up in an
 * unbounded buffer. This is where e2rx's backpressure lives: RxJS's own `mergeMap(f, n)` would buffer the excess.
 *
 * @module
 */

/** A handler's bound, as a value the sources consult. */
export interface Gate {
  /** Runs holding a slot. */
  readonly inFlight: number;
  /** Requests waiting for a slot. */
  readonly waiting: number;
  /** Free slots right now (for pull-based sources: how many messages to ask for). */
  readonly free: number;
  /**
   * Takes a slot: resolves with its `release` when one is free (at once, or after waiting in the queue), or returns
   * `undefined` when the queue is full too (the caller refuses the work).
   */
  acquire(signal?: AbortSignal): Promise<() => void> | undefined;
}

/**
 * Creates a gate.
 *
 * @example
 * ```ts
 * const gate = createGate({ maxInFlight: 4, queueSize: 16 });
 * const slot = gate.acquire();
 * if (!slot) return reply503();
 * const release = await slot;
 * try { await run(); } finally { release(); }
 * ```
 */
export function createGate(options: { readonly maxInFlight: number; readonly queueSize: number }): Gate {
  let inFlight = 0;
  const queue: Array<{ resolve: (release: () => void) => void; cancelled: boolean }> = [];
  const makeRelease = (): (() => void) => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      inFlight -= 1;
      while (queue.length > 0) {
        const next = queue.shift();
        if (next && !next.cancelled) {
          inFlight += 1;
          next.resolve(makeRelease());
          return;
        }
      }
    };
  };
  return {
    get inFlight() {
      return inFlight;
    },
    get waiting() {
      return queue.filter((entry) => !entry.cancelled).length;
    },
    get free() {
      return Math.max(0, options.maxInFlight - inFlight);
    },
    acquire(signal) {
      if (inFlight < options.maxInFlight) {
        inFlight += 1;
        return Promise.resolve(makeRelease());
      }
      if (queue.length >= options.queueSize) return undefined;
      return new Promise((resolve, reject) => {
        const entry = { resolve, cancelled: false };
        queue.push(entry);
        signal?.addEventListener(
          'abort',
          () => {
            entry.cancelled = true;
            const index = queue.indexOf(entry);
            if (index >= 0) queue.splice(index, 1);
            // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes the AbortSignal's reason through unchanged, as platform abortable APIs do; it is whatever the aborter chose (an AbortError by default)
            reject(signal.reason);
          },
          { once: true },
        );
      });
    },
  };
}
