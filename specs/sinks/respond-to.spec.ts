import { lastValueFrom, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createGate } from '../../src/flow/gate.js';
import { deadLetterKafka, respondToKafka } from '../../src/sinks/respond-to.js';
import type { KafkaJob } from '../../src/messages/kafka-job.js';
import { fromKafkaTopic } from '../../src/sources/kafka.js';
import type { RunResult } from '../../src/steps/steps.js';
import { FakeKafkaDriver, record } from '../streams/fake-kafka.js';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array | string | null | undefined): string => (typeof bytes === 'string' ? bytes : bytes ? new TextDecoder().decode(bytes) : '');

async function kafkaJob(driver: FakeKafkaDriver, headers: Array<readonly [string, Uint8Array]> = []): Promise<KafkaJob> {
  const jobs: KafkaJob[] = [];
  fromKafkaTopic(driver, 'orders', { groupId: 'g', gate: createGate({ maxInFlight: 1, queueSize: 0 }) }).subscribe((job) => jobs.push(job));
  const consumer = driver.consumers.at(-1);
  if (!consumer) throw new Error('no consumer was created');
  consumer.deliver(record('orders', 3, 42, 'in', { key: encode('k-1'), headers }));
  await new Promise((resolve) => setImmediate(resolve));
  const job = jobs[0];
  if (!job) throw new Error('no job');
  return job;
}

describe('respondToKafka', () => {
  it('respondToKafka - produces a successful result with the input key, headers, function headers and correlation id', async () => {
    const driver = new FakeKafkaDriver();
    const job = await kafkaJob(driver, [['traceparent', encode('tp')]]);
    const request = { ...job.request, respHeaders: { 'content-type': 'text/plain' } };
    const result: RunResult = { kind: 'ok', body: encode('OUT'), request };
    const delivery = await lastValueFrom(of({ job, result }).pipe(respondToKafka(driver, { topic: 'orders.done' })));
    expect(delivery.publishedTo).toBe('orders.done');
    expect(driver.produced).toHaveLength(1);
    const [out] = driver.produced;
    expect(out?.topic).toBe('orders.done');
    expect(decode(out?.key as Uint8Array)).toBe('k-1');
    expect(decode(out?.value as Uint8Array)).toBe('OUT');
    expect(out?.headers?.map(([name, value]) => [name, decode(value)])).toEqual([
      ['traceparent', 'tp'],
      ['content-type', 'text/plain'],
      ['x-request-id', job.request.id],
    ]);
  });

  it('respondToKafka - an empty successful result is published; an error never is; no topic publishes nothing', async () => {
    const driver = new FakeKafkaDriver();
    const job = await kafkaJob(driver);
    const empty: RunResult = { kind: 'ok', body: new Uint8Array(), request: job.request };
    const failed: RunResult = { kind: 'runError', error: { code: 500, message: 'no' }, request: job.request };
    expect((await lastValueFrom(of({ job, result: empty }).pipe(respondToKafka(driver, { topic: 'out' })))).publishedTo).toBe('out');
    expect((await lastValueFrom(of({ job, result: failed }).pipe(respondToKafka(driver, { topic: 'out' })))).publishedTo).toBeUndefined();
    expect((await lastValueFrom(of({ job, result: empty }).pipe(respondToKafka(driver, {})))).publishedTo).toBeUndefined();
    expect(driver.produced).toHaveLength(1);
    expect(driver.produced[0]?.value).toEqual(new Uint8Array());
  });

  it('deadLetterKafka - the record as received with the error headers', async () => {
    const driver = new FakeKafkaDriver();
    const job = await kafkaJob(driver, [['x-trace', encode('t')]]);
    await deadLetterKafka(driver, 'orders.dlq', job, { message: 'boom', code: 'E2RX_RUN_ERROR', runErrorCode: 500 }, 4, 'kafka orders');
    const [letter] = driver.produced;
    expect(letter?.topic).toBe('orders.dlq');
    expect(decode(letter?.value as Uint8Array)).toBe('in');
    expect(decode(letter?.key as Uint8Array)).toBe('k-1');
    expect(Object.fromEntries(letter?.headers?.map(([name, value]) => [name, decode(value)]) ?? [])).toEqual({
      'x-trace': 't',
      'e2rx-error': 'boom',
      'e2rx-error-code': 'E2RX_RUN_ERROR',
      'e2rx-run-error-code': '500',
      'e2rx-attempts': '4',
      'e2rx-handler': 'kafka orders',
      'e2rx-source-topic': 'orders',
      'e2rx-source-partition': '3',
      'e2rx-source-offset': '42',
      'x-request-id': job.request.id,
    });
  });
});
