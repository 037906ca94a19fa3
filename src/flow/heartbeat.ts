/**
 * The working heartbeat of at-least-once work: while an item is in progress past `afterMs`, it is told it is still
 * alive every `everyMs` (JetStream's "working" ack, so that the server does not redeliver a message that runs longer
 * than its ack wait). One timer for every item in progress, armed by the first one and disarmed at the first beat
 * that finds none; it runs on the RxJS scheduler when one is given (a `TestScheduler` drives it in virtual time),
 * else on a Node.js interval that does not keep the process alive.
 *
 * @module
 */
import type { SchedulerLike } from 'rxjs';
import { every } from './later.js';

/** Options of {@link createHeartbeat}. */
export interface HeartbeatOptions<T> {
  /** An item is told it is alive once it has been in progress this long (JetStream: half the ack wait). */
  readonly afterMs: number;
  /** How often the items in progress are looked at. */
  readonly everyMs: number;
  /** Tells one item it is still in progress. */
  readonly beat: (item: T) => void;
  /** The scheduler of the timer and of the clock (a `TestScheduler` in marble tests; default: Node.js timers). */
  readonly scheduler?: SchedulerLike | undefined;
}

/** The items in progress of a {@link createHeartbeat}. */
export interface Heartbeat<T> {
  /** The item is in progress from now on. */
  add(item: T): void;
  /** The item is over (acknowledged, refused, given up): it is told nothing more. Idempotent. */
  delete(item: T): void;
  /**
   * Takes no more items (the source stopped); the ones in progress are still told until they are deleted (a run
   * that finishes during a drain is not redelivered for its ack wait), and the timer goes with the last of them.
   */
  drain(): void;
  /** Stops the timer for good: nothing is told any more. */
  stop(): void;
}

/**
 * A heartbeat for items in progress.
 *
 * @example
 * ```ts
 * const heartbeat = createHeartbeat<JsMsg>({ afterMs: ackWaitMs / 2, everyMs: ackWaitMs / 4, beat: (msg) => msg.working() });
 * heartbeat.add(msg); // … once it is acked:
 * heartbeat.delete(msg);
 * ```
 */
export function createHeartbeat<T>(options: HeartbeatOptions<T>): Heartbeat<T> {
  const { afterMs, everyMs, beat, scheduler } = options;
  const now = scheduler ? () => scheduler.now() : () => performance.now();
  const since = new Map<T, number>();
  let cancel: (() => void) | undefined;
  let stopped = false;
  const tick = (): void => {
    const due = now() - afterMs;
    for (const [item, start] of since) if (start <= due) beat(item);
    if (since.size === 0) {
      cancel?.();
      cancel = undefined;
    }
  };
  return {
    add(item) {
      if (stopped) return;
      since.set(item, now());
      cancel ??= every(scheduler, everyMs, tick);
    },
    delete(item) {
      since.delete(item);
    },
    drain() {
      stopped = true;
      if (since.size === 0) {
        cancel?.();
        cancel = undefined;
      }
    },
    stop() {
      stopped = true;
      since.clear();
      cancel?.();
      cancel = undefined;
    },
  };
}
