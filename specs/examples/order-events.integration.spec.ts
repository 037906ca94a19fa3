/**
 * examples/order-events against NATS and Kafka, as its README says: every `node examples/order-events/place-order.mjs
 * '<order>'` of the README prints what the README shows — the reply, then the event on orders.placed and the record on
 * orders-audit for a placed order, nothing for one whose run failed. The app is a copy whose brokers are those of
 * the local services; the client counts only what is published for its order (its id), so other runs on the same
 * subject and topic do not show up.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { cleanupApps } from '../support/apps.js';
import { KAFKA_BROKERS, NATS_URL, requireServices } from '../support/services.js';
import { copyExample, examplePath, readExample, runNode, shellCommands } from './support.js';

const README = await readExample('order-events', 'README.md');
const SCRIPT = 'examples/order-events/place-order.mjs';

let engine: Engine;
let port: number;

beforeAll(async () => {
  await requireServices('nats', 'kafka');
  const app = await copyExample('order-events', {
    'Directive.yaml': (text) =>
      text.replace('serverAddress: nats://127.0.0.1:4222', 'serverAddress: env(NATS_URL)').replace('brokerAddress: 127.0.0.1:9092', 'brokerAddress: env(KAFKA_BROKERS)'),
  });
  engine = createEngine({ app, port: 0, host: '127.0.0.1', env: { NATS_URL, KAFKA_BROKERS: KAFKA_BROKERS.join(',') }, logger: pino({ level: 'silent' }) });
  port = await engine.start();
});

afterAll(async () => {
  await engine?.stop();
  await cleanupApps();
});

describe('examples/order-events', () => {
  it('order-events README - starts the app with npx e2rx start examples/order-events, then places two orders', () => {
    const commands = shellCommands(README, 'Run it');
    expect(commands[0]?.line).toBe('npx e2rx start examples/order-events');
    expect(commands.slice(1).map((command) => command.words.slice(0, 2).join(' '))).toEqual([`node ${SCRIPT}`, `node ${SCRIPT}`]);
    // An app without stream handlers opens NATS and Kafka because its functions publish.
    expect(engine.health()).toEqual({ healthy: true, connections: { nats: true, kafka: true } });
  });

  it('order-events README - every place-order.mjs prints what the README says', async () => {
    for (const command of shellCommands(README, 'Run it').slice(1)) {
      const output = await runNode(examplePath('order-events', 'place-order.mjs'), command.words.slice(2), {
        BASE_URL: `http://127.0.0.1:${port}`,
        NATS_URL,
        KAFKA_BROKERS: KAFKA_BROKERS.join(','),
      });
      expect(output, command.line).toBe(`${command.expected.join('\n')}\n`);
    }
  }, 90_000);
});
