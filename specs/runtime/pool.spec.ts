import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CAPABILITIES } from '../../src/directive/capability-config.js';
import { E2rxError } from '../../src/errors.js';
import { TIMEOUT_GRACE_MS } from '../../src/runtime/pool.js';
import { createRuntime, type FunctionOutcome, type Runtime, type RuntimeOptions } from '../../src/runtime/runtime.js';
import { compileWat, compileWatSource } from '../support/wasm.js';
import { captureLogger, FakeServices, makeRequest, Program, text } from './support/driver.js';
import { startRuntime, type TestRuntime } from './support/runtime.js';

let current: TestRuntime | undefined;
async function start(options: Parameters<typeof startRuntime>[0]): Promise<TestRuntime> {
  current = await startRuntime({ inline: false, placement: 'workers', workers: 2, ...options });
  return current;
}
afterEach(async () => {
  await current?.runtime.close();
  current = undefined;
});

const loopRequest = () => makeRequest({ body: new Program().loop().build() });

/**
 * One worker whose calls are submitted before it is ready, so that it is handed them all at once (they start one
 * after the other on it).
 */
async function handedTogether(
  options: Partial<RuntimeOptions>,
  calls: ReadonlyArray<{ name: string; signal?: AbortSignal }>,
): Promise<{ runtime: Runtime; services: FakeServices; results: Array<Promise<unknown>> }> {
  const services = new FakeServices();
  const runtime = createRuntime({ capabilities: DEFAULT_CAPABILITIES, services, logger: captureLogger().logger, workers: 1, placement: 'workers', ...options });
  for (const name of new Set(calls.map((c) => c.name))) await runtime.register(name, await compileWat(name));
  const results = calls.map(({ name, signal }) => runtime.invoke(name, makeRequest({ bodyText: name }), signal === undefined ? {} : { signal }).catch((e: unknown) => e));
  current = { runtime, services, lines: [] };
  await runtime.ready();
  return { runtime, services, results };
}

