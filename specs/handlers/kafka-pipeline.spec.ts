import { pino } from 'pino';
import { defer, of, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createGate } from '../../src/flow/gate.js';
import { handlerRunOf } from '../../src/handlers/handler-run.js';
import type { FunctionRequest } from '../../src/runtime/request.js';
import type { RunResult } from '../../src/steps/steps.js';
import { DEAD_LETTER_ATTEMPTS } from '../../src/flow/give-up.js';
import { createInFlight } from '../../src/flow/in-flight.js';
import { kafkaPipeline, type KafkaHandlerConfig } from '../../src/handlers/kafka-pipeline.js';
import type { StreamOutcome } from '../../src/messages/stream-outcome.js';
import { FakeKafkaDriver, record, type FakeConsumer } from '../streams/fake-kafka.js';
import { waitFor } from '../streams/support.js';

const logger = pino({ level: 'silent' });
const decode = (bytes: Uint8Array | string | null | undefined): string => (typeof bytes === 'string' ? bytes : bytes ? new TextDecoder().decode(bytes) : '');

function start(config: Partial<KafkaHandlerConfig>, run: (request: FunctionRequest) => Observable<RunResult>) {
  const driver = new FakeKafkaDriver();
  const calls: string[] = [];
  const inFlight = createInFlight();
  const outcomes: StreamOutcome[] = [];
  const subscription = kafkaPipeline(
    { id: 'kafka orders', topic: 'orders', groupId: 'g', respondTo: undefined, deadLetter: undefined, retries: { max: 0, backoffMs: 1 }, ...config },
    handlerRunOf((request) => {
      calls.push(decode(request.body));
      return run(request);
    }),
    createGate({ maxInFlight: 4, queueSize: 0 }),
    { driver, inFlight, logger, deadLetterBackoffMs: 5 },
  ).subscribe((outcome) => outcomes.push(outcome));
  const consumer = driver.consumers[0] as FakeConsumer;
  return { driver, inFlight, outcomes, subscription, consumer, calls };
}

const echo = (request: FunctionRequest): Observable<RunResult> =>
  defer((): Promise<RunResult> => {
    const text = decode(request.body);
    if (text.startsWith('fail')) return Promise.resolve({ kind: 'runError', error: { code: 422, message: `bad ${text}` }, request });
    return Promise.resolve({ kind: 'ok', body: new TextEncoder().encode(text.toUpperCase()), request });
  });

