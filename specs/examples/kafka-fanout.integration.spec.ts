/**
 * examples/kafka-fanout against Kafka, as its README says: every `node examples/kafka-fanout/send-order.mjs
 * '<order>'` of the README prints what the README shows: the quote, or, for an order the app skips, that it got
 * none and why (at once, not after a 30 s wait). The app is a copy whose topics carry a prefix unique to the run
 * (`TOPIC_PREFIX`, which send-order.mjs reads too), whose identifier (the consumer group, `GROUP_ID` for the client)
 * is unique too, and whose broker is the one of the local services. It runs once per Kafka driver.
 */
import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { cleanupApps } from '../support/apps.js';
import { KAFKA_BROKERS, requireService } from '../support/services.js';
import { waitFor } from '../engine/support/engine.js';
import { copyExample, examplePath, readExample, ROOT, shellCommands, uniqueName } from './support.js';

const README = await readExample('kafka-fanout', 'README.md');
const SCRIPT = 'examples/kafka-fanout/send-order.mjs';

describe.each(['platformatic', 'kafkajs'] as const)('examples/kafka-fanout, %s driver', (driver) => {
  const RUN = uniqueName('spec');
  const PREFIX = `${RUN}.`;
  const GROUP = `com.e2rx.kafka-fanout-${RUN.replaceAll('_', '-')}`;

  /** Runs send-order.mjs with `args` against the copy; resolves with its exit code and its output (stdout, stderr). */
  function sendOrder(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<{ code: number; output: string; millis: number }> {
    const started = Date.now();
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [examplePath('kafka-fanout', 'send-order.mjs'), ...args],
        { cwd: ROOT, env: { ...process.env, KAFKA_BROKERS: KAFKA_BROKERS.join(','), TOPIC_PREFIX: PREFIX, GROUP_ID: GROUP, ...env }, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, output: `${stdout}${stderr}`, millis: Date.now() - started }),
      );
    });
  }

  let engine: Engine;
  /** The engine's log at info and above, one JSON object per line. */
  let log = '';

  beforeAll(async () => {
    await requireService('kafka');
    const app = await copyExample('kafka-fanout', {
      'Directive.yaml': (text) =>
        text
          .replace('identifier: com.e2rx.kafka-fanout', `identifier: ${GROUP}`)
          .replace('brokerAddress: kafka://127.0.0.1:9092', `brokerAddress: env(KAFKA_BROKERS)\n    driver: ${driver}`)
          .replace(/(resource|respondTo): (orders|quotes)\b/g, `$1: ${PREFIX}$2`),
    });
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        log += chunk.toString();
        done();
      },
    });
    engine = createEngine({ app, port: 0, host: '127.0.0.1', env: { KAFKA_BROKERS: KAFKA_BROKERS.join(',') }, logger: pino({ level: 'info' }, destination) });
    await engine.start();
  });

  afterAll(async () => {
    await engine?.stop();
  });

  it('kafka-fanout README - starts the app with npx e2rx start examples/kafka-fanout, then sends two orders', async () => {
    const commands = shellCommands(README, 'Run it');
    expect(commands[0]?.line).toBe('npx e2rx start examples/kafka-fanout');
    expect(commands.slice(1).map((command) => command.words.slice(0, 2).join(' '))).toEqual([`node ${SCRIPT}`, `node ${SCRIPT}`, `node ${SCRIPT}`]);
    // Healthy once its consumer joined the group.
    await waitFor(() => engine.health().healthy, 30_000, 'a healthy engine');
    expect(engine.health()).toEqual({ healthy: true, connections: { kafka: true } });
  });

  it('kafka-fanout - a start on topics not created yet logs no error nor warning (the driver handles that)', () => {
    const lines = log
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(lines.some((line) => line.msg.startsWith('loaded '))).toBe(true);
    expect(lines.filter((line) => line.level >= 40)).toEqual([]);
  });

  it('kafka-fanout README - every send-order.mjs prints what the README shows: a quote, or why there is none', async () => {
    for (const command of shellCommands(README, 'Run it').slice(1)) {
      const run = await sendOrder(command.words.slice(2));
      expect(run.output, command.line).toBe(`${command.expected.join('\n')}\n`);
      expect(run.code, command.line).toBe(command.expected[0]?.startsWith('quotes ') ? 0 : 1);
      // A skipped order is reported once the app's group moved past it, not after the 30 s wait.
      expect(run.millis, command.line).toBeLessThan(20_000);
    }
  }, 90_000);

  it('kafka-fanout - with no app on the topic, send-order.mjs says nothing consumes it', async () => {
    const prefix = `${PREFIX}nobody.`;
    const run = await sendOrder(['{"id":"o-9","country":"FR","amount":"100"}'], { TOPIC_PREFIX: prefix, GROUP_ID: `${GROUP}-nobody`, WAIT_MS: '2000' });
    expect(run.output).toBe(
      `no quote for o-9 within 2 s: nothing consumes ${prefix}orders in the group ${GROUP}-nobody; is the app running (npx e2rx start examples/kafka-fanout)?\n`,
    );
    expect(run.code).toBe(1);
  }, 60_000);
});

afterAll(async () => {
  await cleanupApps();
});
