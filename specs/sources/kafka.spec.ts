import { describe, expect, it } from 'vitest';
import { createGate } from '../../src/flow/gate.js';
import { E2rxError } from '../../src/errors.js';
import type { KafkaJob } from '../../src/messages/kafka-job.js';
import { fromKafkaTopic } from '../../src/sources/kafka.js';
import { createInFlight } from '../../src/flow/in-flight.js';
import { FakeKafkaDriver, record, type FakeConsumer } from '../streams/fake-kafka.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const text = (job: KafkaJob | undefined): string => new TextDecoder().decode(job?.record.value ?? new Uint8Array());

function setup(options: { maxInFlight?: number; partitionBytes?: number; maxHeldBytes?: number; commitIntervalMs?: number } = {}) {
  const driver = new FakeKafkaDriver();
  const gate = createGate({ maxInFlight: options.maxInFlight ?? 8, queueSize: 0 });
  const inFlight = createInFlight();
  const jobs: KafkaJob[] = [];
  const errors: unknown[] = [];
  const subscription = fromKafkaTopic(driver, 'orders', {
    groupId: 'shop',
    gate,
    inFlight,
    ...(options.partitionBytes !== undefined ? { partitionBytes: options.partitionBytes } : {}),
    ...(options.maxHeldBytes !== undefined ? { maxHeldBytes: options.maxHeldBytes } : {}),
    commitIntervalMs: options.commitIntervalMs ?? 0,
  }).subscribe({ next: (job) => jobs.push(job), error: (error: unknown) => errors.push(error) });
  const consumer = driver.consumers[0] as FakeConsumer;
  return { driver, gate, inFlight, jobs, errors, subscription, consumer };
}

