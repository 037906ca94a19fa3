/**
 * Handler runs (src/handlers/handler-run.ts): `createHandlerRun` (steps under the request time limit, metrics, logs),
 * as an Observable and through `start`, and `handlerRunOf` (a stand-in from an Observable). Functions are
 * marble-defined stubs; time is the TestScheduler's.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { EMPTY, map, Observable, of, tap, throwError, timer, type OperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it, vi } from 'vitest';
import type { Step } from '../../src/directive/model.js';
import { E2rxError } from '../../src/errors.js';
import { createHandlerRun, handlerRunOf, outcomeOf, type HandlerRunOptions } from '../../src/handlers/handler-run.js';
import type { Outcome } from '../../src/server/metrics.js';
import type { FunctionOutcome, FunctionRunner } from '../../src/steps/function-runner.js';
import type { RunResult } from '../../src/steps/steps.js';
import type { GuestPublish } from '../../src/runtime/guest-publish.js';
import { marbleRunner, summarize, summarizeResult, testRequest } from '../../src/testing/index.js';
import { call } from '../steps/support.js';
import { captureLogger, type LogLine } from '../engine/support/engine.js';

function createScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

const steps = (...names: string[]): Step[] => names.map((name) => ({ kind: 'fn', call: call(name) }));

/** A handler run over `runner` with a recording logger and metrics. */
function handlerRun(
  runner: FunctionRunner,
  options: Partial<HandlerRunOptions> = {},
): { run: ReturnType<typeof createHandlerRun>; recorded: Outcome[]; logs: LogLine[] } {
  const recorded: Outcome[] = [];
  const { logger, lines } = captureLogger();
  const run = createHandlerRun({
    id: 'POST /spec',
    steps: steps('a'),
    response: undefined,
    groupTimeoutMs: 30_000,
    requestTimeoutMs: 100,
    runner,
    logger,
    metrics: { run: (outcome) => void recorded.push(outcome), rejected: () => undefined },
    ...options,
  });
  return { run, recorded, logs: lines };
}

