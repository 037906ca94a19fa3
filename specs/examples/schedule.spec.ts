/**
 * examples/schedule, as its README says: the schedule writes a heartbeat every second, GET /heartbeat reads it
 * (`beats` grows, `run` is a fresh id each time), and with schedules off there is no heartbeat (503). And the
 * committed `.wasm` files must be what their sources build to today.
 */
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import { cleanupApps } from '../support/apps.js';
import { delay, httpRequest, waitFor } from '../engine/support/engine.js';
import { curls, examplePath, expectCommittedWasm, expectCurl, readExample, shellCommands, type CurlCall, expectCasesPass } from './support.js';

afterAll(cleanupApps);

const README = await readExample('schedule', 'README.md');
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

interface Heartbeat {
  readonly beats: number;
  readonly schedule: string;
  readonly run: string;
}

/** The README's heartbeat with its number and id made patterns; the parsed heartbeat that matched it. */
function heartbeatLike(expected: string, actual: string): Heartbeat {
  const pattern = expected
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/"beats":\d+/, '"beats":\\d+')
    .replace(new RegExp(UUID), UUID);
  expect(actual).toMatch(new RegExp(`^${pattern}$`));
  return JSON.parse(actual) as Heartbeat;
}

async function serve(runSchedules: boolean) {
  const engine = createEngine({ app: examplePath('schedule'), port: 0, host: '127.0.0.1', runSchedules, logger: pino({ level: 'silent' }) });
  return { engine, port: await engine.start() };
}

describe('examples/schedule', () => {
  it('schedule README - starts the app, and again with ATMO_RUN_SCHEDULES=false, with a curl after each', () => {
    const commands = shellCommands(README);
    expect(commands.map((command) => command.line).slice(0, 4)).toEqual([
      'npx e2rx start examples/schedule',
      'curl -i http://localhost:8080/heartbeat',
      'ATMO_RUN_SCHEDULES=false npx e2rx start examples/schedule',
      'curl -i http://localhost:8080/heartbeat',
    ]);
  });

  it('schedule README - GET /heartbeat answers the heartbeat of the last run; beats grows by one a second', async () => {
    const [curl] = curls(shellCommands(README, 'Run it'));
    if (curl === undefined) throw new Error('no curl under "Run it"');
    const { engine, port } = await serve(true);
    try {
      const seen: Heartbeat[] = [];
      const check: CurlCall = curl;
      // The first run happens at start-up; give it time to write the heartbeat on a busy machine.
      await waitFor(async () => (await httpRequest(port, { path: '/heartbeat' })).status === 200, 10_000, 'the first heartbeat');
      for (let round = 0; round < 3; round += 1) {
        await expectCurl(port, check, { body: (actual, expected) => void seen.push(heartbeatLike(expected, actual)) });
        await delay(1_100);
      }
      expect(seen.map((beat) => beat.schedule)).toEqual(['heartbeat', 'heartbeat', 'heartbeat']);
      expect(seen[0]?.beats).toBeGreaterThanOrEqual(1);
      expect(seen[2]?.beats).toBeGreaterThan(seen[0]?.beats ?? Infinity);
      expect(new Set(seen.map((beat) => beat.run)).size).toBe(3);
    } finally {
      await engine.stop();
    }
  });

  it('schedule README - without the schedule (ATMO_RUN_SCHEDULES=false) GET /heartbeat answers 503', async () => {
    const commands = shellCommands(README, 'Without the schedule');
    expect(commands[0]?.env).toEqual({ ATMO_RUN_SCHEDULES: 'false' });
    const { engine, port } = await serve(false);
    try {
      await delay(500);
      for (const curl of curls(commands)) await expectCurl(port, curl);
    } finally {
      await engine.stop();
    }
  });

  it('schedule - e2rx test: the cases of its Directive.test.yaml pass', async () => {
    expect(await expectCasesPass('schedule')).toBeGreaterThan(0);
  });

  it('schedule - the committed .wasm files are what their sources build to (rebuild them after a change)', async () => {
    await expectCommittedWasm('schedule');
  }, 120_000);
});
