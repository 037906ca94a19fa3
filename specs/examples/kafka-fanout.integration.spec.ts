/**
 * examples/kafka-fanout against Kafka, as its README says: every `node examples/kafka-fanout/send-order.mjs
 * '<order>'` of the README prints the quote the README shows. The app is a copy whose topics carry a prefix unique
 * to the run (`TOPIC_PREFIX`, which send-order.mjs reads too), whose identifier (the consumer group) is unique too,
 * and whose broker is the one of the local services.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { cleanupApps } from '../support/apps.js';
import { KAFKA_BROKERS, requireService } from '../support/services.js';
import { waitFor } from '../engine/support/engine.js';
import { copyExample, examplePath, readExample, runNode, shellCommands, uniqueName } from './support.js';

const README = await readExample('kafka-fanout', 'README.md');
const SCRIPT = 'examples/kafka-fanout/send-order.mjs';

describe.each(['platformatic', 'kafkajs'] as const)('examples/kafka-fanout, %s driver', (driver) => {
  const RUN = uniqueName('spec');
  const PREFIX = `${RUN}.`;
  let engine: Engine;

  beforeAll(async () => {
    await requireService('kafka');
    const app = await copyExample('kafka-fanout', {
      'Directive.yaml': (text) =>
        text
          .replace('identifier: com.e2rx.kafka-fanout', `identifier: com.e2rx.kafka-fanout-${RUN.replaceAll('_', '-')}`)
          .replace('brokerAddress: kafka://127.0.0.1:9092', `brokerAddress: env(KAFKA_BROKERS)\n    driver: ${driver}`)
          .replace(/(resource|respondTo): (orders|quotes)\b/g, `$1: ${PREFIX}$2`),
    });
    engine = createEngine({ app, port: 0, host: '127.0.0.1', env: { KAFKA_BROKERS: KAFKA_BROKERS.join(',') }, logger: pino({ level: 'silent' }) });
    await engine.start();
  });

  afterAll(async () => {
    await engine?.stop();
  });

  it('kafka-fanout README - starts the app with npx e2rx start examples/kafka-fanout, then sends two orders', async () => {
    const commands = shellCommands(README, 'Run it');
    expect(commands[0]?.line).toBe('npx e2rx start examples/kafka-fanout');
    expect(commands.slice(1).map((command) => command.words.slice(0, 2).join(' '))).toEqual([`node ${SCRIPT}`, `node ${SCRIPT}`]);
    // Healthy once its consumer joined the group.
    await waitFor(() => engine.health().healthy, 30_000, 'a healthy engine');
    expect(engine.health()).toEqual({ healthy: true, connections: { kafka: true } });
  });

  it('kafka-fanout README - every send-order.mjs prints the quote the README shows', async () => {
    for (const command of shellCommands(README, 'Run it').slice(1)) {
      const output = await runNode(examplePath('kafka-fanout', 'send-order.mjs'), command.words.slice(2), {
        KAFKA_BROKERS: KAFKA_BROKERS.join(','),
        TOPIC_PREFIX: PREFIX,
      });
      expect(output, command.line).toBe(`${command.expected.join('\n')}\n`);
    }
  }, 90_000);
});

afterAll(async () => {
  await cleanupApps();
});
