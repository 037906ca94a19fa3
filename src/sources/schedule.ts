/**
 * Schedules (docs/reference/directive.md#schedules) as an Observable of runs: the first fires at once, then one every period.
 *
 * @module
 */
import { map, timer, type Observable, type SchedulerLike } from 'rxjs';
import type { Schedule } from '../directive/model.js';
import { createRequest, type FunctionRequest } from '../runtime/request.js';

const encoder = new TextEncoder();

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
  const ticks = scheduler ? timer(0, schedule.everyMs, scheduler) : timer(0, schedule.everyMs);
  return ticks.pipe(map(() => scheduleRequest(schedule)));
}

/** The request of one schedule run. */
export function scheduleRequest(schedule: Schedule): FunctionRequest {
  const state: Record<string, Uint8Array> = {};
  for (const [key, value] of Object.entries(schedule.state)) state[key] = encoder.encode(value);
  return createRequest({ method: 'SCHED', url: schedule.name, state });
}
