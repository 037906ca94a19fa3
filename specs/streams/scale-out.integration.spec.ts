import { spawn, type ChildProcess } from 'node:child_process';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultStreamName } from '../../src/sources/nats.js';
import { KAFKA_BROKERS, NATS_URL, requireServices } from '../support/services.js';
import { kafkaSpecClient, type KafkaSpecClient } from './kafka-support.js';
import { encode, unique, waitFor } from './support.js';

interface Worker {
  readonly process: ChildProcess;
  readonly done: string[];
  ready: boolean;
}

function startWorker(directive: string, slowMs: number): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', 'specs/streams/stream-worker.ts'], {
    env: { ...process.env, E2RX_WORKER_DIRECTIVE: directive, E2RX_WORKER_SLOW_MS: String(slowMs), SPEC_NATS: NATS_URL, SPEC_KAFKA: KAFKA_BROKERS.join(',') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const worker: Worker = { process: child, done: [], ready: false };
  let rest = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (line === 'ready') worker.ready = true;
      else if (line.startsWith('done ')) worker.done.push(line.slice(5));
    }
  });
  return worker;
}

describe('scale-out', () => {
  let kafka: KafkaSpecClient;
  let nats: NatsConnection;
  const workers: Worker[] = [];

  beforeAll(async () => {
    await requireServices('nats', 'kafka');
    kafka = await kafkaSpecClient();
    nats = await connect({ servers: NATS_URL });
  });

  afterAll(async () => {
    for (const worker of workers) worker.process.kill('SIGKILL');
    await kafka?.close();
    await nats?.drain();
  });

  it('createStreamConnections - two instances share Kafka partitions and a JetStream consumer; killing one (SIGKILL) loses nothing', async () => {
    const topic = unique('scale');
    const subject = unique('scale.js');
    const group = unique('g');
    await kafka.createTopic(topic, 4);
    const directive = `identifier: com.e2rx.scale
appVersion: v1.0.0
atmoVersion: v0.4.7
connections:
  nats: { serverAddress: env(SPEC_NATS) }
  kafka: { brokerAddress: env(SPEC_KAFKA) }
handlers:
  - { type: stream, source: kafka, resource: ${topic}, consumerGroup: ${group}, steps: [ { fn: echo } ] }
  - { type: stream, source: nats, resource: ${subject}, jetstream: { durable: scale, ackWaitMs: 3000 }, steps: [ { fn: echo } ] }
runnables: [ { name: echo, namespace: default } ]
`;
    const a = startWorker(directive, 40);
    const b = startWorker(directive, 40);
    workers.push(a, b);
    await waitFor(() => a.ready && b.ready, 30_000, 'both workers');
    const total = 120;
    await kafka.produce(
      topic,
      Array.from({ length: total }, (_, index) => ({ key: `k${index}`, value: `k-${index}` })),
    );
    const js = jetstream(nats);
    for (let index = 0; index < total; index += 1) await js.publish(subject, encode(`j-${index}`));
    const seen = (prefix: string) => new Set([...a.done, ...b.done].filter((line) => line.split(' ').at(-1)?.startsWith(prefix)).map((line) => line.split(' ').at(-1)));
    await waitFor(() => a.done.length > 10 && b.done.length > 10, 30_000, 'both workers to take work');
    a.process.kill('SIGKILL');
    await waitFor(() => seen('k-').size === total && seen('j-').size === total, 60_000, 'every message, after the crash');
    expect(b.done.length).toBeGreaterThan(0);
    // Let the survivor commit and ack, stop it gracefully, and check that nothing is left.
    b.process.kill('SIGTERM');
    await new Promise((resolve) => b.process.once('exit', resolve));
    const jsm = await jetstreamManager(nats);
    const info = await jsm.consumers.info(defaultStreamName(subject), 'scale');
    expect(info.num_pending + info.num_ack_pending).toBe(0);
    await jsm.streams.delete(defaultStreamName(subject));
    const committed = await kafka.committed(group, topic);
    expect(Object.values(committed).reduce((sum, offset) => sum + Number(offset), 0)).toBe(total);
  }, 120_000);
});
