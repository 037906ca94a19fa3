/**
 * The transactional producer of each Kafka driver (`KafkaConsumer.transactional`, exactly-once; decision 0014), in
 * this process against the Kafka of `npm run services up`: a commit makes its records and its group offsets visible
 * together, and a second owner of the transactional id fences the first, whose late transaction is refused and never
 * seen by a read_committed reader.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaDriver, KafkaOutgoing } from '../../src/connections/kafka-driver.js';
import { createKafkajsDriver } from '../../src/connections/kafkajs-driver.js';
import { createPlatformaticDriver } from '../../src/connections/platformatic-driver.js';
import { E2rxError } from '../../src/errors.js';
import { KAFKA_BROKERS, requireServices } from '../support/services.js';
import { kafkaSpecClient, type KafkaSpecClient } from '../streams/kafka-support.js';
import { KAFKA_DRIVERS, unique, waitFor } from '../streams/support.js';

const logger = pino({ level: 'silent' });
const record = (topic: string, value: string): KafkaOutgoing => ({ topic, key: 'k', value, headers: [['from', 'spec']] });

describe.each(KAFKA_DRIVERS)('Kafka transactions, driver %s', (driverName) => {
  let kafka: KafkaSpecClient;
  let driver: KafkaDriver;
  const input = unique(`tx-in-${driverName}`);
  const output = unique(`tx-out-${driverName}`);
  const group = unique(`tx-group-${driverName}`);

  beforeAll(async () => {
    await requireServices('kafka');
    kafka = await kafkaSpecClient();
    await kafka.createTopic(input, 1);
    await kafka.createTopic(output, 1);
    driver = driverName === 'kafkajs' ? createKafkajsDriver([...KAFKA_BROKERS], { logger }) : createPlatformaticDriver([...KAFKA_BROKERS], { logger });
    await driver.connect();
  }, 60_000);

  afterAll(async () => {
    await driver?.close();
    await kafka?.close();
  });

  it(`transactions (${driverName}) - a commit shows its records and its offsets together; a new owner of the id fences the old one, whose transaction is refused and never read`, async () => {
    // As a Kafka handler does: the consumer is in its group, with its partition, before a transaction runs.
    const consumer = driver.consumer({ groupId: group, topics: [input], fromBeginning: true });
    let assigned = false;
    await consumer.start({
      onRecord: () => undefined,
      onAssigned: (partitions) => (assigned = partitions.length > 0),
      onRevoked: () => undefined,
      onFatal: () => undefined,
    });
    await waitFor(() => assigned, 30_000, 'the partition');
    const id = `e2rx.${group}.${input}.0`;
    const first = consumer.transactional(id);
    await first.fence();
    await first.commit([record(output, 'a'), record(output, 'b')], [{ topic: input, partition: 0, offset: '5' }]);
    const read = await kafka.read(output);
    await waitFor(() => read.length === 2, 20_000, 'the two committed records');
    expect(read.map((one) => [one.value, one.key, one.headers['from']])).toEqual([
      ['a', 'k', 'spec'],
      ['b', 'k', 'spec'],
    ]);
    expect(await kafka.committed(group, input)).toEqual({ 0: '5' });

    // A new owner of the partition fences the old producer: its next transaction is refused.
    const second = consumer.transactional(id);
    await second.fence();
    const late = await first.commit([record(output, 'zombie')], [{ topic: input, partition: 0, offset: '9' }]).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(E2rxError.is(late, 'E2RX_CONNECTION')).toBe(true);
    await second.commit([record(output, 'c')], [{ topic: input, partition: 0, offset: '6' }]);
    await waitFor(() => read.length >= 3, 20_000, 'the new owner\'s record');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(read.map((one) => one.value)).toEqual(['a', 'b', 'c']);
    expect(await kafka.committed(group, input)).toEqual({ 0: '6' });
    await Promise.all([first.close(), second.close()]);
    await consumer.stop();
  }, 90_000);
});
