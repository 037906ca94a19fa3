/**
 * Hot reload hands broker subscriptions over (the real NATS and Kafka of `npm run services up`): an app reading a
 * Kafka topic in a consumer group, a core NATS subject in a queue group and a JetStream subject through a durable,
 * each with `respondTo`, is reloaded 4 times while messages keep arriving (some slow, so that runs are in flight at
 * each swap). Counted from the outputs: every message has its result (none lost) and none is handled twice: the old
 * consumers finish, ack and commit what they took; Kafka's new consumers join once the old ones left; the old core
 * NATS subscription is drained, and what the server still routed to it is published again to the queue group (before
 * that hand-back, this spec lost a core NATS message now and then: the at-most-once window).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReloadingEngine, type ReloadingEngine } from '../../src/engine/reload.js';
import { defaultStreamName } from '../../src/connections/jetstream-names.js';
import { functionWasm } from '../integration/support/functions.js';
import { KAFKA_BROKERS, NATS_URL, requireServices } from '../support/services.js';
import { kafkaSpecClient, type KafkaSpecClient, type ReadRecord } from '../streams/kafka-support.js';
import { decode, encode, KAFKA_DRIVERS, silent, unique, waitFor } from '../streams/support.js';

const FN = 'stream-upper';
const RELOADS = 4;

/** Totals, distinct values and duplicates among the outputs. */
function tally(values: readonly string[]): { total: number; distinct: number; duplicates: number } {
  const distinct = new Set(values).size;
  return { total: values.length, distinct, duplicates: values.length - distinct };
}

describe.each(KAFKA_DRIVERS)('reloading engine with brokers, %s Kafka driver', (driver) => {
  let kafka: KafkaSpecClient;
  let nats: NatsConnection;
  let jsm: JetStreamManager;
  let dir: string;
  let engine: ReloadingEngine | undefined;
  const topic = unique('reload');
  const names = {
    topic,
    topicOut: `${topic}-out`,
    group: unique('reload-g'),
    subject: unique('reload.core'),
    queue: unique('reload-q'),
    jsSubject: unique('reload.js'),
    durable: unique('reload_d').replace(/[^A-Za-z0-9_-]/g, '_'),
  };

  beforeAll(async () => {
    await requireServices('nats', 'kafka');
    kafka = await kafkaSpecClient();
    nats = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nats);
    await kafka.createTopic(names.topic, 2);
    await kafka.createTopic(names.topicOut, 2);
    dir = await mkdtemp(join(tmpdir(), 'e2rx-reload-streams-'));
    await writeFile(join(dir, `${FN}.wasm`), await functionWasm(FN));
    await writeFile(
      join(dir, 'Directive.yaml'),
      `identifier: com.e2rx.reload
appVersion: v1.0.0
atmoVersion: v0.4.7
runtime: { workers: 2 }
connections:
  nats: { serverAddress: env(RELOAD_NATS) }
  kafka: { brokerAddress: env(RELOAD_KAFKA), driver: ${driver}, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500 }
runnables:
  - { name: ${FN}, namespace: default, lang: assemblyscript }
handlers:
  - { type: stream, source: kafka, resource: ${names.topic}, respondTo: ${names.topicOut}, consumerGroup: ${names.group}, steps: [ { fn: ${FN} } ] }
  - { type: stream, source: nats, resource: ${names.subject}, respondTo: ${names.subject}.out, queueGroup: ${names.queue}, steps: [ { fn: ${FN} } ] }
  - type: stream
    source: nats
    resource: ${names.jsSubject}
    respondTo: ${names.jsSubject}.out
    jetstream: { durable: ${names.durable}, ackWaitMs: 10000 }
    steps: [ { fn: ${FN} } ]
`,
    );
  }, 180_000);

  afterAll(async () => {
    await engine?.stop();
    await jsm?.streams.delete(defaultStreamName(names.jsSubject)).catch(() => undefined);
    await kafka?.close();
    await nats?.drain();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`reload - ${RELOADS} swaps while Kafka, core NATS and JetStream messages arrive: none lost, none handled twice`, async () => {
    const natsOutputs: string[] = [];
    const jsOutputs: string[] = [];
    nats.subscribe(`${names.subject}.out`, { callback: (_error, msg) => void natsOutputs.push(decode(msg.data)) });
    nats.subscribe(`${names.jsSubject}.out`, { callback: (_error, msg) => void jsOutputs.push(decode(msg.data)) });
    await nats.flush();
    const kafkaRecords: ReadRecord[] = await kafka.read(names.topicOut);

    engine = createReloadingEngine({ app: dir, port: 0, host: '127.0.0.1', logger: silent, env: { RELOAD_NATS: NATS_URL, RELOAD_KAFKA: KAFKA_BROKERS.join(',') } });
    await engine.start();
    await waitFor(async () => (await kafka.describeGroup(names.group)).state === 'Stable', 30_000, 'the Kafka group to settle');

    // A producer per transport, about 100 messages a second each; one in four is slow (30 ms).
    const js = jetstream(nats);
    let sent = 0;
    let producing = true;
    const producer = (async () => {
      while (producing) {
        const index = sent;
        sent += 1;
        const body = (kind: string): string => `${index % 4 === 0 ? 'slow:30 ' : ''}${kind}-${index}`;
        await kafka.produce(names.topic, [{ key: `k${index}`, value: body('k') }]);
        nats.publish(names.subject, encode(body('n')));
        await js.publish(names.jsSubject, encode(body('j')));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const durations: number[] = [];
    for (let reload = 0; reload < RELOADS; reload += 1) {
      const outcome = await engine.reload();
      expect(outcome.type).toBe('reloaded');
      if (outcome.type === 'reloaded') durations.push(outcome.durationMs);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    producing = false;
    await producer;
    await nats.flush();

    const kafkaValues = (): string[] => kafkaRecords.map((record) => record.value);
    const counts = (): { kafka: ReturnType<typeof tally>; nats: ReturnType<typeof tally>; jetstream: ReturnType<typeof tally> } => ({ kafka: tally(kafkaValues()), nats: tally(natsOutputs), jetstream: tally(jsOutputs) });
    await waitFor(() => Object.values(counts()).every((count) => count.distinct >= sent), 60_000, `every result (${sent} sent)`).catch((error: unknown) => {
      throw new Error(`${String(error)}: ${JSON.stringify(counts())}`);
    });
    // Late results: a core NATS message still running, a JetStream redelivery.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    console.log(`reload with brokers (${driver}): ${sent} messages per transport, ${RELOADS} reloads (${durations.join(', ')} ms): ${JSON.stringify(counts())}`);
    expect(engine.generation).toBe(RELOADS + 1);
    const { kafka: kafkaCount, nats: natsCount, jetstream: jsCount } = counts();
    expect(kafkaCount).toEqual({ total: sent, distinct: sent, duplicates: 0 });
    expect(jsCount).toEqual({ total: sent, distinct: sent, duplicates: 0 });
    expect(natsCount).toEqual({ total: sent, distinct: sent, duplicates: 0 });
    const committed = await kafka.committed(names.group, names.topic);
    expect(Object.values(committed).reduce((sum, offset) => sum + Number(offset), 0)).toBe(sent);
  }, 180_000);
});