describe('kafkaPipeline', () => {
  it('kafkaPipeline - a failed respondTo produce counts as a failed attempt: the result is produced again, the function is not run again', async () => {
    const { driver, consumer, outcomes, calls } = start({ respondTo: 'out', retries: { max: 2, backoffMs: 1 } }, echo);
    let refusals = 1;
    driver.failProduce = () => refusals-- > 0;
    consumer.deliver(record('orders', 0, 0, 'x'));
    await waitFor(() => outcomes.length === 1, 2_000);
    expect(outcomes[0]).toMatchObject({ outcome: 'published', attempts: 1, publishedTo: 'out' });
    expect(calls).toEqual(['x']);
    expect(driver.produceCalls.map((records) => records.map((one) => decode(one.value)))).toEqual([['X'], ['X']]);
    await waitFor(() => consumer.committed('orders', 0) === '1', 2_000);
  });

  it('kafkaPipeline - a produce that keeps failing past retries.max dead-letters the record with E2RX_CONNECTION', async () => {
    const { driver, consumer, outcomes, calls } = start({ respondTo: 'out', deadLetter: 'dlq', retries: { max: 1, backoffMs: 1 } }, echo);
    driver.failProduce = (one) => one.topic === 'out';
    consumer.deliver(record('orders', 0, 0, 'x'));
    await waitFor(() => outcomes.length === 1, 2_000);
    expect(outcomes[0]).toMatchObject({ outcome: 'dead-lettered', attempts: 1, publishedTo: 'dlq', error: { code: 'E2RX_CONNECTION' } });
    expect(calls).toEqual(['x']);
    expect(driver.produced.map((one) => [one.topic, decode(one.value)])).toEqual([['dlq', 'x']]);
    await waitFor(() => consumer.committed('orders', 0) === '1', 2_000);
  });

  it('kafkaPipeline - the results of a fetch go out in one produce, in offset order; records are committed only once it is acknowledged', async () => {
    // A function that completes synchronously, as one placed on the calling thread does.
    const upper = (request: FunctionRequest): Observable<RunResult> => of({ kind: 'ok', body: new TextEncoder().encode(decode(request.body).toUpperCase()), request });
    const { driver, consumer, outcomes } = start({ respondTo: 'out' }, upper);
    driver.holdProduces = true;
    consumer.deliver(record('orders', 0, 0, 'a'), record('orders', 0, 1, 'b'), record('orders', 0, 2, 'c'));
    await waitFor(() => driver.held.length === 1, 2_000);
    expect(driver.held[0]?.records.map((one) => decode(one.value))).toEqual(['A', 'B', 'C']);
    // While it is in flight, the next fetch runs, and its results wait for the next produce.
    consumer.deliver(record('orders', 0, 3, 'd'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(driver.held).toHaveLength(1);
    expect(consumer.commits).toEqual([]);
    driver.held[0]?.resolve();
    await waitFor(() => driver.held.length === 2, 2_000);
    expect(driver.held[1]?.records.map((one) => decode(one.value))).toEqual(['D']);
    await waitFor(() => consumer.committed('orders', 0) === '3', 2_000);
    driver.held[1]?.resolve();
    await waitFor(() => consumer.committed('orders', 0) === '4', 2_000);
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['published', 'published', 'published', 'published']);
  });

  it('kafkaPipeline - a failed run is retried before the next record of its partition runs', async () => {
    let failures = 1;
    const flaky = (request: FunctionRequest): Observable<RunResult> =>
      defer(() => (decode(request.body) === 'a' && failures-- > 0 ? Promise.resolve<RunResult>({ kind: 'runError', error: { code: 500, message: 'flaky' }, request }) : echo(request)));
    const { consumer, outcomes, calls, driver } = start({ respondTo: 'out', retries: { max: 2, backoffMs: 5 } }, flaky);
    consumer.deliver(record('orders', 0, 0, 'a'), record('orders', 0, 1, 'b'));
    await waitFor(() => outcomes.length === 2, 2_000);
    expect(calls).toEqual(['a', 'a', 'b']);
    expect(driver.produced.map((one) => decode(one.value))).toEqual(['A', 'B']);
    expect(outcomes[0]).toMatchObject({ outcome: 'published', attempts: 2 });
  });

  it('kafkaPipeline - results of a revoked partition are neither produced nor retried nor dead-lettered: abandoned, for its next owner', async () => {
    const { driver, consumer, outcomes } = start({ respondTo: 'out', deadLetter: 'dlq', retries: { max: 3, backoffMs: 20 } }, echo);
    driver.holdProduces = true;
    consumer.listener?.onAssigned([{ topic: 'orders', partition: 0 }]);
    consumer.deliver(record('orders', 0, 0, 'fail-a'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    // The rebalance comes while the failed run waits for its retry.
    consumer.listener?.onRevoked();
    consumer.listener?.onAssigned([]);
    await waitFor(() => outcomes.length === 1, 2_000);
    expect(outcomes[0]).toMatchObject({ outcome: 'abandoned', attempts: 1 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(driver.produceCalls).toEqual([]);
    expect(consumer.commits).toEqual([]);
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

  it('kafkaPipeline - a dead letter that keeps failing is produced DEAD_LETTER_ATTEMPTS times, then the record is dropped and committed', async () => {
    const { driver, consumer, outcomes } = start({ deadLetter: 'dlq', retries: { max: 0, backoffMs: 1 } }, echo);
    driver.failProduce = (one) => one.topic === 'dlq';
    consumer.deliver(record('orders', 0, 0, 'fail-1'));
    await waitFor(() => outcomes.length === 1, 5_000);
    expect(outcomes[0]).toMatchObject({ outcome: 'dropped', attempts: 1, error: { code: 'E2RX_RUN_ERROR', runErrorCode: 422 } });
    expect(driver.produceCalls.length).toBe(DEAD_LETTER_ATTEMPTS);
    expect(driver.produced).toEqual([]);
    await waitFor(() => consumer.committed('orders', 0) === '1', 2_000);
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

  it('kafkaPipeline - ordering: key runs the records of a key one at a time, in offset order, and different keys in parallel; commits stay contiguous', async () => {
    // Each run waits until the spec ends it: the spec sees which runs are going at once.
    const pending = new Map<string, () => void>();
    const slow = (request: FunctionRequest): Observable<RunResult> =>
      defer(
        () =>
          new Promise<RunResult>((resolve) => {
            pending.set(decode(request.body), () => resolve({ kind: 'ok', body: request.body, request }));
          }),
      );
    const key = (text: string) => ({ key: new TextEncoder().encode(text) });
    const { consumer, calls, outcomes } = start({ ordering: 'key' }, slow);
    consumer.deliver(
      record('orders', 0, 0, 'a1', key('a')),
      record('orders', 0, 1, 'b1', key('b')),
      record('orders', 0, 2, 'a2', key('a')),
      record('orders', 0, 3, 'c1', key('c')),
      record('orders', 0, 4, 'n1'),
    );
    // a1, b1 and c1 run at once; a2 waits for a1, holding the fourth slot of the gate (its bound is 4).
    await waitFor(() => calls.length === 3, 2_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toEqual(['a1', 'b1', 'c1']);
    // b1 ends first: its slot goes to the keyless n1; offset 1 is done, but nothing is committed while offset 0 is not.
    pending.get('b1')?.();
    await waitFor(() => calls.length === 4, 2_000);
    expect(calls[3]).toBe('n1');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(consumer.commits).toEqual([]);
    // a1 ends: a2 runs, and offsets 0 and 1 are committed (next: 2).
    pending.get('a1')?.();
    await waitFor(() => calls.length === 5, 2_000);
    expect(calls[4]).toBe('a2');
    await waitFor(() => consumer.committed('orders', 0) === '2', 2_000);
    for (const name of ['c1', 'n1', 'a2']) pending.get(name)?.();
    await waitFor(() => consumer.committed('orders', 0) === '5', 2_000);
    expect(outcomes).toHaveLength(5);
  });

  it('kafkaPipeline - ordering: partition (the default) runs a partition one record at a time, whatever the keys', async () => {
    const pending: Array<() => void> = [];
    const slow = (request: FunctionRequest): Observable<RunResult> =>
      defer(() => new Promise<RunResult>((resolve) => pending.push(() => resolve({ kind: 'ok', body: request.body, request }))));
    const { consumer, calls } = start({}, slow);
    consumer.deliver(record('orders', 0, 0, 'a1', { key: new TextEncoder().encode('a') }), record('orders', 0, 1, 'b1', { key: new TextEncoder().encode('b') }));
    await waitFor(() => calls.length === 1, 2_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toEqual(['a1']);
    pending[0]?.();
    await waitFor(() => calls.length === 2, 2_000);
    pending[1]?.();
    await waitFor(() => consumer.committed('orders', 0) === '2', 2_000);
  });

  it('kafkaPipeline - delivery: exactly-once puts the results, dead letters and offset of a batch in one transaction of the partition; nothing is produced or committed outside it', async () => {
    const { driver, consumer, outcomes } = start({ respondTo: 'out', deadLetter: 'dlq', delivery: 'exactly-once' }, echo);
    consumer.positions.set(0, '0');
    consumer.listener?.onAssigned([{ topic: 'orders', partition: 0 }]);
    await waitFor(() => consumer.rewinds.length === 1, 2_000);
    consumer.deliver(record('orders', 0, 0, 'a'), record('orders', 0, 1, 'fail-b'), record('orders', 0, 2, 'c'));
    await waitFor(() => outcomes.length === 3, 2_000);
    const transactions = consumer.transactions.get('e2rx.g.orders.0');
    const records = transactions?.committed.flatMap((one) => one.records.map((out) => [out.topic, decode(out.value)])) ?? [];
    expect(records).toEqual([
      ['out', 'A'],
      ['dlq', 'fail-b'],
      ['out', 'C'],
    ]);
    // Each transaction commits the offset after its last record; the last one reaches the end.
    expect(transactions?.committed.at(-1)?.offsets).toEqual([{ topic: 'orders', partition: 0, offset: '3' }]);
    expect(outcomes.map((one) => one.outcome)).toEqual(['published', 'dead-lettered', 'published']);
    expect(driver.produceCalls).toEqual([]);
    expect(consumer.commits).toEqual([]);
  });

  it('kafkaPipeline - delivery: exactly-once produces what a run published to Kafka in its transaction, after its result, with the request id', async () => {
    const publishing = (request: FunctionRequest): Observable<RunResult> =>
      of({
        kind: 'ok',
        body: new TextEncoder().encode(decode(request.body).toUpperCase()),
        request,
        publishes: [{ connection: 'kafka', target: 'audit', body: new TextEncoder().encode(`saw ${decode(request.body)}`), headers: [['kind', 'audit']], key: new TextEncoder().encode('k') }],
      });
    const { driver, consumer, outcomes } = start({ respondTo: 'out', delivery: 'exactly-once' }, publishing);
    consumer.positions.set(0, '0');
    consumer.listener?.onAssigned([{ topic: 'orders', partition: 0 }]);
    await waitFor(() => consumer.rewinds.length === 1, 2_000);
    consumer.deliver(record('orders', 0, 0, 'a'));
    await waitFor(() => outcomes.length === 1, 2_000);
    const transactions = consumer.transactions.get('e2rx.g.orders.0');
    const records = transactions?.committed.flatMap((one) => one.records) ?? [];
    expect(records.map((out) => [out.topic, decode(out.value), decode(out.key)])).toEqual([
      ['out', 'A', ''],
      ['audit', 'saw a', 'k'],
    ]);
    expect(records[1]?.headers).toEqual(expect.arrayContaining([['kind', 'audit'], ['x-request-id', expect.any(String)]]));
    expect(transactions?.committed.at(-1)?.offsets).toEqual([{ topic: 'orders', partition: 0, offset: '1' }]);
    expect(driver.produceCalls).toEqual([]);
  });

  it('kafkaPipeline - delivery: exactly-once, a failed transaction is aborted: the partition is rewound and its records run again from the committed offset', async () => {
    const { consumer, outcomes, calls } = start({ respondTo: 'out', delivery: 'exactly-once' }, echo);
    consumer.positions.set(0, '0');
    consumer.listener?.onAssigned([{ topic: 'orders', partition: 0 }]);
    await waitFor(() => consumer.rewinds.length === 1, 2_000);
    const transactions = consumer.transactions.get('e2rx.g.orders.0');
    if (transactions === undefined) throw new Error('no transactional producer');
    transactions.fail = true;
    consumer.deliver(record('orders', 0, 0, 'a'), record('orders', 0, 1, 'b'));
    await waitFor(() => consumer.rewinds.length === 2, 2_000);
    await waitFor(() => outcomes.length === 2, 2_000);
    expect(outcomes.map((one) => one.outcome)).toEqual(['abandoned', 'abandoned']);
    expect(transactions.fences).toBe(2);
    // Fetched again from the committed offset (0), they run again and commit.
    transactions.fail = false;
    consumer.deliver(record('orders', 0, 0, 'a'), record('orders', 0, 1, 'b'));
    await waitFor(() => outcomes.length === 4, 2_000);
    expect(calls.filter((call) => call === 'a').length).toBeGreaterThanOrEqual(2);
    expect(transactions.committed.flatMap((one) => one.records.map((out) => decode(out.value)))).toEqual(['A', 'B']);
    expect(transactions.committed.at(-1)?.offsets).toEqual([{ topic: 'orders', partition: 0, offset: '2' }]);
  });
});
