/**
 * Schedule rules (docs/reference/directive.md#schedules).
 *
 * @module
 */
import { cronProblem } from '../cron.js';
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
    const hasEvery = Boolean(every.seconds || every.minutes || every.hours || every.days);
    if (schedule.cron !== undefined) {
      if (schedule.every !== undefined) {
        report([...path, 'every'], `schedule ${schedule.name} has both 'every' and 'cron': keep one of them`, 'error', 'key');
      }
      const problem = cronProblem(schedule.cron.trim(), schedule.timeZone);
      if (problem) report([...path, problem.key], `schedule ${schedule.name}: ${problem.message}`);
    } else {
      if (!hasEvery) report([...path, 'every'], `schedule ${schedule.name} has no 'every' values`);
      if (schedule.timeZone !== undefined) {
        report([...path, 'timeZone'], `schedule ${schedule.name} has a 'timeZone' but no 'cron': a time zone applies to a cron expression only`, 'error', 'key');
      }
    }
    if (schedule.lease !== undefined) {
      const connection = schedule.lease === 'redis' ? directive.connections?.redis : directive.connections?.nats;
      if (connection === undefined) {
        const needed = schedule.lease === 'redis' ? 'connections.redis' : 'connections.nats';
        report([...path, 'lease'], `schedule ${schedule.name} holds its lease in ${schedule.lease}, but the Directive has no ${needed}: add it, or remove 'lease' to run the schedule on every instance`);
      }
    }
  });
};
