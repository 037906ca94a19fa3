/**
 * Schedules (docs/reference/directive.md#schedules) through real runs: a function that counts in the in-memory cache, read back over HTTP; a slow
 * schedule never overlaps itself; a `cron` schedule (e2rx) ticks when its expression matches; `runSchedules: false`
 * turns schedules off. Tick times and the cron source in virtual time: specs/sources/tick-times.spec.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanupApps } from '../support/apps.js';
import { delay, httpRequest, specDirective, startApp, stopApps, waitFor } from '../engine/support/engine.js';
import { specFunctions } from '../engine/support/functions.js';

const COUNTING = specDirective(
  ['count', 'peek'],
  `
handlers:
  - type: request
    resource: /ticks
    method: GET
    steps:
      - fn: peek
schedules:
  - name: counter
    every:
      seconds: 1
    steps:
      - fn: count
`,
);

const SLOW = specDirective(
  ['sleep'],
  `
schedules:
  - name: slow
    every:
      seconds: 1
    state:
      ms: "2300"
    steps:
      - fn: sleep
`,
);

beforeAll(() => specFunctions(), 120_000);
afterEach(stopApps);
afterAll(cleanupApps);

const ticks = async (port: number): Promise<number> => Number((await httpRequest(port, { path: '/ticks' })).body);

describe('schedules through createEngine', () => {
  it('schedule - every: seconds: 1 runs at once, then about every second (>= 2 runs in 2.5 s)', async () => {
    const app = await startApp({ directive: COUNTING, functions: ['count', 'peek'] });
    const started = Date.now();
    await waitFor(async () => (await ticks(app.port)) >= 1, 2_000, 'the first tick');
    expect(Date.now() - started).toBeLessThan(1_500);
    await delay(Math.max(0, 2_500 - (Date.now() - started)));
    const count = await ticks(app.port);
    expect(count).toBeGreaterThanOrEqual(2);
    expect(count).toBeLessThanOrEqual(4);
    const tickLogs = app.logs.filter((line) => /^tick \d+$/.test(line.msg));
    expect(tickLogs.length).toBeGreaterThanOrEqual(2);
    expect(new Set(tickLogs.map((line) => line.request_id)).size).toBe(tickLogs.length);
    const completed = app.logs.filter((line) => line['handler'] === 'schedule counter' && line.msg === 'schedule counter completed');
    expect(completed.length).toBeGreaterThanOrEqual(2);
  }, 20_000);

  it('schedule - a run slower than the period is never overlapped: ticks are skipped and the skip is logged', async () => {
    const app = await startApp({ directive: SLOW, functions: ['sleep'] });
    await delay(3_600);
    await app.stop();
    const starts = app.logs.filter((line) => line.msg === 'sleeping 2300');
    const ends = app.logs.filter((line) => line['handler'] === 'schedule slow' && line.msg === 'schedule slow completed');
    const skips = app.logs.filter((line) => line['schedule'] === 'slow' && /skipped a tick/.test(line.msg));
    expect(starts.length).toBeGreaterThanOrEqual(1);
    expect(starts.length).toBeLessThanOrEqual(2);
    expect(skips.length).toBeGreaterThanOrEqual(1);
    // Each run starts after the previous one ended.
    const at = (line: { time?: unknown }): number => Date.parse(String(line.time));
    for (let index = 1; index < starts.length; index += 1) {
      const previousEnd = ends[index - 1];
      expect(previousEnd, 'the previous run ended').toBeDefined();
      expect(at(starts[index] as { time?: unknown })).toBeGreaterThanOrEqual(at(previousEnd as { time?: unknown }));
    }
  }, 20_000);

  it('schedule - the runs carry method SCHED, the schedule name as url, and its state', async () => {
    const directive = specDirective(['whoami'], 'schedules:\n  - name: nightly\n    every:\n      seconds: 60\n    state:\n      ms: "5"\n    steps:\n      - fn: whoami\n');
    const app = await startApp({ directive, functions: ['whoami'] });
    await waitFor(() => app.logs.some((line) => line.msg.startsWith('SCHED')), 3_000, 'a run');
    const line = app.logs.find((entry) => entry.msg.startsWith('SCHED'));
    expect(line?.msg).toBe('SCHED nightly state.ms=5');
    expect(line?.request_id).toMatch(/^[0-9a-f-]{36}$/);
  }, 20_000);

  it('schedule - cron: "* * * * * *" runs at each whole second, not at once', async () => {
    const directive = COUNTING.replace('every:\n      seconds: 1', 'cron: "* * * * * *"');
    expect(directive).toContain('cron:');
    const app = await startApp({ directive, functions: ['count', 'peek'] });
    const started = Date.now();
    await delay(2_600);
    const count = await ticks(app.port);
    // Whole seconds within 2.6 s of the start: 2 or 3, never the immediate first run of an `every` schedule (it would make 3 or 4).
    const wholeSeconds = Math.floor((started + 2_600) / 1_000) - Math.floor(started / 1_000);
    expect(count).toBeGreaterThanOrEqual(wholeSeconds - 1);
    expect(count).toBeLessThanOrEqual(wholeSeconds);
  }, 20_000);

  it('schedule - runSchedules: false registers no schedule and runs none', async () => {
    const app = await startApp({ directive: COUNTING, functions: ['count', 'peek'], engine: { runSchedules: false } });
    expect(app.engine.plan?.schedules).toEqual([]);
    await delay(1_300);
    expect(await ticks(app.port)).toBe(0);
    expect(app.logs.some((line) => /^tick/.test(line.msg))).toBe(false);
  }, 20_000);
});