describe('fromKafkaTopic', () => {
  it('fromKafkaTopic - starts a consumer of the topic in the group, from the beginning by default', () => {
    const { consumer } = setup();
    expect(consumer.options).toEqual({ groupId: 'shop', topics: ['orders'], fromBeginning: true });
  });

  it('fromKafkaTopic - emits the records of a partition one at a time, in order', async () => {
    const { consumer, jobs } = setup();
    consumer.listener?.onAssigned([{ topic: 'orders', partition: 0 }]);
    consumer.deliver(record('orders', 0, 0, 'a'), record('orders', 0, 1, 'b'), record('orders', 0, 2, 'c'));
    await tick();
    expect(jobs.map(text)).toEqual(['a']);
    jobs[0]?.complete();
    await tick();
    expect(jobs.map(text)).toEqual(['a', 'b']);
    jobs[1]?.complete();
    await tick();
    jobs[2]?.complete();
    await tick();
    expect(jobs.map(text)).toEqual(['a', 'b', 'c']);
    expect(consumer.committed('orders', 0)).toBe('3');
  });

  it('fromKafkaTopic - partitions run in parallel, each committed on its own', async () => {
    const { consumer, jobs } = setup();
    consumer.listener?.onAssigned([{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 1 }]);
    consumer.deliver(record('orders', 0, 10, 'p0'), record('orders', 1, 20, 'p1'));
    await tick();
    expect(jobs.map(text)).toEqual(['p0', 'p1']);
    jobs[1]?.complete();
    await tick();
    expect(consumer.committed('orders', 1)).toBe('21');
    expect(consumer.committed('orders', 0)).toBeUndefined();
  });

  it('fromKafkaTopic - requests carry method STREAM, the topic as url, the headers lower-cased and the correlation id', async () => {
    const { consumer, jobs } = setup();
    consumer.deliver(record('orders', 0, 0, 'x', { headers: [['X-Request-Id', new TextEncoder().encode('c-1')]] }));
    await tick();
    expect(jobs[0]?.request).toMatchObject({ method: 'STREAM', url: 'orders', id: 'c-1', headers: { 'x-request-id': 'c-1' } });
  });

  it('fromKafkaTopic - at the in-flight bound a partition waits for a slot, unpaused: what was fetched runs when a slot frees', async () => {
    const { consumer, jobs, gate } = setup({ maxInFlight: 1 });
    consumer.listener?.onAssigned([{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 1 }]);
    consumer.deliver(record('orders', 0, 0, 'a'), record('orders', 1, 0, 'b'), record('orders', 1, 1, 'c'));
    await tick();
    expect(jobs.map(text)).toEqual(['a']);
    expect(gate.free).toBe(0);
    expect(consumer.paused.size).toBe(0);
    jobs[0]?.complete();
    await tick();
    expect(jobs.map(text)).toEqual(['a', 'b']);
    jobs[1]?.complete();
    await tick();
    expect(jobs.map(text)).toEqual(['a', 'b', 'c']);
  });

  it('fromKafkaTopic - a partition holding partitionBytes is paused after the fetch is taken whole, and resumed at half', async () => {
    // Each record holds 256 + 1 bytes: the third reaches the bound of 700.
    const { consumer, jobs } = setup({ partitionBytes: 700 });
    consumer.deliver(record('orders', 0, 0, 'a'), record('orders', 0, 1, 'b'), record('orders', 0, 2, 'c'), record('orders', 0, 3, 'd'));
    await tick();
    expect(consumer.paused.has('orders:0')).toBe(true);
    expect(consumer.calls).toEqual(['pause orders:0']);
    // Nothing handed over is dropped: every record runs, in order.
    for (const expected of ['a', 'b', 'c']) {
      expect(text(jobs.at(-1))).toBe(expected);
      jobs.at(-1)?.complete();
      await tick();
    }
    expect(consumer.paused.has('orders:0')).toBe(false);
    expect(jobs.map(text)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('fromKafkaTopic - the bytes of all partitions over maxHeldBytes pause every partition', async () => {
    const { consumer, jobs } = setup({ maxHeldBytes: 1_000 });
    consumer.listener?.onAssigned([{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 1 }]);
    consumer.deliver(record('orders', 0, 0, 'a'), record('orders', 0, 1, 'b'), record('orders', 1, 0, 'c'), record('orders', 1, 1, 'd'));
    await tick();
    expect(consumer.paused).toEqual(new Set(['orders:0', 'orders:1']));
    for (const job of [...jobs]) job.complete();
    await tick();
    for (const job of [...jobs]) job.complete();
    await tick();
    expect(consumer.paused.size).toBe(0);
  });

  it('fromKafkaTopic - proceed() starts the next record of the partition; offsets are committed only as they complete, contiguously', async () => {
    const { consumer, jobs, gate } = setup();
    consumer.deliver(record('orders', 0, 0, 'a'), record('orders', 0, 1, 'b'), record('orders', 0, 2, 'c'));
    await tick();
    jobs[0]?.proceed();
    expect(gate.inFlight).toBe(1);
    jobs[1]?.proceed();
    expect(jobs.map(text)).toEqual(['a', 'b', 'c']);
    jobs[1]?.complete();
    await tick();
    expect(consumer.commits).toEqual([]);
    jobs[0]?.complete();
    await tick();
    expect(consumer.committed('orders', 0)).toBe('2');
  });

  it('fromKafkaTopic - after a rebalance, completions of the old assignment are not committed and the next records wait for them', async () => {
    const { consumer, jobs } = setup();
    consumer.listener?.onAssigned([{ topic: 'orders', partition: 0 }]);
    consumer.deliver(record('orders', 0, 0, 'a'), record('orders', 0, 1, 'b'));
    await tick();
    expect(jobs.map(text)).toEqual(['a']);
    consumer.listener?.onRevoked();
    consumer.listener?.onAssigned([{ topic: 'orders', partition: 0 }]);
    expect(jobs[0]?.current).toBe(false);
    // Fetching restarts from the committed offset: both come again.
    consumer.deliver(record('orders', 0, 0, 'a'), record('orders', 0, 1, 'b'));
    await tick();
    expect(jobs.map(text)).toEqual(['a']);
    jobs[0]?.complete();
    await tick();
    expect(consumer.commits).toEqual([]);
    expect(jobs.map(text)).toEqual(['a', 'a']);
    jobs[1]?.complete();
    await tick();
    expect(consumer.committed('orders', 0)).toBe('1');
  });

  it('fromKafkaTopic - an abandoned record is never committed and holds its partition until it is reassigned', async () => {
    const { consumer, jobs } = setup();
    consumer.deliver(record('orders', 0, 0, 'a'), record('orders', 0, 1, 'b'));
    await tick();
    jobs[0]?.abandon();
    await tick();
    expect(jobs).toHaveLength(1);
    expect(consumer.commits).toEqual([]);
  });

  it('fromKafkaTopic - a record seen twice in one assignment is ignored', async () => {
    const { consumer, jobs } = setup();
    consumer.deliver(record('orders', 0, 0, 'a'), record('orders', 0, 0, 'a'));
    await tick();
    jobs[0]?.complete();
    await tick();
    expect(jobs).toHaveLength(1);
  });

  it('fromKafkaTopic - unsubscribing pauses, lets the jobs out finish, commits them and stops the consumer', async () => {
    const { consumer, jobs, subscription, inFlight } = setup();
    consumer.listener?.onAssigned([{ topic: 'orders', partition: 0 }]);
    consumer.deliver(record('orders', 0, 5, 'a'), record('orders', 0, 6, 'b'));
    await tick();
    subscription.unsubscribe();
    expect(consumer.paused.has('orders:0')).toBe(true);
    expect(consumer.stopped).toBe(false);
    const drained = inFlight.drain(1_000);
    await tick();
    expect(consumer.stopped).toBe(false);
    jobs[0]?.complete();
    expect(await drained).toBe(true);
    expect(consumer.committed('orders', 0)).toBe('6');
    expect(consumer.stopped).toBe(true);
    expect(jobs).toHaveLength(1);
  });

  it('fromKafkaTopic - a failed commit is retried with the next one', async () => {
    const { consumer, jobs } = setup();
    consumer.deliver(record('orders', 0, 0, 'a'), record('orders', 0, 1, 'b'));
    await tick();
    consumer.failCommits = true;
    jobs[0]?.complete();
    await tick();
    consumer.failCommits = false;
    jobs[1]?.complete();
    await tick();
    expect(consumer.commits).toEqual([[{ topic: 'orders', partition: 0, offset: '2' }]]);
  });

  it('fromKafkaTopic - commits at most once per interval, gathering the completions in between', async () => {
    const { consumer, jobs } = setup({ commitIntervalMs: 50 });
    consumer.listener?.onAssigned([{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 1 }]);
    consumer.deliver(record('orders', 0, 0, 'a'), record('orders', 1, 0, 'b'));
    await tick();
    jobs[0]?.complete();
    await tick();
    jobs[1]?.complete();
    await tick();
    expect(consumer.commits).toEqual([[{ topic: 'orders', partition: 0, offset: '1' }]]);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(consumer.commits).toEqual([[{ topic: 'orders', partition: 0, offset: '1' }], [{ topic: 'orders', partition: 1, offset: '1' }]]);
  });

  it('fromKafkaTopic - a consumer that stops for good errors the Observable with E2RX_CONNECTION', () => {
    const { consumer, errors } = setup();
    consumer.listener?.onFatal(new Error('broker gone'));
    expect(E2rxError.is(errors[0], 'E2RX_CONNECTION')).toBe(true);
    expect((errors[0] as Error).message).toContain('broker gone');
  });
});
