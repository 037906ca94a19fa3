/**
 * The exactly-once side of the Kafka source, with the fake driver: a partition is fenced and rewound to its committed
 * offset before it emits, records fetched before the rewind are dropped, the jobs carry the partition's
 * transactional producer, the source commits nothing itself, and a failed transaction (`job.rewind()`) starts the
 * partition over from its committed offset.
 */
import { describe, expect, it } from 'vitest';
import { createGate } from '../../src/flow/gate.js';
import { createInFlight } from '../../src/flow/in-flight.js';
import type { KafkaJob } from '../../src/messages/kafka-job.js';
import { fromKafkaTopic } from '../../src/sources/kafka.js';
import { partitionTransactionalId } from '../../src/sources/kafka-exactly-once.js';
import { FakeKafkaDriver, record, type FakeConsumer } from '../streams/fake-kafka.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const text = (job: KafkaJob | undefined): string => new TextDecoder().decode(job?.record.value ?? new Uint8Array());

function setup() {
  const driver = new FakeKafkaDriver();
  const jobs: KafkaJob[] = [];
  const subscription = fromKafkaTopic(driver, 'orders', {
    groupId: 'shop',
    gate: createGate({ maxInFlight: 8, queueSize: 0 }),
    inFlight: createInFlight(),
    commitIntervalMs: 0,
    exactlyOnce: { transactionalId: (tp) => partitionTransactionalId('shop', tp) },
  }).subscribe((job) => jobs.push(job));
  return { jobs, subscription, consumer: driver.consumers[0] as FakeConsumer };
}

describe('Kafka source, exactly-once', () => {
  it('partitionTransactionalId - one id per group, topic and partition', () => {
    expect(partitionTransactionalId('shop', { topic: 'orders', partition: 3 })).toBe('e2rx.shop.orders.3');
  });

  it('fromKafkaTopic exactly-once - an assigned partition emits only once fenced and rewound, from its committed offset; the source commits nothing', async () => {
    const { consumer, jobs } = setup();
    consumer.positions.set(0, '5');
    consumer.listener?.onAssigned([{ topic: 'orders', partition: 0 }]);
    // Fetched before the rewind (perhaps from an offset the previous owner's last transaction was moving): dropped.
    consumer.deliver(record('orders', 0, 3, 'early-3'), record('orders', 0, 5, 'early-5'));
    await tick();
    expect(jobs).toEqual([]);
    const transactions = consumer.transactions.get('e2rx.shop.orders.0');
    expect(transactions?.fences).toBe(1);
    expect(consumer.rewinds).toEqual([[{ topic: 'orders', partition: 0 }]]);
    // After the rewind: what lies below the committed offset is dropped.
    consumer.deliver(record('orders', 0, 4, 'stale-4'), record('orders', 0, 5, 'r5'), record('orders', 0, 6, 'r6'));
    await tick();
    expect(jobs.map(text)).toEqual(['r5']);
    expect(jobs[0]?.transactions).toBe(transactions);
    jobs[0]?.complete();
    await tick();
    jobs[1]?.complete();
    await tick();
    expect(jobs.map(text)).toEqual(['r5', 'r6']);
    expect(consumer.commits).toEqual([]);
  });

  it('job.rewind - a failed transaction drops what the partition holds, its jobs stop being current, and it starts again from the committed offset', async () => {
    const { consumer, jobs } = setup();
    consumer.positions.set(0, '0');
    consumer.listener?.onAssigned([{ topic: 'orders', partition: 0 }]);
    await tick();
    consumer.deliver(record('orders', 0, 0, 'r0'), record('orders', 0, 1, 'r1'));
    await tick();
    const first = jobs[0] as KafkaJob;
    expect(first.current).toBe(true);
    first.rewind();
    first.rewind(); // once per epoch
    expect(first.current).toBe(false);
    first.abandon();
    await tick();
    expect(consumer.transactions.get('e2rx.shop.orders.0')?.fences).toBe(2);
    expect(consumer.rewinds).toHaveLength(2);
    // r1 was held and dropped: it comes again with r0, from the committed offset.
    consumer.deliver(record('orders', 0, 0, 'r0'), record('orders', 0, 1, 'r1'));
    await tick();
    expect(jobs.map(text)).toEqual(['r0', 'r0']);
    expect(jobs[1]?.current).toBe(true);
  });
});
