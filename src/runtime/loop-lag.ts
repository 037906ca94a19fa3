/**
 * How late the event loop runs. Work a source reads now may have waited in the kernel (a socket's buffer, the accept
 * queue) for as long as the loop's last turn took: a busy thread reads its sockets only between turns. The gates
 * count that wait as part of the work's age, so that admission by time judges work from when it really arrived, not
 * from when e2rx got round to reading it (docs/reference/admission.md).
 *
 * Measured by one timer every {@link LAG_INTERVAL_MS} (unref'd: it never keeps a process alive): how late it fired is
 * how long the turn before it took, give or take the interval. It runs only while someone reads it: it stops after
 * {@link LAG_IDLE_MS} without a reading.
 *
 * The timer sees a long turn only once it is over, and one turn can go on for seconds: libuv reads every ready
 * socket before it runs timers again (up to 48 × 1,024 events per poll), so 8,192 connections each bringing a request
 * that runs at once on the calling thread make one turn of all of them, every request accepted as if the loop kept
 * time while the last ones waited seconds in their sockets. So the lag also counts the turn in progress: how far the
 * latest clock reading on this thread (src/runtime/clock.ts; every call on the calling thread reads the clock as it
 * ends) is past the tick the timer should have made. That costs no clock read.
 *
 * @example
 * ```ts
 * const gate = createGate({ maxInFlight: 64, requestTimeoutMs: 2_000, lagMs: loopLagMs });
 * ```
 */

import { latestReading } from './clock.js';

/** How often the timer looks (ms). */
export const LAG_INTERVAL_MS = 20;
/** How long without a reading before the timer stops (ms). */
const LAG_IDLE_MS = 5_000;

let lag = 0;
let last = 0;
/** Whether anyone read the lag since the timer last looked, and for how many looks nobody has. */
let read = false;
let unread = 0;
let timer: NodeJS.Timeout | undefined;

const tick = (): void => {
  const now = performance.now();
  lag = Math.max(0, now - last - LAG_INTERVAL_MS);
  last = now;
  if (read) {
    read = false;
    unread = 0;
  } else if ((unread += 1) * LAG_INTERVAL_MS >= LAG_IDLE_MS) {
    clearInterval(timer);
    timer = undefined;
    lag = 0;
  }
};

/**
 * The event loop's current lag (ms): 0 when it keeps time; about the last turn's length when it does not, or the
 * length of the turn in progress so far when that is longer (see the module comment). Cheap enough for every request
 * (no clock read).
 */
export function loopLagMs(): number {
  read = true;
  if (timer === undefined) {
    last = performance.now();
    timer = setInterval(tick, LAG_INTERVAL_MS);
    timer.unref();
    return lag;
  }
  const running = latestReading() - last - LAG_INTERVAL_MS;
  return running > lag ? running : lag;
}
