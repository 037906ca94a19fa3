import { pino } from 'pino';
import { defer, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createGate } from '../../src/engine/gate.js';
import type { FunctionRequest } from '../../src/runtime/request.js';
import type { RunResult } from '../../src/steps/steps.js';
import { createInFlight } from '../../src/streams/in-flight.js';
import { kafkaPipeline, type KafkaHandlerConfig } from '../../src/streams/kafka-pipeline.js';
import type { StreamOutcome } from '../../src/streams/outcome.js';
import { FakeKafkaDriver, record, type FakeConsumer } from './fake-kafka.js';
import { waitFor } from './support.js';

const logger = pino({ level: 'silent' });
const decode = (bytes: Uint8Array | string | null | undefined): string => (typeof bytes === 'string' ? bytes : bytes ? new TextDecoder().decode(bytes) : '');

function start(config: Partial<KafkaHandlerConfig>, run: (request: FunctionRequest) => Observable<RunResult>) {
  const driver = new FakeKafkaDriver();
  const inFlight = createInFlight();
  const outcomes: StreamOutcome[] = [];
  const subscription = kafkaPipeline(
    { id: 'kafka orders', topic: 'orders', groupId: 'g', respondTo: undefined, deadLetter: undefined, retries: { max: 0, backoffMs: 1 }, ...config },
    run,
    createGate({ maxInFlight: 4, queueSize: 0 }),
    { driver, inFlight, logger, deadLetterBackoffMs: 5 },
  ).subscribe((outcome) => outcomes.push(outcome));
  const consumer = driver.consumers[0] as FakeConsumer;
  return { driver, inFlight, outcomes, subscription, consumer };
}

const echo = (request: FunctionRequest): Observable<RunResult> =>
  defer((): Promise<RunResult> => {
    const text = decode(request.body);
    if (text.startsWith('fail')) return Promise.resolve({ kind: 'runError', error: { code: 422, message: `bad ${text}` }, request });
    return Promise.resolve({ kind: 'ok', body: new TextEncoder().encode(text.toUpperCase()), request });
  });

describe('kafkaPipeline', () => {
  it('kafkaPipeline - a failed respondTo produce counts as a failed attempt: the run is retried', async () => {
    const { driver, consumer, outcomes } = start({ respondTo: 'out', retries: { max: 2, backoffMs: 1 } }, echo);
    let refusals = 1;
    driver.failProduce = () => refusals-- > 0;
    consumer.deliver(record('orders', 0, 0, 'x'));
    await waitFor(() => outcomes.length === 1, 2_000);
    expect(outcomes[0]).toMatchObject({ outcome: 'published', attempts: 2, publishedTo: 'out' });
    expect(consumer.committed('orders', 0)).toBe('1');
  });

  it('kafkaPipeline - a dead letter that cannot be produced is retried until it can; only then is the record committed', async () => {
    const { driver, consumer, outcomes } = start({ deadLetter: 'dlq', retries: { max: 1, backoffMs: 1 } }, echo);
    let refusals = 3;
    driver.failProduce = (one) => one.topic === 'dlq' && refusals-- > 0;
    consumer.deliver(record('orders', 0, 0, 'fail-1'));
    await waitFor(() => outcomes.length === 1, 2_000);
    expect(outcomes[0]).toMatchObject({ outcome: 'dead-lettered', attempts: 2, publishedTo: 'dlq', error: { code: 'E2RX_RUN_ERROR', runErrorCode: 422 } });
    expect(driver.produced.map((one) => one.topic)).toEqual(['dlq']);
    expect(consumer.committed('orders', 0)).toBe('1');
  });

  it('kafkaPipeline - without a dead letter a record that failed for good is logged, skipped and committed', async () => {
    const { consumer, outcomes, driver } = start({ respondTo: 'out' }, echo);
    consumer.deliver(record('orders', 0, 0, 'fail'), record('orders', 0, 1, 'ok'));
    await waitFor(() => outcomes.length === 2, 2_000);
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['dropped', 'published']);
    expect(driver.produced.map((one) => decode(one.value))).toEqual(['OK']);
    await waitFor(() => consumer.committed('orders', 0) === '2', 2_000);
  });

  it('kafkaPipeline - cancelled work is abandoned: not committed, and the consumer still leaves cleanly', async () => {
    const never = (): Observable<RunResult> => defer(() => new Promise<RunResult>(() => undefined));
    const { consumer, inFlight, subscription } = start({}, never);
    consumer.deliver(record('orders', 0, 0, 'x'));
    await new Promise((resolve) => setImmediate(resolve));
    subscription.unsubscribe();
    expect(await inFlight.drain(20)).toBe(false);
    inFlight.cancel();
    expect(await inFlight.drain(1_000)).toBe(true);
    expect(consumer.commits).toEqual([]);
    expect(consumer.stopped).toBe(true);
  });
});