describe('pool', () => {
  it('run - a runaway loop is stopped at its timeout by its deadline check while calls on the other worker keep completing', async () => {
    const t = await start({ fixtures: ['hostcall', 'echo'], limits: { timeoutMs: 600 } });
    const start_ = performance.now();
    let settled = false;
    const looping = t.runtime.invoke('hostcall', loopRequest()).then(
      (r) => r,
      (e: unknown) => e,
    );
    void looping.then(() => (settled = true));
    let completed = 0;
    while (!settled) {
      const r = await t.runtime.invoke('echo', makeRequest({ bodyText: 'ping' }));
      if (r.kind === 'output' && text(r.output) === 'ping') completed += 1;
    }
    const error = await looping;
    const elapsed = performance.now() - start_;
    expect(E2rxError.is(error, 'E2RX_WASM_TIMEOUT')).toBe(true);
    expect((error as E2rxError).details).toMatchObject({ fn: 'hostcall', timeoutMs: 600 });
    expect((error as E2rxError).retriable).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(590);
    expect(elapsed).toBeLessThan(2000);
    expect(completed).toBeGreaterThan(10);
    // the instrumented guest stops itself: its worker lives on
    expect(t.runtime.stats()).toMatchObject({ timeouts: 1, workerRestarts: 0 });
    await t.runtime.ready();
    expect(t.runtime.stats().workers).toBe(2);
    const after = await Promise.all([1, 2, 3, 4].map(() => t.runtime.invoke('echo', makeRequest({ bodyText: 'after' }))));
    expect(after.map((r) => r.kind)).toEqual(['output', 'output', 'output', 'output']);
  });

  it('run - a trap, an OOM and a stack overflow on a worker fail their call only', async () => {
    const t = await start({ fixtures: ['trap', 'oom', 'recursion', 'echo'], limits: { maxMemoryMb: 16 }, workers: 1 });
    const errors = await Promise.all(['trap', 'oom', 'recursion'].map((name) => t.runtime.invoke(name, makeRequest()).catch((e: unknown) => e)));
    expect(errors.map((e) => (e as E2rxError).code)).toEqual(['E2RX_WASM_TRAP', 'E2RX_WASM_MEMORY', 'E2RX_WASM_TRAP']);
    const echo = await t.runtime.invoke('echo', makeRequest({ bodyText: 'fine' }));
    expect(echo.kind === 'output' && text(echo.output)).toBe('fine');
    expect(t.runtime.stats().workerRestarts).toBe(0);
  });

  it('run - concurrent calls never share an instance', async () => {
    const t = await start({ fixtures: ['exclusive'] });
    t.services.delayMs = 40;
    const results = await Promise.all(Array.from({ length: 8 }, () => t.runtime.invoke('exclusive', makeRequest())));
    expect(results.every((r) => r.kind === 'output')).toBe(true);
    const counts = results.map((r) => (r.kind === 'output' ? (r.output[0] ?? 0) : 0));
    // each worker's one instance served its calls one after the other, so its counts are 1, 2, 3, ...:
    // a count k appears at most twice (two instances) and never more often than k - 1
    const occurrences = (k: number): number => counts.filter((c) => c === k).length;
    for (let k = 1; k <= 8; k += 1) {
      expect(occurrences(k)).toBeLessThanOrEqual(2);
      expect(occurrences(k + 1)).toBeLessThanOrEqual(occurrences(k));
    }
    expect(counts.every((c) => c > 0)).toBe(true);
    expect(t.runtime.stats().functions['exclusive']?.instances).toBe(2);
  });

  it('run - aborting a queued call removes it from the queue and rejects with the reason', async () => {
    const t = await start({ fixtures: ['exclusive', 'echo'], workers: 1 });
    t.services.delayMs = 150;
    const running = t.runtime.invoke('exclusive', makeRequest());
    const queued = new AbortController();
    const second = t.runtime.invoke('echo', makeRequest(), { signal: queued.signal }).catch((e: unknown) => e);
    expect(t.runtime.stats()).toMatchObject({ queued: 1, running: 1 });
    queued.abort(new Error('client went away'));
    expect(await second).toEqual(new Error('client went away'));
    expect(t.runtime.stats()).toMatchObject({ queued: 0, running: 1 });
    expect((await running).kind).toBe('output');
    expect(t.runtime.stats()).toMatchObject({ queued: 0, running: 0, workerRestarts: 0 });
    expect(t.runtime.stats().functions['echo']).toMatchObject({ calls: 0, running: 0, queued: 0 });
    const aborted = AbortSignal.abort(new Error('already'));
    await expect(t.runtime.invoke('echo', makeRequest(), { signal: aborted })).rejects.toThrow('already');
  });

  it('run - aborting a running call rejects with the reason at once; the call ends on its worker, which serves the next one', async () => {
    const t = await start({ fixtures: ['exclusive', 'echo'], workers: 1, limits: { timeoutMs: 10_000 } });
    t.services.delayMs = 300;
    const controller = new AbortController();
    const first = t.runtime.invoke('exclusive', makeRequest(), { signal: controller.signal }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(t.services.calls.map((c) => c.op)).toEqual(['cacheGet']);
    const aborted = performance.now();
    controller.abort(new Error('client went away'));
    expect(await first).toEqual(new Error('client went away'));
    expect(performance.now() - aborted).toBeLessThan(100);
    // the detached call still holds its worker until it ends
    expect(t.runtime.stats()).toMatchObject({ workers: 1, busyWorkers: 1, running: 1, queued: 0, workerRestarts: 0 });
    expect(t.runtime.stats().functions['exclusive']).toMatchObject({ running: 1, calls: 0 });
    const next = t.runtime.invoke('echo', makeRequest({ bodyText: 'next' }));
    expect(t.runtime.stats()).toMatchObject({ queued: 1, running: 1 });
    const echo = await next;
    expect(echo.kind === 'output' && text(echo.output)).toBe('next');
    expect(performance.now() - aborted).toBeGreaterThanOrEqual(200);
    expect(t.runtime.stats()).toMatchObject({ workers: 1, busyWorkers: 0, running: 0, queued: 0, timeouts: 0, workerRestarts: 0 });
    // the same instance ran the detached call to its end: the next call is its second, not a 409 (busy) nor a first
    t.services.delayMs = 0;
    const again = await t.runtime.invoke('exclusive', makeRequest());
    expect(again.kind === 'output' && again.output[0]).toBe(2);
    expect(t.runtime.stats().workerRestarts).toBe(0);
  });

  it('run - a detached call that loops forever is still stopped at its timeout', async () => {
    const t = await start({ fixtures: ['hostcall', 'echo'], workers: 1, limits: { timeoutMs: 600 } });
    const controller = new AbortController();
    const started = performance.now();
    const looping = t.runtime.invoke('hostcall', loopRequest(), { signal: controller.signal }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort(new Error('stop'));
    expect(await looping).toEqual(new Error('stop'));
    expect(performance.now() - started).toBeLessThan(400);
    expect(t.runtime.stats()).toMatchObject({ busyWorkers: 1, running: 1, timeouts: 0, workerRestarts: 0 });
    const echo = await t.runtime.invoke('echo', makeRequest({ bodyText: 'back' }));
    expect(echo.kind === 'output' && text(echo.output)).toBe('back');
    expect(performance.now() - started).toBeGreaterThanOrEqual(590);
    expect(t.runtime.stats()).toMatchObject({ workers: 1, busyWorkers: 0, running: 0, timeouts: 1, workerRestarts: 0 });
  });

  it('run - a worker blocked in a host call past the time limit is terminated after the grace and replaced', async () => {
    const t = await start({ fixtures: ['exclusive', 'echo'], workers: 1, limits: { timeoutMs: 300 } });
    t.services.delayMs = 5_000;
    const started = performance.now();
    const error = await t.runtime.invoke('exclusive', makeRequest()).catch((e: unknown) => e);
    expect(E2rxError.is(error, 'E2RX_WASM_TIMEOUT')).toBe(true);
    expect(performance.now() - started).toBeLessThan(300 + TIMEOUT_GRACE_MS);
    // the caller has its answer; the worker is still blocked until the grace is over
    expect(t.runtime.stats()).toMatchObject({ busyWorkers: 1, running: 1, timeouts: 1, workerRestarts: 0 });
    const echo = await t.runtime.invoke('echo', makeRequest({ bodyText: 'replaced' }));
    expect(echo.kind === 'output' && text(echo.output)).toBe('replaced');
    expect(performance.now() - started).toBeGreaterThanOrEqual(300 + TIMEOUT_GRACE_MS - 10);
    expect(t.runtime.stats()).toMatchObject({ workers: 1, busyWorkers: 0, running: 0, timeouts: 1, workerRestarts: 1 });
  });

  it('run - a guest that could not be instrumented is stopped at its timeout by replacing its worker', async () => {
    // importing from __e2rx makes the rewrite refuse the module: nothing inside can stop its loop
    const bytes = await compileWatSource(`(module
      (import "__e2rx" "deadline" (func))
      (memory (export "memory") 1)
      (func (export "allocate") (param i32) (result i32) (i32.const 1024))
      (func (export "deallocate") (param i32 i32))
      (func (export "run_e") (param i32 i32 i32) (loop $forever (br $forever))))`);
    const t = await start({ fixtures: ['echo'], workers: 1, placement: 'workers', limits: { timeoutMs: 300 } });
    expect(await t.runtime.register('unmetered', bytes)).toMatchObject({ metered: false });
    await t.runtime.ready();
    const started = performance.now();
    const error = await t.runtime.invoke('unmetered', makeRequest()).catch((e: unknown) => e);
    expect(E2rxError.is(error, 'E2RX_WASM_TIMEOUT')).toBe(true);
    expect((error as E2rxError).details).toMatchObject({ fn: 'unmetered', timeoutMs: 300 });
    expect(performance.now() - started).toBeLessThan(450);
    const echo = await t.runtime.invoke('echo', makeRequest({ bodyText: 'replaced' }));
    expect(echo.kind === 'output' && text(echo.output)).toBe('replaced');
    expect(performance.now() - started).toBeGreaterThanOrEqual(300 + TIMEOUT_GRACE_MS);
    expect(t.runtime.stats()).toMatchObject({ workers: 1, timeouts: 1, workerRestarts: 1 });
  });

  it('run - a guest blocked in an asynchronous host call past its timeout is stopped with its worker after the grace', async () => {
    const t = await start({ fixtures: ['exclusive', 'echo'], workers: 1, placement: 'workers', limits: { timeoutMs: 300 } });
    await t.runtime.ready();
    t.services.delayMs = 3_000;
    const started = performance.now();
    const error = await t.runtime.invoke('exclusive', makeRequest()).catch((e: unknown) => e);
    expect(E2rxError.is(error, 'E2RX_WASM_TIMEOUT')).toBe(true);
    expect(performance.now() - started).toBeLessThan(450);
    const echo = await t.runtime.invoke('echo', makeRequest({ bodyText: 'after' }));
    expect(echo.kind === 'output' && text(echo.output)).toBe('after');
    expect(performance.now() - started).toBeGreaterThanOrEqual(300 + TIMEOUT_GRACE_MS);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(t.runtime.stats()).toMatchObject({ workers: 1, timeouts: 1, workerRestarts: 1 });
  });

  it('run - an instrumented guest stopped by its own deadline reports the same timeout and keeps its worker', async () => {
    const t = await start({ fixtures: ['loop', 'echo'], workers: 1, placement: 'workers', limits: { timeoutMs: 300 } });
    const errors: unknown[] = [];
    for (let i = 0; i < 4; i += 1) errors.push(await t.runtime.invoke('loop', makeRequest()).catch((e: unknown) => e));
    for (const error of errors) {
      expect(E2rxError.is(error, 'E2RX_WASM_TIMEOUT')).toBe(true);
      expect((error as E2rxError).message).toBe('loop: the call ran past its time limit of 300 ms');
      expect((error as E2rxError).details).toEqual({ fn: 'loop', timeoutMs: 300 });
    }
    expect(t.runtime.stats()).toMatchObject({ workers: 1, timeouts: 4, workerRestarts: 0 });
  });

  it('close - lets a call with a caller finish but stops the worker of a detached call', async () => {
    const t = await start({ fixtures: ['exclusive'], workers: 2, limits: { timeoutMs: 10_000 } });
    t.services.delayMs = 300;
    const kept = t.runtime.invoke('exclusive', makeRequest());
    const gone = new AbortController();
    const detached = t.runtime.invoke('exclusive', makeRequest(), { signal: gone.signal }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    gone.abort(new Error('gone'));
    expect(await detached).toEqual(new Error('gone'));
    expect(t.runtime.stats()).toMatchObject({ busyWorkers: 2, running: 2 });
    const closing = t.runtime.close();
    expect(t.runtime.stats().running).toBe(1);
    expect((await kept).kind).toBe('output');
    await closing;
    expect(t.runtime.stats()).toMatchObject({ workers: 0, running: 0, workerRestarts: 0 });
  });

  it('close - a call aborted while closing is no longer waited for', async () => {
    const t = await start({ fixtures: ['exclusive'], workers: 1, limits: { timeoutMs: 10_000 } });
    t.services.delayMs = 2_000;
    const controller = new AbortController();
    const call = t.runtime.invoke('exclusive', makeRequest(), { signal: controller.signal }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    const closing = t.runtime.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort(new Error('deadline'));
    expect(await call).toEqual(new Error('deadline'));
    await closing;
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(t.runtime.stats()).toMatchObject({ workers: 0, running: 0 });
  });

  it('close - fails queued calls with E2RX_POOL_CLOSED, lets the running one finish, refuses new work', async () => {
    const t = await start({ fixtures: ['exclusive'], workers: 1 });
    t.services.delayMs = 100;
    const running = t.runtime.invoke('exclusive', makeRequest());
    const queued = t.runtime.invoke('exclusive', makeRequest()).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(t.runtime.stats()).toMatchObject({ busyWorkers: 1, queued: 1, running: 1 });
    const closing = t.runtime.close();
    expect((await running).kind).toBe('output');
    const error = await queued;
    expect(E2rxError.is(error, 'E2RX_POOL_CLOSED')).toBe(true);
    expect((error as E2rxError).details['fn']).toBe('exclusive');
    await closing;
    expect(t.runtime.closed).toBe(true);
    expect(t.runtime.stats().workers).toBe(0);
    await expect(t.runtime.invoke('exclusive', makeRequest())).rejects.toMatchObject({ code: 'E2RX_POOL_CLOSED' });
  });

  it('run - under load each worker is handed a share of the queue, and every call gets its own outcome', async () => {
    const t = await start({ fixtures: ['echo'], workers: 2 });
    const bodies = Array.from({ length: 200 }, (_, i) => `call ${i}`);
    const results = await Promise.all(bodies.map((body) => t.runtime.invoke('echo', makeRequest({ bodyText: body }))));
    expect(results.map((r) => (r.kind === 'output' ? text(r.output) : r.kind))).toEqual(bodies);
    expect(t.runtime.stats()).toMatchObject({ queued: 0, running: 0, busyWorkers: 0, workerRestarts: 0 });
  });

  it('run - a call waiting on its worker behind another has its time limit counted from its own start', async () => {
    const { runtime, services, results } = await handedTogether({ limits: { timeoutMs: 400 } }, [{ name: 'exclusive' }, { name: 'exclusive' }, { name: 'exclusive' }]);
    services.delayMs = 250;
    expect(runtime.stats()).toMatchObject({ running: 1, queued: 2 });
    const outcomes = (await Promise.all(results)) as FunctionOutcome[];
    // 750 ms in all, 250 ms each: none timed out, and the one instance served them one after the other
    expect(outcomes.map((r) => (r.kind === 'output' ? r.output[0] : r))).toEqual([1, 2, 3]);
    expect(runtime.stats()).toMatchObject({ timeouts: 0, workerRestarts: 0 });
  });

  it('run - a call handed to a worker but not started there is taken back when aborted, and never runs', async () => {
    const controller = new AbortController();
    const { runtime, services, results } = await handedTogether({}, [{ name: 'exclusive' }, { name: 'exclusive', signal: controller.signal }]);
    services.delayMs = 200;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(runtime.stats()).toMatchObject({ running: 1, queued: 1 });
    controller.abort(new Error('client went away'));
    expect(await results[1]).toEqual(new Error('client went away'));
    expect(runtime.stats()).toMatchObject({ running: 1, queued: 0 });
    expect(((await results[0]) as FunctionOutcome).kind).toBe('output');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(services.calls.filter((c) => c.op === 'cacheGet')).toHaveLength(1);
    expect(runtime.stats().functions['exclusive']).toMatchObject({ calls: 1, running: 0, queued: 0 });
  });

  it('close - a call handed to a worker but not started fails with E2RX_POOL_CLOSED; the running one finishes', async () => {
    const { runtime, services, results } = await handedTogether({}, [{ name: 'exclusive' }, { name: 'exclusive' }]);
    services.delayMs = 150;
    await new Promise((resolve) => setTimeout(resolve, 30));
    await runtime.close();
    expect(((await results[0]) as FunctionOutcome).kind).toBe('output');
    expect(E2rxError.is(await results[1], 'E2RX_POOL_CLOSED')).toBe(true);
    expect(services.calls.filter((c) => c.op === 'cacheGet')).toHaveLength(1);
  });

  it('run - the calls a replaced worker had not started run on its successor', async () => {
    const { runtime, services, results } = await handedTogether({ limits: { timeoutMs: 300 } }, [{ name: 'exclusive' }, { name: 'echo' }]);
    services.delayMs = 5_000;
    const [blocked, echo] = await Promise.all(results);
    expect(E2rxError.is(blocked, 'E2RX_WASM_TIMEOUT')).toBe(true);
    expect((echo as FunctionOutcome).kind === 'output' && text((echo as FunctionOutcome & { kind: 'output' }).output)).toBe('echo');
    expect(runtime.stats()).toMatchObject({ workers: 1, timeouts: 1, workerRestarts: 1, running: 0, queued: 0 });
  });

  it('run - bodies larger than a ring record, and the changes the guest made to the request, come back whole', async () => {
    const t = await start({ fixtures: ['echo', 'hostcall'] });
    const big = new Uint8Array(700_000).map((_, i) => i % 251);
    const echoed = await t.runtime.invoke('echo', makeRequest({ body: big }));
    expect(echoed.kind === 'output' && echoed.output).toEqual(big);
    const p = new Program();
    const [k, kl] = p.str('result');
    const [v, vl] = p.str('stored');
    const [h, hl] = p.str('x-guest');
    const [g, gl] = p.str('set by the guest');
    p.call('request_set_field', 4, k, kl, v, vl).call('resp_set_header', h, hl, g, gl).returnOutput();
    const sent = makeRequest({ body: p.build(), respHeaders: { 'x-earlier': 'kept' }, state: { before: new Uint8Array([1]) } });
    const changed = await t.runtime.invoke('hostcall', sent);
    if (changed.kind !== 'output') throw new Error(`expected an output, got ${changed.kind}`);
    expect(text(changed.request.state['result'] as Uint8Array)).toBe('stored');
    expect(changed.request.state['before']).toEqual(new Uint8Array([1]));
    expect(changed.request.respHeaders).toEqual({ 'x-earlier': 'kept', 'x-guest': 'set by the guest' });
    expect(sent.state).toEqual({ before: new Uint8Array([1]) });
    // a guest that changed nothing gives the caller's own request back
    const untouched = makeRequest({ bodyText: 'same' });
    const same = await t.runtime.invoke('echo', untouched);
    expect(same.request).toBe(untouched);
  });

  it("run - a guest's log lines on a worker reach the log before its outcome reaches the caller", async () => {
    const t = await start({ fixtures: ['hostcall'] });
    const p = new Program();
    const [m, ml] = p.str('from the worker');
    p.call('log_msg', m, ml, 3).returnOutput();
    const result = await t.runtime.invoke('hostcall', makeRequest({ body: p.build(), id: 'req-log' }));
    expect(result.kind).toBe('output');
    expect(t.lines.find((l) => l.msg === 'from the worker')).toMatchObject({ fn: 'hostcall', request_id: 'req-log' });
  });
});
