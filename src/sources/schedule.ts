/**
 * Schedules (docs/reference/directive.md#schedules) as an Observable of runs: with `every`, the first fires at once,
 * then one every period; with a `cron` expression (e2rx), one at each time it matches.
 *
 * @module
 */
import { asyncScheduler, map, Observable, timer, type SchedulerLike, type Subscription } from 'rxjs';
import type { Schedule } from '../directive/model.js';
import { createRequest, type FunctionRequest } from '../runtime/request.js';
import { scheduleTimes, type TickTimes } from './tick-times.js';

const encoder = new TextEncoder();

/** The request header that carries a tick's time (ISO 8601, UTC) on the runs of `cron` and leased schedules. */
export const SCHEDULED_AT_HEADER = 'x-e2rx-scheduled-at';

/**
 * The ticks of a schedule as requests: method `SCHED`, url = the schedule name, a fresh id, empty body, state = the
 * schedule's `state`. The engine runs them with `exhaustMap` semantics: a tick is skipped (and logged) while the
 * previous run is still going, so a schedule never overlaps itself.
 *
 * @example
 * ```ts
 * fromSchedule(schedule).pipe(exhaustMap((request) => runSteps(schedule.steps, undefined, request, runner)));
 * ```
 */
export function fromSchedule(schedule: Schedule, scheduler?: SchedulerLike): Observable<FunctionRequest> {
  if (schedule.cron !== undefined) return tickTimes(scheduleTimes(schedule), scheduler).pipe(map((tick) => scheduleRequest(schedule, tick)));
  const ticks = scheduler ? timer(0, schedule.everyMs, scheduler) : timer(0, schedule.everyMs);
  return ticks.pipe(map(() => scheduleRequest(schedule)));
}

/**
 * The request of one schedule run; with `tick` (a `cron` or leased schedule), its time in the header
 * {@link SCHEDULED_AT_HEADER}.
 */
export function scheduleRequest(schedule: Schedule, tick?: number): FunctionRequest {
  const state: Record<string, Uint8Array> = {};
  for (const [key, value] of Object.entries(schedule.state)) state[key] = encoder.encode(value);
  return createRequest({ method: 'SCHED', url: schedule.name, state, ...(tick === undefined ? {} : { headers: { [SCHEDULED_AT_HEADER]: new Date(tick).toISOString() } }) });
}

/**
 * Emits each tick time (ms since the epoch) when it comes, on `scheduler`; completes when there is no next tick.
 *
 * @example
 * ```ts
 * tickTimes(cronTimes('0 * * * * *')).subscribe((tick) => console.log(new Date(tick).toISOString()));
 * ```
 */
export function tickTimes(times: TickTimes, scheduler: SchedulerLike = asyncScheduler): Observable<number> {
  return new Observable<number>((subscriber) => {
    let pending: Subscription | undefined;
    const arm = (after: number): void => {
      const tick = times.next(after);
      if (tick === undefined) {
        subscriber.complete();
        return;
      }
      pending = scheduler.schedule(() => {
        subscriber.next(tick);
        // From the tick itself, not the clock: a timer that fires a millisecond early must not give the same tick twice.
        arm(Math.max(tick, scheduler.now()));
      }, Math.max(0, tick - scheduler.now()));
    };
    arm(scheduler.now());
    return () => pending?.unsubscribe();
  });
}
