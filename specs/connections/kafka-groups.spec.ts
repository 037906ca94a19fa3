import { describe, expect, it } from 'vitest';
import { shareConsumerGroups } from '../../src/connections/kafka-groups.js';
import type { KafkaConsumerListener, KafkaRecord, TopicPartition } from '../../src/connections/kafka-driver.js';
import { FakeKafkaDriver, record, type FakeConsumer } from '../streams/fake-kafka.js';

function listener() {
  const seen = { records: [] as KafkaRecord[], assigned: [] as TopicPartition[][], revoked: 0 };
  const events: KafkaConsumerListener = {
    onRecord: (one) => void seen.records.push(one),
    onAssigned: (partitions) => void seen.assigned.push([...partitions]),
    onRevoked: () => void (seen.revoked += 1),
    onFatal: () => undefined,
  };
  return { seen, events };
}

describe('shareConsumerGroups', () => {
  it('shareConsumerGroups - handlers of one group share one real consumer of all their topics', async () => {
    const base = new FakeKafkaDriver();
    const driver = shareConsumerGroups(base, new Map([['shop', ['orders', 'refunds']]]));
    const orders = driver.consumer({ groupId: 'shop', topics: ['orders'], fromBeginning: true });
    const refunds = driver.consumer({ groupId: 'shop', topics: ['refunds'], fromBeginning: true });
    expect(base.consumers).toHaveLength(1);
    expect(base.consumers[0]?.options.topics).toEqual(['orders', 'refunds']);
    const a = listener();
    const b = listener();
    await orders.start(a.events);
    await refunds.start(b.events);
    const real = base.consumers[0] as FakeConsumer;
    real.listener?.onAssigned([
      { topic: 'orders', partition: 0 },
      { topic: 'refunds', partition: 0 },
    ]);
    expect(a.seen.assigned.at(-1)).toEqual([{ topic: 'orders', partition: 0 }]);
    expect(b.seen.assigned.at(-1)).toEqual([{ topic: 'refunds', partition: 0 }]);
    real.deliver(record('orders', 0, 0, 'o'), record('refunds', 0, 0, 'r'));
    expect(a.seen.records.map((one) => one.topic)).toEqual(['orders']);
    expect(b.seen.records.map((one) => one.topic)).toEqual(['refunds']);
    await orders.commit([{ topic: 'orders', partition: 0, offset: '1' }, { topic: 'refunds', partition: 0, offset: '9' }]);
    expect(real.commits).toEqual([[{ topic: 'orders', partition: 0, offset: '1' }]]);
    real.listener?.onRevoked();
    expect([a.seen.revoked, b.seen.revoked]).toEqual([1, 1]);
  });

  it('shareConsumerGroups - partitions of a topic whose handler is not started are paused, and their records kept for it', async () => {
    const base = new FakeKafkaDriver();
    const driver = shareConsumerGroups(base, new Map([['shop', ['orders', 'refunds']]]));
    const orders = driver.consumer({ groupId: 'shop', topics: ['orders'], fromBeginning: true });
    const refunds = driver.consumer({ groupId: 'shop', topics: ['refunds'], fromBeginning: true });
    const a = listener();
    await orders.start(a.events);
    const real = base.consumers[0] as FakeConsumer;
    real.listener?.onAssigned([
      { topic: 'orders', partition: 0 },
      { topic: 'refunds', partition: 0 },
    ]);
    expect(real.paused).toEqual(new Set(['refunds:0']));
    real.deliver(record('refunds', 0, 0, 'early'));
    const b = listener();
    await refunds.start(b.events);
    expect(b.seen.assigned).toEqual([[{ topic: 'refunds', partition: 0 }]]);
    expect(b.seen.records.map((one) => one.offset)).toEqual(['0']);
    expect(real.paused.size).toBe(0);
  });

  it('shareConsumerGroups - a pause asked by a handler outlives the group resuming, and the real consumer stops with the last handler', async () => {
    const base = new FakeKafkaDriver();
    const driver = shareConsumerGroups(base, new Map([['shop', ['orders', 'refunds']]]));
    const orders = driver.consumer({ groupId: 'shop', topics: ['orders'], fromBeginning: true });
    const refunds = driver.consumer({ groupId: 'shop', topics: ['refunds'], fromBeginning: true });
    await orders.start(listener().events);
    await refunds.start(listener().events);
    const real = base.consumers[0] as FakeConsumer;
    real.listener?.onAssigned([{ topic: 'orders', partition: 0 }]);
    orders.pause([{ topic: 'orders', partition: 0 }]);
    expect(real.paused.has('orders:0')).toBe(true);
    orders.resume([{ topic: 'orders', partition: 0 }]);
    expect(real.paused.has('orders:0')).toBe(false);
    await orders.stop();
    expect(real.paused.has('orders:0')).toBe(true);
    expect(real.stopped).toBe(false);
    await refunds.stop();
    expect(real.stopped).toBe(true);
  });

  it('shareConsumerGroups - a group with one topic, or another group, gets its own consumer', () => {
    const base = new FakeKafkaDriver();
    const driver = shareConsumerGroups(base, new Map([['solo', ['orders']]]));
    driver.consumer({ groupId: 'solo', topics: ['orders'], fromBeginning: true });
    driver.consumer({ groupId: 'other', topics: ['orders'], fromBeginning: false });
    expect(base.consumers.map((consumer) => consumer.options.groupId)).toEqual(['solo', 'other']);
  });
});
