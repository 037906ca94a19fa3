/**
 * When a schedule's ticks fall: every time its `cron` expression matches (in its time zone), or every `every` period.
 *
 * @module
 */
import { cronTimes, type TickTimes } from '../directive/cron.js';
import type { Schedule } from '../directive/model.js';

export type { TickTimes } from '../directive/cron.js';

/**
 * The ticks of a period, aligned on the epoch (`k × periodMs`), so that every instance of an app agrees on them.
 *
 * @example
 * ```ts
 * periodTimes(60_000).next(Date.now()); // the start of the next minute
 * ```
 */
export function periodTimes(periodMs: number): TickTimes {
  return { next: (after) => (Math.floor(after / periodMs) + 1) * periodMs, latest: (atOrBefore) => Math.floor(atOrBefore / periodMs) * periodMs };
}

/** The tick times of a schedule: its `cron` expression when it has one, else its period. */
export function scheduleTimes(schedule: Schedule): TickTimes {
  return schedule.cron === undefined ? periodTimes(schedule.everyMs) : cronTimes(schedule.cron, schedule.timeZone);
}
