/**
 * Schedule rules (docs/reference/directive.md#schedules).
 *
 * @module
 */
import type { Rule } from './context.js';
import { checkSteps } from './steps.js';

/** Names, steps and periods; steps are checked like a handler's, starting from the schedule's `state` keys. */
export const schedulesRule: Rule = (context) => {
  const { directive, report } = context;
  const names = new Set<string>();
  (directive.schedules ?? []).forEach((schedule, index) => {
    const path = ['schedules', index];
    if (!schedule.name) {
      report([...path, 'name'], `schedule at position ${index} has no name`);
      return;
    }
    if (names.has(schedule.name)) report([...path, 'name'], `schedule at position ${index} has a duplicate name ${schedule.name}`);
    names.add(schedule.name);
    if (!schedule.steps || schedule.steps.length === 0) {
      report([...path, 'steps'], `schedule ${schedule.name} missing steps`);
    } else {
      checkSteps(context, schedule.steps, [...path, 'steps'], 'schedule', schedule.name, Object.keys(schedule.state ?? {}));
    }
    const every = schedule.every ?? {};
    if (!every.seconds && !every.minutes && !every.hours && !every.days) report([...path, 'every'], `schedule ${schedule.name} has no 'every' values`);
  });
};
