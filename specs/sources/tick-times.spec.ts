/**
 * When schedule ticks fall (src/sources/tick-times.ts, src/directive/cron.ts): cron expressions of 5 and 6 fields in
 * a time zone, epoch-aligned periods, and the cron source in virtual time.
 */
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { cronProblem, cronTimes } from '../../src/directive/cron.js';
import { scheduleRequest, SCHEDULED_AT_HEADER, tickTimes } from '../../src/sources/schedule.js';
import { periodTimes } from '../../src/sources/tick-times.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('cronTimes', () => {
  it('cronTimes - 6 fields: seconds first; the next tick is strictly after the time given', () => {
    const times = cronTimes('*/15 * * * * *');
    expect(iso(times.next(at('2026-12-05T10:00:00.000Z')))).toBe('2026-12-05T10:00:15.000Z');
    expect(iso(times.next(at('2026-12-05T10:00:14.999Z')))).toBe('2026-12-05T10:00:15.000Z');
    expect(iso(times.latest(at('2026-12-05T10:00:29.999Z')))).toBe('2026-12-05T10:00:15.000Z');
    expect(iso(times.latest(at('2026-12-05T10:00:30.000Z')))).toBe('2026-12-05T10:00:30.000Z');
  });

  it('cronTimes - 5 fields: minute first, read in the time zone given (UTC by default), summer time included', () => {
    expect(iso(cronTimes('30 2 * * *').next(at('2026-12-05T10:00:00Z')))).toBe('2026-12-06T02:30:00.000Z');
    // 02:30 in Paris: UTC+1 in winter, UTC+2 in summer.
    expect(iso(cronTimes('30 2 * * *', 'Europe/Paris').next(at('2026-12-05T10:00:00Z')))).toBe('2026-12-06T01:30:00.000Z');
    expect(iso(cronTimes('30 2 * * *', 'Europe/Paris').next(at('2026-07-05T10:00:00Z')))).toBe('2026-07-06T00:30:00.000Z');
  });

  it('cronProblem - names the bad field or time zone and says how to write one', () => {
    expect(cronProblem('0 */5 * * * *')).toBeUndefined();
    expect(cronProblem('0 9 * * 1-5', 'America/New_York')).toBeUndefined();
    expect(cronProblem('61 * * * *')?.key).toBe('cron');
    expect(cronProblem('61 * * * *')?.message).toMatch(/^cron expression "61 \* \* \* \*" is invalid: Invalid value for minute: 61\. Write 5 fields/);
    expect(cronProblem('* * *')?.message).toMatch(/exactly five, six, or seven space separated parts/);
    expect(cronProblem('* * * * * * *')?.key).toBe('cron');
    expect(cronProblem('0 0 30 2 *')).toEqual({ key: 'cron', message: 'cron expression "0 0 30 2 *" never matches' });
    expect(cronProblem('* * * * *', 'Mars/Olympus_Mons')?.key).toBe('timeZone');
    expect(cronProblem('* * * * *', 'Mars/Olympus_Mons')?.message).toContain('time zone "Mars/Olympus_Mons" is unknown');
  });
});

describe('periodTimes', () => {
  it('periodTimes - ticks on multiples of the period since the epoch, so that every instance agrees', () => {
    const times = periodTimes(60_000);
    expect(iso(times.next(at('2026-12-05T10:00:00.000Z')))).toBe('2026-12-05T10:01:00.000Z');
    expect(iso(times.next(at('2026-12-05T10:00:59.999Z')))).toBe('2026-12-05T10:01:00.000Z');
    expect(iso(times.latest(at('2026-12-05T10:00:59.999Z')))).toBe('2026-12-05T10:00:00.000Z');
  });
});

describe('tickTimes', () => {
  it('tickTimes - emits each tick when it falls, in virtual time', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ expectObservable }) => {
      // Virtual time starts at 0 (the epoch): a tick every 5 s from 0:00:05.
      expectObservable(tickTimes(cronTimes('*/5 * * * * *'), scheduler), '^ 12000ms !').toBe('5000ms a 4999ms b', { a: 5_000, b: 10_000 });
    });
  });

  it('tickTimes - completes when the expression matches no more', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ expectObservable }) => {
      expectObservable(tickTimes({ next: (after) => (after < 3 ? 3 : undefined), latest: () => undefined }, scheduler)).toBe('3ms (a|)', { a: 3 });
    });
  });

  it('scheduleRequest - a tick time goes in the x-e2rx-scheduled-at header (ISO 8601, UTC)', () => {
    const request = scheduleRequest({ name: 'nightly', everyMs: 0, cron: '0 0 * * *', state: { a: 'b' }, steps: [] }, at('2026-12-06T00:00:00Z'));
    expect(request.method).toBe('SCHED');
    expect(request.url).toBe('nightly');
    expect(request.headers).toEqual({ [SCHEDULED_AT_HEADER]: '2026-12-06T00:00:00.000Z' });
    expect(new TextDecoder().decode(request.state['a'])).toBe('b');
  });
});
