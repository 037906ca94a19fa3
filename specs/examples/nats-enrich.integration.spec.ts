/**
 * examples/nats-enrich against NATS, as its README says: every `node examples/nats-enrich/send-order.mjs '<order>'`
 * of the README prints what the README says. The app is a copy whose subjects carry a prefix unique to the run
 * (`SUBJECT_PREFIX`, which send-order.mjs reads too) and whose address is the one of the local services.
 */
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { cleanupApps } from '../support/apps.js';
import { NATS_URL, requireService } from '../support/services.js';
import { waitFor } from '../engine/support/engine.js';
import { copyExample, examplePath, readExample, runNode, shellCommands, uniqueName } from './support.js';

const README = await readExample('nats-enrich', 'README.md');
const PREFIX = `${uniqueName('spec')}.`;
const SCRIPT = 'examples/nats-enrich/send-order.mjs';

let engine: Engine;
let client: NatsConnection;

beforeAll(async () => {
  await requireService('nats');
  const app = await copyExample('nats-enrich', {
    'Directive.yaml': (text) =>
      text
        .replace('serverAddress: nats://127.0.0.1:4222', 'serverAddress: env(NATS_URL)')
        .replace(/(resource|respondTo|deadLetter): orders\./g, `$1: ${PREFIX}orders.`),
  });
  engine = createEngine({ app, port: 0, host: '127.0.0.1', env: { NATS_URL }, logger: pino({ level: 'silent' }) });
  await engine.start();
  client = await connect({ servers: NATS_URL });
});

afterAll(async () => {
  await engine?.stop();
  await client?.drain();
  await cleanupApps();
});

describe('examples/nats-enrich', () => {
  it('nats-enrich README - starts the app with npx e2rx start examples/nats-enrich, then sends three orders', () => {
    const commands = shellCommands(README, 'Run it');
    expect(commands[0]?.line).toBe('npx e2rx start examples/nats-enrich');
    expect(commands.slice(1).map((command) => command.words.slice(0, 2).join(' '))).toEqual([`node ${SCRIPT}`, `node ${SCRIPT}`, `node ${SCRIPT}`]);
    expect(engine.health()).toEqual({ healthy: true, connections: { nats: true } });
  });

  it('nats-enrich README - every send-order.mjs prints what the README says', async () => {
    for (const command of shellCommands(README, 'Run it').slice(1)) {
      const output = await runNode(examplePath('nats-enrich', 'send-order.mjs'), command.words.slice(2), { NATS_URL, SUBJECT_PREFIX: PREFIX });
      expect(output, command.line).toBe(`${command.expected.join('\n')}\n`);
    }
  }, 60_000);

  it('nats-enrich - the enriched order carries Content-Type, the rejected one the error headers', async () => {
    const received: Msg[] = [];
    client.subscribe(`${PREFIX}orders.>`, { callback: (_error, msg) => void received.push(msg) });
    await client.flush();
    client.publish(`${PREFIX}orders.new`, '{"id":"o-9","customer":"grace"}');
    client.publish(`${PREFIX}orders.new`, '{"id":"o-10"}');
    await waitFor(() => received.filter((msg) => !msg.subject.endsWith('orders.new')).length === 2, 10_000, 'two results');
    const enriched = received.find((msg) => msg.subject === `${PREFIX}orders.enriched`);
    expect(enriched?.string()).toBe('{"customer":"grace","id":"o-9","tier":"silver"}');
    expect(enriched?.headers?.get('Content-Type')).toBe('application/json');
    const rejected = received.find((msg) => msg.subject === `${PREFIX}orders.rejected`);
    expect(rejected?.string()).toBe('{"id":"o-10"}');
    expect(rejected?.headers?.get('e2rx-error')).toBe('an order needs a customer');
    expect(rejected?.headers?.get('e2rx-run-error-code')).toBe('400');
    expect(rejected?.headers?.get('e2rx-source-subject')).toBe(`${PREFIX}orders.new`);
  });
});
