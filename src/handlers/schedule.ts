/**
 * The `schedule` handler kind: a Directive schedule runs its steps every period; a tick that comes while the
 * previous run is still going is skipped, with a warning.
 *
 * @module
 */
import { exhaustMap, filter, finalize, takeUntil } from 'rxjs';
import type { Schedule } from '../directive/model.js';
import { fromSchedule } from '../sources/schedule.js';
import { defineHandlerKind } from './handler-kind.js';
import type { SchedulePlan } from './plan.js';

/** The `schedule` kind: the Directive's `schedules`. */
export const scheduleKind = defineHandlerKind<SchedulePlan, Schedule>({
  name: 'schedule',
  keys: ['name', 'every', 'state', 'steps'],
  list: 'schedules',
  accepts: () => true,
  plan: (schedule, context) => ({ kind: 'schedule', id: `schedule ${schedule.name}`, schedule, groupTimeoutMs: context.groupTimeoutMs }),
  build(plan, context) {
    const { deps } = context;
    const { steps, name } = plan.schedule;
    const run = context.run({ steps, response: undefined, groupTimeoutMs: plan.groupTimeoutMs, requestTimeoutMs: undefined });
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
