/**
 * Admission in order: the items of one queue (a websocket connection's messages) run one at a time, in order, each
 * through a shared {@link Gate}, so that they share its in-flight bound and its refusal rules with every other queue.
 * The queue's reader is never held by the gate: the queue itself bounds what it buffers (a websocket connection stops
 * reading its socket).
 *
 * @module
 */
import { Observable } from 'rxjs';
import type { Gate, Refusal, Slot } from './gate.js';

/** How an {@link OrderedQueue} ends. */
export type QueueEnd =
  /** The producer went away (a client closed its connection): what is waiting or running is of no use any more. */
  | 'closed'
  /** The consumer stops (the route stops accepting): finish the items taken, then close. */
  | 'stopping';

/** A queue of items taken one at a time, in order (a websocket connection is one). */
export interface OrderedQueue<T> {
  /** Takes the oldest item not yet taken (`undefined` when none is waiting). */
  next(): T | undefined;
  /** A taken item is over (its room in the queue's bound is free again). */
  consumed(item: T): void;
  /** Listens for new items and the end; returns the function that stops listening. */
  watch(listener: { message(): void; end(reason: QueueEnd): void }): () => void;
  /** Closes the queue (its producer is told), unless it already is. */
  close(): void;
}

/** What {@link admitInOrder} does with each item. */
export interface InOrderOptions<T> {
  /** The gate every queue of the handler shares. */
  readonly gate: Gate;
  /** What an item weighs in the gate's byte bound. */
  readonly bytes: (item: T) => number;
  /**
   * Runs an item that holds a slot; calls `done` once when it is over (possibly before returning; answer before
   * calling it). Returns the function that cancels the run, or `undefined` when it was over before returning.
   */
  readonly run: (item: T, done: () => void) => (() => void) | undefined;
  /** An item the gate refused (at the door, or as it left the queue): answer it; the next one is taken. */
  readonly refuse: (item: T, reason: Refusal) => void;
}

/**
 * Serves one queue: its items run one at a time, in order, each once it holds a slot of the gate. Completes when the
 * queue ends `closed`, or, once it ends `stopping`, when the items taken are over. Unsubscribing cancels the running
 * item (its slot is freed) or takes the waiting one out of the gate's queue, and closes the queue. Emits nothing.
 *
 * @example
 * ```ts
 * fromWebSocketRoute(http, options).pipe(
 *   mergeMap((connection) => admitInOrder(connection, { gate, bytes: (job) => job.request.body.length, run, refuse })),
 * );
 * ```
 */
export function admitInOrder<T>(queue: OrderedQueue<T>, options: InOrderOptions<T>): Observable<never> {
  const { gate, bytes, run, refuse } = options;
  return new Observable<never>((subscriber) => {
    let state: 'idle' | 'waiting' | 'running' = 'idle';
    let held: Slot | undefined;
    let current: (() => void) | undefined;
    let stopping = false;
    let pumping = false;
    let again = false;
    const refused = (item: T, reason: Refusal): void => {
      refuse(item, reason);
      state = 'idle';
      held = undefined;
      queue.consumed(item);
    };
    const pump = (): void => {
      if (pumping) {
        again = true;
        return;
      }
      pumping = true;
      try {
        do {
          again = false;
          while (state === 'idle') {
            const item = queue.next();
            if (item === undefined) {
              if (stopping) subscriber.complete();
              break;
            }
            state = 'waiting';
            const verdict = gate.enter(bytes(item), {
              start: (slot) => {
                state = 'running';
                held = slot;
                const cancel = run(item, () => {
                  slot.release();
                  state = 'idle';
                  held = undefined;
                  current = undefined;
                  queue.consumed(item);
                  pump();
                });
                if (held === slot) current = cancel;
              },
              shed: (reason) => {
                refused(item, reason);
                pump();
              },
            });
            if (typeof verdict === 'string') refused(item, verdict);
            else if (state === 'waiting') held = verdict;
          }
        } while (again);
      } finally {
        pumping = false;
      }
    };
    const unwatch = queue.watch({
      message: pump,
      end: (reason) => {
        if (reason === 'closed') subscriber.complete();
        else {
          stopping = true;
          pump();
        }
      },
    });
    pump();
    return () => {
      unwatch();
      if (state === 'running') {
        current?.();
        held?.release();
      } else if (state === 'waiting') held?.cancel();
      queue.close();
    };
  });
}
