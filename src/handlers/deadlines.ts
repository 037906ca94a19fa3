/**
 * Request time limits without a timer per request: every run of a handler has the same time limit, so their
 * deadlines come in about the order the runs start (a run whose limit counts from its arrival, after a wait, may come
 * a little earlier: it is put in its place), and one timer set for the earliest live deadline serves them all.
 * Runs that end early leave the queue in constant time (the queue is compacted when ended runs pile up behind a
 * long one). Given an RxJS scheduler, the timer runs on it (marble tests drive it in virtual time); by default it is a
 * Node.js timer that does not keep the process alive.
 *
 * @module
 */
import type { SchedulerLike } from 'rxjs';

/** A tracked deadline. */
export interface DeadlineHandle {
  /** The run ended before its deadline: forget it. */
  clear(): void;
}

/** The deadlines of one handler's runs. */
export interface Deadlines {
  /**
   * Calls `expire` once `timeoutMs` from `from` (default now: the clock of the deadlines, `performance.now()` or the
   * scheduler's), unless cleared first. A deadline earlier than some tracked before it (work that had waited
   * longer) goes in its place in the order.
   */
  track(expire: () => void, from?: number): DeadlineHandle;
  /** Deadlines tracked and not cleared nor expired. */
  readonly size: number;
}

interface Entry extends DeadlineHandle {
  readonly at: number;
  expire: (() => void) | undefined;
}

/** The longest delay a Node.js timer can hold (2^31-1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Creates the deadlines of runs with the time limit `timeoutMs`. A limit above {@link MAX_TIMER_MS} (or infinite)
 * means none: nothing ever expires.
 *
 * @example
 * ```ts
 * const deadlines = createDeadlines(60_000);
 * const handle = deadlines.track(() => reply504());
 * // ... when the run ends first:
 * handle.clear();
 * ```
 */
export function createDeadlines(timeoutMs: number, scheduler?: SchedulerLike): Deadlines {
  const none = !(timeoutMs <= MAX_TIMER_MS);
  const now = scheduler ? () => scheduler.now() : () => performance.now();
  const schedule = (work: () => void, delay: number): { unsubscribe(): void } => {
    if (scheduler) return scheduler.schedule(work, delay);
    const timer = setTimeout(work, delay);
    timer.unref();
    return { unsubscribe: () => clearTimeout(timer) };
  };
  let queue: Entry[] = [];
  let head = 0;
  let live = 0;
  let timer: { unsubscribe(): void } | undefined;
  let armedFor = Number.POSITIVE_INFINITY;

  const dropEndedHead = (): void => {
    while (head < queue.length && (queue[head] as Entry).expire === undefined) head += 1;
    if (head === queue.length) {
      queue = [];
      head = 0;
    } else if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  };

  const compact = (): void => {
    queue = queue.slice(head).filter((entry) => entry.expire !== undefined);
    head = 0;
  };

  const arm = (): void => {
    const first = queue[head];
    if (first === undefined) return;
    if (timer !== undefined && armedFor <= first.at) return;
    timer?.unsubscribe();
    armedFor = first.at;
    timer = schedule(fire, Math.max(0, first.at - now()));
  };

  const fire = (): void => {
    timer = undefined;
    armedFor = Number.POSITIVE_INFINITY;
    const time = now();
    while (head < queue.length) {
      const entry = queue[head] as Entry;
      if (entry.expire !== undefined && entry.at > time) break;
      head += 1;
      const expire = entry.expire;
      if (expire === undefined) continue;
      entry.expire = undefined;
      live -= 1;
      expire();
    }
    dropEndedHead();
    arm();
  };

  const noop: DeadlineHandle = { clear: () => undefined };

  return {
    get size() {
      return live;
    },
    track(expire, from) {
      if (none) return noop;
      const entry: Entry = {
        at: (from ?? now()) + timeoutMs,
        expire,
        clear() {
          if (entry.expire === undefined) return;
          entry.expire = undefined;
          live -= 1;
          if (live === 0) {
            queue = [];
            head = 0;
          } else if (queue[head] === entry) dropEndedHead();
          else if (queue.length - head > 4096 && live * 4 < queue.length - head) compact();
        },
      };
      let at = queue.length;
      while (at > head && (queue[at - 1] as Entry).at > entry.at) at -= 1;
      if (at === queue.length) queue.push(entry);
      else queue.splice(at, 0, entry);
      live += 1;
      arm();
      return entry;
    },
  };
}
