import { afterEach, describe, expect, it } from 'vitest';
import { E2rxError } from '../../src/errors.js';
import { TIMEOUT_GRACE_MS } from '../../src/runtime/pool.js';
import { makeRequest, Program, text } from './support/driver.js';
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
});
