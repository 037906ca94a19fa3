/**
 * `e2rx/testing`: a whole handler pipeline in virtual time (src/testing/handler-pipeline.ts, `TestApp.handle`):
 * source → gate → steps under the request time limit → retries → results.
 */
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { compileForTest, marbleRunner, summarize, testRequest } from '../../src/testing/index.js';

const yaml = `
identifier: com.example.pipeline
appVersion: v1.0.0
atmoVersion: v0.4.7
connections:
  nats: { serverAddress: nats://127.0.0.1:4222 }
  kafka: { brokerAddress: 127.0.0.1:9092 }
limits: { requestTimeoutMs: 5, maxInFlight: 1 }
handlers:
  - type: request
    resource: /hello
    method: POST
    steps:
      - fn: hello
  - type: stream
    source: nats
    resource: orders
    retries: { max: 2, backoffMs: 3 }
    steps:
      - fn: flaky
  - type: stream
    source: nats
    resource: js.fixed
    jetstream: { maxDeliver: 3, nakDelayMs: 4 }
    steps:
      - fn: broken
  - type: stream
    source: nats
    resource: js.doubling
    retries: { max: 2, backoffMs: 2 }
    jetstream: {}
    steps:
      - fn: broken
  - type: stream
    source: kafka
    resource: orders
    retries: { max: 1, backoffMs: 5 }
    steps:
      - fn: broken
`;

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('TestApp.handle', () => {
  it('handle - requests wait their turn at the gate (one in flight) and are answered in virtual time', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const app = compileForTest(yaml, { runner: marbleRunner(cold, { hello: { marbles: '--a|', values: { a: 'hi' } } }) });
      const requests = cold('(ab)|', { a: testRequest({ body: 'a' }), b: testRequest({ body: 'b' }) });
      expectObservable(app.handle('POST /hello', requests).pipe(summarize())).toBe('--r-(s|)', { r: 'ok hi', s: 'ok hi' });
    });
  });

  it('handle - a run past the request time limit fails with E2RX_REQUEST_TIMEOUT at that time', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const app = compileForTest(yaml, { runner: marbleRunner(cold, { hello: { marbles: '----------a|', values: { a: 'late' } } }) });
      expectObservable(app.handle('POST /hello', cold('a|', { a: testRequest() })).pipe(summarize())).toBe('-----(r|)', { r: 'failure request timed out after 5 ms' });
    });
  });

  it('handle - a failed stream run is retried after 3, then 6 ms, and its last result is what the sink sends', () => {
    scheduler().run(({ cold, expectObservable }) => {
      let calls = 0;
      const runner = marbleRunner(cold, {
        flaky: () => ((calls += 1) < 3 ? cold('a|', { a: { kind: 'runError' as const, code: 500, message: 'not yet', request: testRequest() } }) : cold('a|', { a: { kind: 'output' as const, output: new TextEncoder().encode('done'), request: testRequest() } })),
      });
      const app = compileForTest(yaml, { runner });
      expectObservable(app.handle('nats orders', cold('a|', { a: testRequest() })).pipe(summarize())).toBe('---------(r|)', { r: 'ok done' });
    });
  });

  /** A runner whose `broken` always fails, recording the virtual time of each run. */
  const brokenRunner = (cold: Parameters<typeof marbleRunner>[0], now: () => number, runs: number[]) =>
    marbleRunner(cold, {
      broken: () => {
        runs.push(now());
        return cold('a|', { a: { kind: 'runError' as const, code: 500, message: 'broken', request: testRequest() } });
      },
    });

  it.each([
    ['a failing JetStream message is redelivered after nakDelayMs until maxDeliver, then given up with its last failure', 'nats js.fixed', '--------(r|)', [0, 4, 8]],
    ['a JetStream handler with retries and no nakDelayMs is delivered retries.max + 1 times, the delays doubling', 'nats js.doubling', '------(r|)', [0, 2, 6]],
    ['a failing Kafka record is retried retries.max times in process, then given up', 'kafka orders', '-----(r|)', [0, 5]],
  ])('handle - %s', (_behaviour, id, marbles, times) => {
    const test = scheduler();
    test.run(({ cold, expectObservable }) => {
      const runs: number[] = [];
      const app = compileForTest(yaml, { runner: brokenRunner(cold, () => test.now(), runs) });
      expectObservable(app.handle(id, cold('a|', { a: testRequest() })).pipe(summarize())).toBe(marbles, { r: 'error 500 broken' });
      test.flush();
      expect(runs).toEqual(times);
    });
  });
});