describe('createHandlerRun', () => {
  it('handler run - emits the result of the steps once, then completes; records and logs it', () => {
    const scheduler = createScheduler();
    let recorded: Outcome[] = [];
    scheduler.run(({ cold, expectObservable }) => {
      const made = handlerRun(marbleRunner(cold, { a: { marbles: '--x|', values: { x: 'A' } }, b: { marbles: '-y|', values: { y: 'B' } } }), {
        steps: steps('a', 'b'),
        scheduler,
      });
      recorded = made.recorded;
      expectObservable(made.run(testRequest()).pipe(summarize())).toBe('---(r|)', { r: 'ok B' });
    });
    expect(recorded).toEqual(['ok']);
  });

  it('handler run - a Runnable error is a runError result (logged at info), a failing function a failure (logged at error)', () => {
    const scheduler = createScheduler();
    const made: ReturnType<typeof handlerRun>[] = [];
    scheduler.run(({ cold, expectObservable }) => {
      const runError = handlerRun(marbleRunner(cold, { a: { marbles: '-e|', values: { e: { code: 404, message: 'nope' } } } }), { scheduler });
      const failure = handlerRun(marbleRunner(cold, { a: { marbles: '-#', error: new Error('trapped') } }), { scheduler });
      made.push(runError, failure);
      expectObservable(runError.run(testRequest()).pipe(summarize())).toBe('-(r|)', { r: 'error 404 nope' });
      expectObservable(failure.run(testRequest()).pipe(summarize())).toBe('-(r|)', { r: 'failure trapped' });
    });
    const [runError, failure] = made;
    expect(runError?.recorded).toEqual(['run_error']);
    expect(failure?.recorded).toEqual(['failure']);
    expect(runError?.logs.find((line) => line.msg.includes('returned an error'))?.level).toBe(30);
    expect(failure?.logs.find((line) => line.msg.includes('failed'))?.level).toBe(50);
  });

  it('handler run - past requestTimeoutMs the run fails with E2RX_REQUEST_TIMEOUT and its function call is cancelled', () => {
    const scheduler = createScheduler();
    let recorded: Outcome[] = [];
    let result: RunResult | undefined;
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const slow = cold<string>('-'.repeat(200) + 'x|', { x: 'late' });
      const made = handlerRun(marbleRunner(cold, { a: () => slow.pipe(mapOutput()) }), { scheduler, requestTimeoutMs: 100 });
      recorded = made.recorded;
      const run = made.run(testRequest()).pipe(tap((value) => (result = value)));
      expectObservable(run.pipe(summarize())).toBe('100ms (r|)', { r: 'failure request timed out after 100 ms' });
      expectSubscriptions(slow.subscriptions).toBe('^ 99ms !');
    });
    expect(result?.kind === 'failure' && E2rxError.is(result.error, 'E2RX_REQUEST_TIMEOUT')).toBe(true);
    expect(recorded).toEqual(['timeout']);
  });

  it('handler run - a run that ends in time is not cut later, and without a time limit a run never is', () => {
    const scheduler = createScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const timed = handlerRun(marbleRunner(cold, { a: { marbles: '50ms x|', values: { x: 'A' } } }), { scheduler, requestTimeoutMs: 100 });
      const untimed = handlerRun(marbleRunner(cold, { a: { marbles: '500ms x|', values: { x: 'A' } } }), { scheduler, requestTimeoutMs: undefined });
      expectObservable(timed.run(testRequest()).pipe(summarize())).toBe('50ms (r|)', { r: 'ok A' });
      expectObservable(untimed.run(testRequest()).pipe(summarize())).toBe('500ms (r|)', { r: 'ok A' });
    });
  });

  it('handler run - unsubscribing cancels the run: the function call is unsubscribed, nothing is reported', () => {
    const scheduler = createScheduler();
    let recorded: Outcome[] = [];
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const call = cold<string>('50ms x|', { x: 'A' });
      const made = handlerRun(marbleRunner(cold, { a: () => call.pipe(mapOutput()) }), { scheduler, requestTimeoutMs: 100 });
      recorded = made.recorded;
      expectObservable(made.run(testRequest()).pipe(summarize()), '^ 9ms !').toBe('');
      expectSubscriptions(call.subscriptions).toBe('^ 9ms !');
    });
    // Nor does its time limit fire later.
    expect(recorded).toEqual([]);
  });

  it('handler run - start: a run over at once calls back before start returns, which returns no cancel', () => {
    const runner: FunctionRunner = (_fn, request) => of({ kind: 'output', output: new TextEncoder().encode('now'), request });
    const { run, recorded } = handlerRun(runner);
    const results: string[] = [];
    const cancel = run.start(testRequest(), (result) => results.push(summarizeResult(result)));
    expect(results).toEqual(['ok now']);
    expect(cancel).toBeUndefined();
    expect(recorded).toEqual(['ok']);
  });

  it('handler run - start: the returned cancel stops the call and the time limit; onResult is never called', async () => {
    let unsubscribed = 0;
    const runner: FunctionRunner = () => new Observable(() => () => (unsubscribed += 1));
    const { run, recorded } = handlerRun(runner, { requestTimeoutMs: 20 });
    const results: string[] = [];
    const cancel = run.start(testRequest(), (result) => results.push(summarizeResult(result)));
    expect(typeof cancel).toBe('function');
    cancel?.();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(unsubscribed).toBe(1);
    expect(results).toEqual([]);
    expect(recorded).toEqual([]);
  });

  it('handler run - start with a real timer: a run that never ends gets its timeout result once, and its call is cancelled', async () => {
    let unsubscribed = 0;
    const { run, recorded } = handlerRun(() => new Observable<never>(() => () => (unsubscribed += 1)), { requestTimeoutMs: 20 });
    const results: string[] = [];
    run.start(testRequest(), (result) => results.push(summarizeResult(result)));
    await vi.waitFor(() => expect(results).toHaveLength(1), { timeout: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(results).toEqual(['failure request timed out after 20 ms']);
    expect(recorded).toEqual(['timeout']);
    expect(unsubscribed).toBe(1);
  });


  it('handler run - start: a run that ended holds nothing until its time limit (its request can be collected)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // Outcomes arrive later, as from a worker; the time limit is far away.
    const runner: FunctionRunner = (_fn, request) => timer(0).pipe(map(() => ({ kind: 'output' as const, output: request.body, request })));
    const { run } = handlerRun(runner, { requestTimeoutMs: 60_000 });
    const refs: WeakRef<object>[] = [];
    let ended = 0;
    for (let i = 0; i < 200; i += 1) {
      const request = testRequest({ body: new Uint8Array(1_024) });
      refs.push(new WeakRef(request));
      run.start(request, () => (ended += 1));
    }
    await vi.waitFor(() => expect(ended).toBe(200), { timeout: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    expect(refs.filter((ref) => ref.deref() !== undefined).length).toBeLessThan(20);
  });

  it('handler run - outcomeOf names each kind of result for the metrics', () => {
    const request = testRequest();
    expect(outcomeOf({ kind: 'ok', body: new Uint8Array(), request })).toBe('ok');
    expect(outcomeOf({ kind: 'failure', error: new Error('x'), request })).toBe('failure');
    expect(outcomeOf({ kind: 'failure', error: new E2rxError('E2RX_REQUEST_TIMEOUT', 'late'), request })).toBe('timeout');
  });
});

describe('handlerRunOf', () => {
  it('handlerRunOf - the result of the stub, once, as an Observable and through start', () => {
    const scheduler = createScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const run = handlerRunOf((request) => cold<RunResult>('--r-s|', { r: { kind: 'ok', body: request.body, request }, s: { kind: 'ok', body: new Uint8Array(), request } }));
      expectObservable(run(testRequest({ body: 'hi' })).pipe(summarize())).toBe('--(r|)', { r: 'ok hi' });
    });
    const run = handlerRunOf((request) => of({ kind: 'ok' as const, body: request.body, request }));
    const results: string[] = [];
    expect(run.start(testRequest({ body: 'sync' }), (result) => results.push(summarizeResult(result)))).toBeUndefined();
    expect(results).toEqual(['ok sync']);
  });

  it('handlerRunOf - an error of the stub is a failure result (anything thrown becomes an Error)', () => {
    const results: RunResult[] = [];
    handlerRunOf(() => throwError(() => new Error('broken'))).start(testRequest(), (result) => results.push(result));
    handlerRunOf(() => throwError(() => 'just a string')).start(testRequest(), (result) => results.push(result));
    expect(results.map(summarizeResult)).toEqual(['failure broken', 'failure just a string']);
    expect(results.every((result) => result.kind === 'failure' && result.error instanceof Error)).toBe(true);
  });

  it('handlerRunOf - unsubscribing (or the cancel of start) unsubscribes the stub', () => {
    const scheduler = createScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const stub = cold<RunResult>('-----r|', { r: { kind: 'ok', body: new Uint8Array(), request: testRequest() } });
      expectObservable(handlerRunOf(() => stub)(testRequest()), '^--!').toBe('');
      expectSubscriptions(stub.subscriptions).toBe('^--!');
    });
    let unsubscribed = false;
    const results: RunResult[] = [];
    const cancel = handlerRunOf(() => new Observable<RunResult>(() => () => (unsubscribed = true))).start(testRequest(), (result) => results.push(result));
    cancel?.();
    expect(unsubscribed).toBe(true);
    expect(results).toEqual([]);
  });

  it('handlerRunOf - a stub that completes without a result is a failure, so that its caller frees its slot', () => {
    const results: RunResult[] = [];
    const cancel = handlerRunOf(() => EMPTY).start(testRequest(), (result) => results.push(result));
    expect(cancel).toBeUndefined();
    expect(results).toHaveLength(1);
    expect(results[0]?.kind).toBe('failure');
    expect(results[0]?.kind === 'failure' && E2rxError.is(results[0].error, 'E2RX_STEP_FAILED')).toBe(true);
  });
});

