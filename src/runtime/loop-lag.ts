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
 * @example
 * ```ts
 * const gate = createGate({ maxInFlight: 64, requestTimeoutMs: 2_000, lagMs: loopLagMs });
 * ```
 */

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
 * The event loop's current lag (ms): 0 when it keeps time; about the last turn's length when it does not. Cheap
 * enough for every request (no clock read).
 */
export function loopLagMs(): number {
  read = true;
  if (timer === undefined) {
    last = performance.now();
    timer = setInterval(tick, LAG_INTERVAL_MS);
    timer.unref();
  }
  return lag;
}
