/**
 * The `schedule` handler kind: a Directive schedule runs its steps every period (or at each time its `cron`
 * expression matches); a tick that comes while the previous run is still going is skipped, with a warning. A schedule
 * with a `lease` (e2rx) runs on the one instance of the app that holds its lease, and never skips a tick.
 *
 * @module
 */
import { exhaustMap, filter, finalize, takeUntil } from 'rxjs';
import type { Schedule } from '../directive/model.js';
import { leaseTtlMs } from '../connections/schedule-lease.js';
import { leasedSchedule } from '../sources/leased-schedule.js';
import { fromSchedule } from '../sources/schedule.js';
import { scheduleTimes } from '../sources/tick-times.js';
import { defineHandlerKind } from './handler-kind.js';
import type { SchedulePlan } from './plan.js';

/** The `schedule` kind: the Directive's `schedules`. */
export const scheduleKind = defineHandlerKind<SchedulePlan, Schedule>({
  name: 'schedule',
  keys: ['name', 'every', 'cron', 'timeZone', 'lease', 'state', 'steps'],
  list: 'schedules',
  accepts: () => true,
  plan: (schedule, context) => ({ kind: 'schedule', id: `schedule ${schedule.name}`, schedule, groupTimeoutMs: context.groupTimeoutMs }),
  build(plan, context) {
    const { deps } = context;
    const { steps, name } = plan.schedule;
    const run = context.run({ steps, response: undefined, groupTimeoutMs: plan.groupTimeoutMs, requestTimeoutMs: undefined });
    if (plan.schedule.lease !== undefined) {
      const store = deps.leases?.stores[plan.schedule.lease];
      if (store === undefined || deps.leases === undefined) {
        deps.logger.error({ schedule: name }, `schedule ${name} holds its lease in ${plan.schedule.lease}, which is not available`);
        return undefined;
      }
      const times = scheduleTimes(plan.schedule);
      const first = times.next(Date.now());
      const ttlMs = leaseTtlMs(first === undefined ? plan.schedule.everyMs : (times.next(first) ?? first) - first);
      return leasedSchedule({
        schedule: plan.schedule,
        times,
        lease: store.lease(name, deps.leases.owner, ttlMs),
        ttlMs,
        run,
        logger: deps.logger,
        stopAccepting: deps.stopAccepting,
        ...(deps.scheduler ? { scheduler: deps.scheduler } : {}),
      });
    }
    let running = false;
    return fromSchedule(plan.schedule, deps.scheduler).pipe(
      takeUntil(deps.stopAccepting),
      filter((request) => {
        if (running) deps.logger.warn({ schedule: name, request_id: request.id }, `schedule ${name} skipped a tick: its previous run is still going`);
        return !running;
      }),
      exhaustMap((request) => {
        running = true;
        return run(request).pipe(finalize(() => (running = false)));
      }),
    );
  },
});
