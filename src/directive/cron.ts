/**
 * Cron expressions (e2rx): when they match, in a time zone, and what is wrong with one (for the Directive's rules).
 *
 * @module
 */
import { lazyModule } from '../lazy-module.js';

/** Loaded with the first cron expression: an app without one never loads it. */
const croner = lazyModule<typeof import('croner')>('croner');

/** The times of a schedule's ticks, in milliseconds since the epoch. */
export interface TickTimes {
  /** The first tick strictly after `after`, or `undefined` when there is none (a cron expression that never matches again). */
  next(after: number): number | undefined;
  /** The last tick at or before `atOrBefore`, or `undefined` when there is none. */
  latest(atOrBefore: number): number | undefined;
}

/** Cron expressions of 5 fields (minute first) or 6 (seconds first); no year field. */
const CRON_MODE = '5-or-6-parts';

/**
 * The ticks of a cron expression, read in `timeZone` (UTC when absent). Throws croner's error for an expression or time
 * zone it refuses; the Directive's validation reports those first (see {@link cronProblem}).
 *
 * @example
 * ```ts
 * cronTimes('0 30 2 * * *', 'Europe/Paris').next(Date.now()); // the next 02:30:00 in Paris, as epoch milliseconds
 * ```
 */
export function cronTimes(expression: string, timeZone?: string): TickTimes {
  const cron = new (croner().Cron)(expression, { mode: CRON_MODE, timezone: timeZone ?? 'Etc/UTC', paused: true });
  return {
    next: (after) => cron.nextRun(new Date(after))?.getTime(),
    latest: (atOrBefore) => {
      const found = cron.previousRuns(1, new Date(atOrBefore + 1))[0]?.getTime();
      return found !== undefined && found <= atOrBefore ? found : undefined;
    },
  };
}

/**
 * What is wrong with a cron expression and its time zone, in a sentence that ends with how to fix it, or `undefined`
 * when both are good.
 *
 * @example
 * ```ts
 * cronProblem('61 * * * *'); // 'cron expression "61 * * * *" is invalid: Invalid value for minute: 61. …'
 * ```
 */
export function cronProblem(expression: string, timeZone?: string): { readonly key: 'cron' | 'timeZone'; readonly message: string } | undefined {
  if (timeZone !== undefined && !isTimeZone(timeZone)) {
    return { key: 'timeZone', message: `time zone "${timeZone}" is unknown: use an IANA name such as "Europe/Paris" or "UTC"` };
  }
  try {
    const times = cronTimes(expression, timeZone);
    if (times.next(Date.now()) === undefined) return { key: 'cron', message: `cron expression "${expression}" never matches` };
    return undefined;
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replace(/^CronPattern:\s*/, '');
    return {
      key: 'cron',
      message: `cron expression "${expression}" is invalid: ${reason}. Write 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, e.g. "0 */5 * * * *"`,
    };
  }
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
