import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaFlowEvent } from '../../src/sources/kafka.js';
import type { FunctionRequest } from '../../src/runtime/request.js';
import { requireService } from '../support/services.js';
import { kafkaSpecClient, type KafkaSpecClient } from './kafka-support.js';
import { app as specApp, connectionsFor, decode, echoUpper, KAFKA_DRIVERS, probeRun, startHandler, unique, waitFor, type RunningHandler } from './support.js';

describe.each(KAFKA_DRIVERS)('Kafka handlers, %s driver', (driver) => {
  const app = (handlersYaml: string) => specApp(handlersYaml, connectionsFor(driver));
  let kafka: KafkaSpecClient;
  const running: RunningHandler[] = [];

  beforeAll(async () => {
    await requireService('kafka');
    kafka = await kafkaSpecClient();
  });

  afterAll(async () => {
    await Promise.allSettled(running.map((handler) => handler.stop(2_000)));
    await kafka?.close();
  });

  it('fromKafkaTopic - a record round-trips to respondTo with its key and headers', async () => {
    const topic = unique('k-in');
    const out = unique('k-out');
    await kafka.createTopic(topic, 2);
    await kafka.createTopic(out, 2);
    const probe = probeRun();
    const handler = await startHandler(
      app(`  - { type: stream, source: kafka, resource: ${topic}, respondTo: ${out}, consumerGroup: ${unique('g')}, steps: [ { fn: echo } ] }`),
      probe.run,
    );
    running.push(handler);
    await kafka.produce(topic, [{ key: 'order-7', value: 'hello', headers: { 'x-request-id': 'corr-7', traceparent: 'tp-1' } }]);
    const outputs = await kafka.read(out);
    await waitFor(() => outputs.length === 1, 20_000, 'the respondTo record');
    expect(outputs[0]).toMatchObject({ key: 'order-7', value: 'HELLO' });
    expect(outputs[0]?.headers).toMatchObject({ 'x-request-id': 'corr-7', traceparent: 'tp-1', 'x-fn': 'echo' });
    expect(probe.calls[0]).toMatchObject({ method: 'STREAM', url: topic, id: 'corr-7' });
    // Same key, same partitioner: the output lands on the input's partition number.
    const inputs = await kafka.read(topic);
    await waitFor(() => inputs.length === 1);
    expect(outputs[0]?.partition).toBe(inputs[0]?.partition);
  });

  it('fromKafkaTopic - records keep their order within a partition while partitions run in parallel', async () => {
    const topic = unique('k-order');
    await kafka.createTopic(topic, 3);
    const active = new Set<string>();
    const overlaps: string[] = [];
    const order: Record<string, number[]> = {};
    let parallel = 0;
    const probe = probeRun(async (request: FunctionRequest) => {
      const [partition = '', index = '0'] = decode(request.body).split('-');
      if (active.has(partition)) overlaps.push(partition);
      active.add(partition);
      parallel = Math.max(parallel, active.size);
      await sleep(30);
      (order[partition] ??= []).push(Number(index));
      active.delete(partition);
      return echoUpper(request);
    });
    const handler = await startHandler(
      app(`  - { type: stream, source: kafka, resource: ${topic}, consumerGroup: ${unique('g')}, limits: { maxInFlight: 3 }, steps: [ { fn: echo } ] }`),
      probe.run,
    );
    running.push(handler);
    const records = [];
    for (let index = 0; index < 6; index += 1) for (let partition = 0; partition < 3; partition += 1) records.push({ value: `p${partition}-${index}`, partition });
    await kafka.produce(topic, records);
    await waitFor(() => handler.outcomes.length === 18, 20_000, 'every record');
    expect(overlaps).toEqual([]);
    expect(order).toEqual({ p0: [0, 1, 2, 3, 4, 5], p1: [0, 1, 2, 3, 4, 5], p2: [0, 1, 2, 3, 4, 5] });
    expect(parallel).toBeGreaterThan(1);
  });

  it('fromKafkaTopic - only completed offsets are committed: after a crash the uncommitted records come back', async () => {
    const topic = unique('k-commit');
    const group = unique('g');
    await kafka.createTopic(topic, 1);
    const setup = app(`  - { type: stream, source: kafka, resource: ${topic}, consumerGroup: ${group}, steps: [ { fn: echo } ] }`);
    const first = probeRun();
    const crashing = await startHandler(setup, first.run);
    await kafka.produce(topic, [{ value: 'a' }, { value: 'slow:2000 b' }, { value: 'c' }]);
    await waitFor(() => first.calls.length === 2, 20_000, 'the slow record to start');
    await waitFor(async () => (await kafka.committed(group, topic))[0] === '1', 5_000, 'the commit of a').catch(() => undefined);
    // A crash: the run in flight is cancelled, never completed.
    crashing.stopAccepting();
    await crashing.streams.close();
    expect(await kafka.committed(group, topic)).toEqual({ 0: '1' });
    const second = probeRun();
    const restarted = await startHandler(setup, second.run);
    running.push(restarted);
    await waitFor(() => second.calls.length === 2, 20_000, 'the redelivery');
    expect(second.calls.map((request) => decode(request.body))).toEqual(['slow:2000 b', 'c']);
    await waitFor(() => restarted.outcomes.length === 2, 10_000);
  }, 60_000);

  it('fromKafkaTopic - a failed run is retried with backoff, then dead-lettered with error headers; errors never reach respondTo', async () => {
    const topic = unique('k-fail');
    const out = unique('k-out');
    const dead = unique('k-dead');
    await kafka.createTopic(topic, 1);
    await kafka.createTopic(out, 1);
    await kafka.createTopic(dead, 1);
    const probe = probeRun();
    const handler = await startHandler(
      app(
        `  - { type: stream, source: kafka, resource: ${topic}, respondTo: ${out}, deadLetter: ${dead}, consumerGroup: ${unique('g')}, retries: { max: 2, backoffMs: 50 }, steps: [ { fn: echo } ] }`,
      ),
      probe.run,
    );
    running.push(handler);
    await kafka.produce(topic, [{ key: 'k1', value: 'fail please', headers: { 'x-trace': 't1' } }, { key: 'k2', value: 'fine' }]);
    const letters = await kafka.read(dead);
    const outputs = await kafka.read(out);
    await waitFor(() => letters.length === 1 && outputs.length === 1, 20_000, 'the dead letter and the output');
    expect(probe.calls.map((request) => decode(request.body))).toEqual(['fail please', 'fail please', 'fail please', 'fine']);
    expect(outputs.map((record) => record.value)).toEqual(['FINE']);
    expect(letters[0]).toMatchObject({ key: 'k1', value: 'fail please' });
    expect(letters[0]?.headers).toMatchObject({
      'x-trace': 't1',
      'e2rx-error': 'refused fail please',
      'e2rx-error-code': 'E2RX_RUN_ERROR',
      'e2rx-run-error-code': '500',
      'e2rx-attempts': '3',
      'e2rx-source-topic': topic,
      'e2rx-source-partition': '0',
      'e2rx-source-offset': '0',
    });
    expect(handler.outcomes.map((outcome) => outcome.outcome)).toEqual(['dead-lettered', 'published']);
  });

  it('fromKafkaTopic - a partition is paused while it holds partitionBytes and resumed as it drains; runs never exceed the in-flight bound', async () => {
    // About 280 bytes per record held: a partition holding 3 records is paused, and resumed once down to 1.
    const topic = unique('k-pause');
    await kafka.createTopic(topic, 4);
    const flow: KafkaFlowEvent[] = [];
    const probe = probeRun();
    const handler = await startHandler(
      app(`  - { type: stream, source: kafka, resource: ${topic}, consumerGroup: ${unique('g')}, limits: { maxInFlight: 2 }, steps: [ { fn: echo } ] }`),
      probe.run,
      { factory: { kafkaPartitionBytes: 800, observe: { kafkaFlow: (_id, event) => flow.push(event) } } },
    );
    running.push(handler);
    const records = [];
    for (let index = 0; index < 6; index += 1) for (let partition = 0; partition < 4; partition += 1) records.push({ value: `slow:50 p${partition}-${index}`, partition });
    await kafka.produce(topic, records);
    await waitFor(() => handler.outcomes.length === 24, 30_000, 'every record');
    expect(probe.maxConcurrent).toBe(2);
    expect(new Set(probe.calls.map((request) => decode(request.body))).size).toBe(24);
    expect(flow.some((event) => event.type === 'pause')).toBe(true);
    expect(flow.some((event) => event.type === 'resume')).toBe(true);
  }, 60_000);

  it('fromKafkaTopic - stop drains: the run in flight completes and is committed; the rest is left for the next consumer', async () => {
    const topic = unique('k-drain');
    const group = unique('g');
    await kafka.createTopic(topic, 1);
    const setup = app(`  - { type: stream, source: kafka, resource: ${topic}, consumerGroup: ${group}, steps: [ { fn: echo } ] }`);
    const first = probeRun();
    const handler = await startHandler(setup, first.run);
    await kafka.produce(topic, [{ value: 'slow:800 a' }, { value: 'b' }, { value: 'c' }]);
    await waitFor(() => first.current === 1, 20_000, 'the first run');
    expect(await handler.stop(10_000)).toBe(true);
    expect(first.calls.map((request) => decode(request.body))).toEqual(['slow:800 a']);
    expect(await kafka.committed(group, topic)).toEqual({ 0: '1' });
    const second = probeRun();
    const next = await startHandler(setup, second.run);
    running.push(next);
    await waitFor(() => second.calls.length === 2, 20_000, 'the rest');
    expect(second.calls.map((request) => decode(request.body))).toEqual(['b', 'c']);
  }, 60_000);

  it('fromKafkaTopic - a second instance joining the group takes partitions over; the rebalance loses nothing', async () => {
    const topic = unique('k-scale');
    const group = unique('g');
    await kafka.createTopic(topic, 4);
    const setup = app(`  - { type: stream, source: kafka, resource: ${topic}, consumerGroup: ${group}, limits: { maxInFlight: 4 }, steps: [ { fn: echo } ] }`);
    const first = probeRun();
    const second = probeRun();
    const a = await startHandler(setup, first.run);
    running.push(a);
    const batch = (from: number, count: number) =>
      Array.from({ length: count }, (_, index) => ({ key: `key-${from + index}`, value: `slow:100 m${from + index}` }));
    await kafka.produce(topic, batch(0, 40));
    await waitFor(() => first.calls.length >= 8, 20_000, 'the first instance to start');
    let assigned = 0;
    const b = await startHandler(setup, second.run, {
      factory: { observe: { kafkaFlow: (_id, event) => void (event.type === 'assigned' && (assigned = event.partitions.length)) } },
    });
    running.push(b);
    await waitFor(() => assigned > 0, 30_000, 'the second instance to get partitions');
    await kafka.produce(topic, batch(40, 40));
    const seen = () => new Set([...first.calls, ...second.calls].map((request) => decode(request.body)));
    await waitFor(() => seen().size === 80, 40_000, 'every record');
    expect(second.calls.length).toBeGreaterThan(0);
    await a.stop(10_000);
    await b.stop(10_000);
    const committed = await kafka.committed(group, topic);
    const total = Object.values(committed).reduce((sum, offset) => sum + Number(offset), 0);
    expect(total).toBe(80);
  }, 90_000);

  it('createStreamConnections - two Kafka handlers of one app share their consumer group, each reading its topic', async () => {
    const one = unique('k-one');
    const two = unique('k-two');
    await kafka.createTopic(one, 2);
    await kafka.createTopic(two, 2);
    const group = unique('g');
    const setup = app(
      `  - { type: stream, source: kafka, resource: ${one}, consumerGroup: ${group}, steps: [ { fn: echo } ] }
  - { type: stream, source: kafka, resource: ${two}, consumerGroup: ${group}, steps: [ { fn: echo } ] }`,
    );
    const probeOne = probeRun();
    const probeTwo = probeRun();
    const first = await startHandler(setup, probeOne.run, { index: 0 });
    const second = await startHandler(setup, probeTwo.run, { index: 1, streams: first.streams });
    running.push(first);
    await kafka.produce(one, [{ value: 'one-a', partition: 0 }, { value: 'one-b', partition: 1 }]);
    await kafka.produce(two, [{ value: 'two-a', partition: 0 }, { value: 'two-b', partition: 1 }]);
    await waitFor(() => probeOne.calls.length === 2 && probeTwo.calls.length === 2, 20_000, 'both topics');
    expect(probeOne.calls.map((request) => decode(request.body)).sort()).toEqual(['one-a', 'one-b']);
    expect(probeTwo.calls.map((request) => decode(request.body)).sort()).toEqual(['two-a', 'two-b']);
    second.stopAccepting();
  }, 60_000);
});