/** The stub value of a function as its outcome. */
function mapOutput(): OperatorFunction<string, FunctionOutcome> {
  return map((value) => ({ kind: 'output', output: new TextEncoder().encode(value), request: testRequest() }));
}

describe('createHandlerRun (e2rx) published messages', () => {
  const message: GuestPublish = { connection: 'kafka', target: 'audit', body: new Uint8Array([1]), headers: [], key: new Uint8Array([2]) };
  const publishingRunner: FunctionRunner = (_fn, request) => of({ kind: 'output', output: new Uint8Array(0), request, publishes: [message] });

  it('handler run - with a publisher, sends the messages before the result is handed on, which then carries none', async () => {
    const events: string[] = [];
    const { run } = handlerRun(publishingRunner, {
      publish: async (publishes, request) => {
        events.push(`send ${publishes.map((m) => m.target).join(',')} for ${request.id}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        events.push('sent');
      },
    });
    const result = await new Promise<RunResult>((resolve) => run.start(testRequest({ id: 'r-1' }), resolve));
    events.push(`result ${result.kind}`);
    expect(events).toEqual(['send audit for r-1', 'sent', 'result ok']);
    expect('publishes' in result).toBe(false);
  });

  it('handler run - a send that fails makes the run an E2RX_PUBLISH_FAILED failure, recorded and logged as one', async () => {
    const { run, recorded } = handlerRun(publishingRunner, {
      publish: () => Promise.reject(new E2rxError('E2RX_PUBLISH_FAILED', 'cannot publish to audit (kafka): down', { retriable: true })),
    });
    const result = await new Promise<RunResult>((resolve) => run.start(testRequest(), resolve));
    expect(result.kind).toBe('failure');
    expect(result.kind === 'failure' && E2rxError.is(result.error, 'E2RX_PUBLISH_FAILED')).toBe(true);
    expect(recorded).toEqual(['failure']);
  });

  it('handler run - cancelled while sending, it hands nothing on', async () => {
    let release: () => void = () => undefined;
    const { run } = handlerRun(publishingRunner, { publish: () => new Promise<void>((resolve) => (release = resolve)) });
    const results: RunResult[] = [];
    const cancel = run.start(testRequest(), (result) => results.push(result));
    expect(cancel).toBeTypeOf('function');
    cancel?.();
    release();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(results).toEqual([]);
  });

  it('handler run - without a publisher, the result carries the messages for its caller to send', async () => {
    const { run } = handlerRun(publishingRunner);
    const result = await new Promise<RunResult>((resolve) => run.start(testRequest(), resolve));
    expect(result.kind === 'ok' ? result.publishes : undefined).toEqual([message]);
  });

  it('handler run - holding Kafka publishes (exactly-once): NATS ones are sent, Kafka ones stay on the result for the transaction', async () => {
    const nats: GuestPublish = { connection: 'nats', target: 'events', body: new Uint8Array([3]), headers: [] };
    const mixed: FunctionRunner = (_fn, request) => of({ kind: 'output', output: new Uint8Array(0), request, publishes: [nats, message] });
    const sent: string[] = [];
    const { run } = handlerRun(mixed, {
      holdKafkaPublishes: true,
      publish: (publishes) => {
        sent.push(...publishes.map((m) => `${m.connection}:${m.target}`));
        return Promise.resolve();
      },
    });
    const result = await new Promise<RunResult>((resolve) => run.start(testRequest(), resolve));
    expect(sent).toEqual(['nats:events']);
    expect(result.kind === 'ok' ? result.publishes : undefined).toEqual([message]);
  });

  it('handler run - holding Kafka publishes with only Kafka ones: nothing is sent, the result is handed on at once', () => {
    let sends = 0;
    const { run } = handlerRun(publishingRunner, {
      holdKafkaPublishes: true,
      publish: () => {
        sends += 1;
        return Promise.resolve();
      },
    });
    const results: RunResult[] = [];
    run.start(testRequest(), (result) => results.push(result));
    expect(sends).toBe(0);
    expect(results).toHaveLength(1);
    expect(results[0]?.kind === 'ok' ? results[0].publishes : undefined).toEqual([message]);
  });

  it('handler run - a failed run is handed on at once: nothing is sent', async () => {
    let sent = 0;
    const failing: FunctionRunner = (_fn, request) => of({ kind: 'runError', code: 500, message: 'no', request });
    const { run } = handlerRun(failing, {
      publish: () => {
        sent += 1;
        return Promise.resolve();
      },
    });
    const result = await new Promise<RunResult>((resolve) => run.start(testRequest(), resolve));
    expect(result.kind).toBe('runError');
    expect(sent).toBe(0);
  });
});
