/**
 * A leased cron schedule across replicas, with real processes: three `e2rx start` children serve the same app, whose
 * schedule ticks every second (`cron: "* * * * * *"`) with `lease: redis`, then `lease: nats`. Its function
 * (`tick-probe`) burns CPU for a while and then logs `tick <x-e2rx-scheduled-at>`.
 *
 * 1. One instance runs the ticks; the others wait.
 * 2. The holder is killed with SIGKILL in the middle of a run (some tens of milliseconds after a tick fell, before its
 *    function logs). Another instance takes the lease over within two intervals and runs the interrupted tick and the
 *    ones missed meanwhile.
 * 3. Over the whole run, every tick from the first to the last is logged exactly once, by one instance or another.
 *
 * `dist/` is built first when it is missing or older than `src/`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionWasm } from '../integration/support/functions.js';
import { isStaleBuild } from '../support/dist.js';
import { problems, startInstance, type Instance } from '../support/e2rx-process.js';
import { NATS_URL, REDIS_URL, requireServices } from '../support/services.js';
import { unique, waitFor } from '../streams/support.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** CPU rounds of one run of `tick-probe`: a few hundred milliseconds here, so that the kill lands mid-run. */
const ROUNDS = 80_000_000;
const TICK_MS = 1_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The ticks an instance ran (from its function's log lines), as epoch milliseconds. */
function ticksOf(instance: Instance): number[] {
  return instance.lines.flatMap((line) => (typeof line.msg === 'string' && line.msg.startsWith('tick 20') ? [Date.parse(line.msg.slice(5))] : []));
}

/** When an instance logged that it took the lease (epoch milliseconds), in order. */
function takeovers(instance: Instance): number[] {
  return instance.lines.flatMap((line) => (typeof line.msg === 'string' && line.msg.includes('holds its lease') && line.time !== undefined ? [Date.parse(line.time)] : []));
}

describe.each(['redis', 'nats'] as const)('leased schedule across three instances, lease: %s', (kind) => {
  let dir: string | undefined;
  const instances: Instance[] = [];

  beforeAll(async () => {
    await requireServices(kind);
    if (isStaleBuild(join(ROOT, 'dist', 'cli', 'main.js'))) {
      const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
      if (built.status !== 0) throw new Error(`npm run build failed:\n${built.stdout}${built.stderr}`);
    }
    dir = await mkdtemp(join(tmpdir(), 'e2rx-leased-'));
    await writeFile(join(dir, 'tick.wasm'), await functionWasm('tick-probe'));
    await writeFile(
      join(dir, 'Directive.yaml'),
      [
        `identifier: ${unique('com.e2rx.leased')}`,
        'appVersion: v1.0.0',
        'atmoVersion: v0.4.7',
        'connections:',
        kind === 'redis' ? `  redis:\n    serverAddress: ${REDIS_URL}` : `  nats:\n    serverAddress: ${NATS_URL}`,
        'schedules:',
        '  - name: every-second',
        '    cron: "* * * * * *"',
        `    lease: ${kind}`,
        '    state:',
        `      rounds: "${ROUNDS}"`,
        '    steps:',
        '      - fn: tick',
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    for (const instance of instances) instance.child.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`leased schedule (${kind}) - one instance runs each tick; when it is killed mid-run another takes over within two intervals, and no tick is lost or run twice`, async () => {
    for (const name of ['a', 'b', 'c']) instances.push(startInstance(name, dir as string));
    await waitFor(() => instances.filter((instance) => ticksOf(instance).length > 0).length > 0 && instances.some((i) => ticksOf(i).length >= 3), 20_000, `three ticks (${problems(...instances)})`);
    // One holder so far.
    expect(instances.filter((instance) => ticksOf(instance).length > 0)).toHaveLength(1);
    const holder = instances.find((instance) => ticksOf(instance).length > 0) as Instance;

    // Kill the holder 40 ms after a tick fell: its run (about 100 ms) is in progress and has not logged.
    await sleep(TICK_MS - (Date.now() % TICK_MS) + 40);
    holder.child.kill('SIGKILL');
    const killedAt = Date.now();
    await holder.exited;
    const others = instances.filter((instance) => instance !== holder);
    await waitFor(() => others.some((instance) => ticksOf(instance).length >= 3), 20_000, `ticks after the takeover (${problems(...others)})`);

    // Within two intervals of the kill, another instance held the lease.
    const takenAt = Math.min(...others.flatMap(takeovers));
    expect(takenAt - killedAt).toBeLessThanOrEqual(2 * TICK_MS);

    for (const instance of others) instance.child.kill('SIGTERM');
    expect(await Promise.all(others.map((instance) => instance.exited))).toEqual([0, 0]);

    const all = instances.flatMap(ticksOf).sort((x, y) => x - y);
    const first = all[0] as number;
    const last = all[all.length - 1] as number;
    const expected = Array.from({ length: (last - first) / TICK_MS + 1 }, (_, index) => first + index * TICK_MS);
    expect(all.map((tick) => new Date(tick).toISOString())).toEqual(expected.map((tick) => new Date(tick).toISOString()));
    // The instance that took over ran the tick whose run was interrupted.
    expect(others.flatMap(ticksOf)).toContain(Math.floor(killedAt / TICK_MS) * TICK_MS);
  });
});
