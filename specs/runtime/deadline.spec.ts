import { afterEach, describe, expect, it } from 'vitest';
import { BlockingCall, DeadlineExceeded, INITIAL_FUEL, Meter } from '../../src/runtime/deadline.js';
import { E2rxError } from '../../src/errors.js';
import { FUEL_EXPORT, instrumentDeadlines, METER_IMPORT, METER_MODULE } from '../../src/runtime/instrument.js';
import { compileWatSource } from '../support/wasm.js';
import { makeRequest, text } from './support/driver.js';
import { startRuntime, type TestRuntime } from './support/runtime.js';

/** How late past its deadline a stopped call may end (a busy 2-core machine, a timer tick, a GC). */
const TOLERANCE_MS = 150;
const TIMEOUT_MS = 300;

function fuelGlobal(value = 0): WebAssembly.Global {
  return new WebAssembly.Global({ value: 'i32', mutable: true }, value);
}

function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

/** The instant `fn` threw, and what. */
function timeThrow(fn: () => unknown): { error: unknown; ms: number } {
  const started = performance.now();
  try {
    fn();
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
  throw new Error('it did not throw');
}

describe('deadline - Meter', () => {
  it('Meter - without a deadline the check never throws, and refills the fuel', () => {
    const meter = new Meter();
    const fuel = fuelGlobal();
    meter.bind(fuel);
    expect(meter.metered).toBe(true);
    meter.arm(undefined);
    expect(fuel.value).toBe(INITIAL_FUEL);
    fuel.value = 0;
    meter.check();
    expect(fuel.value).toBeGreaterThan(0);
    expect(meter.remaining()).toBe(Number.POSITIVE_INFINITY);
    expect(() => meter.throwIfPast(Number.MAX_SAFE_INTEGER)).not.toThrow();
  });

  it('Meter - throwIfPast, remaining and check follow the armed deadline; DeadlineExceeded says why', () => {
    const meter = new Meter();
    meter.bind(fuelGlobal());
    const now = performance.now();
    meter.arm({ at: now + 1000, reason: 'budget', from: now });
    expect(meter.reason).toBe('budget');
    expect(meter.remaining(now + 400)).toBeCloseTo(600, 6);
    expect(() => meter.throwIfPast(now + 999)).not.toThrow();
    expect(() => meter.throwIfPast(now + 1000)).toThrow(DeadlineExceeded);
    meter.arm({ at: now - 1, reason: 'timeout' });
    const thrown = timeThrow(() => meter.check()).error as DeadlineExceeded;
    expect(thrown).toBeInstanceOf(DeadlineExceeded);
    expect(thrown.reason).toBe('timeout');
    expect(thrown.message).toBe('the call ran past its time limit');
    expect(new DeadlineExceeded('budget').message).toBe('the call ran past its inline budget');
    expect(new BlockingCall('env.cache_get').message).toBe('env.cache_get would block the calling thread');
  });

  it('Meter - the refill doubles while checks come fast and halves while they come slowly, within bounds', () => {
    const meter = new Meter();
    const fuel = fuelGlobal();
    meter.bind(fuel);
    meter.arm({ at: performance.now() + 60_000, reason: 'timeout' });
    const refills: number[] = [];
    for (let i = 0; i < 12; i += 1) {
      meter.check();
      refills.push(fuel.value as number);
    }
    expect(refills[0]).toBe(INITIAL_FUEL * 2);
    expect(refills[1]).toBe(INITIAL_FUEL * 4);
    const cap = refills.at(-1) as number;
    expect(refills.at(-2)).toBe(cap); // it stopped growing
    const shrinking: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      busyWait(1.5);
      meter.check();
      shrinking.push(fuel.value as number);
    }
    expect(shrinking[0]).toBe(Math.floor(cap / 2));
    const floor = shrinking.at(-1) as number;
    expect(floor).toBeGreaterThan(0);
    expect(shrinking.at(-2)).toBe(floor); // it stopped shrinking
    // the next call starts with the refill learnt so far
    meter.arm({ at: performance.now() + 60_000, reason: 'timeout' });
    expect(fuel.value).toBe(floor);
  });

  it('Meter - an instrumented loop stops at its deadline and the instance stays usable', async () => {
    const bytes = await compileWatSource(`(module
      (global $n (mut i32) (i32.const 0))
      (func (export "spin") (loop $l (global.set $n (i32.add (global.get $n) (i32.const 1))) (br $l)))
      (func (export "count") (result i32) (global.get $n)))`);
    const meter = new Meter();
    const instance = new WebAssembly.Instance(new WebAssembly.Module(instrumentDeadlines(bytes).bytes), { [METER_MODULE]: { [METER_IMPORT]: meter.check } });
    meter.bind(instance.exports[FUEL_EXPORT] as WebAssembly.Global);
    for (const budget of [20, 50]) {
      const started = performance.now();
      meter.arm({ at: started + budget, reason: 'budget', from: started });
      const { error, ms } = timeThrow(instance.exports['spin'] as () => void);
      expect(error).toBeInstanceOf(DeadlineExceeded);
      expect(ms).toBeGreaterThanOrEqual(budget - 1);
      expect(ms).toBeLessThan(budget + TOLERANCE_MS);
    }
    expect((instance.exports['count'] as () => number)()).toBeGreaterThan(1000);
  });

  it('Meter - a start function that runs past the deadline is stopped during instantiation', async () => {
    // 2^31 iterations: seconds of work, and nothing but the deadline to stop it sooner
    const bytes = await compileWatSource(`(module
      (global $n (mut i32) (i32.const 0))
      (func $s (loop $l (global.set $n (i32.add (global.get $n) (i32.const 1))) (br_if $l (i32.gt_s (global.get $n) (i32.const 0)))))
      (start $s))`);
    const module = new WebAssembly.Module(instrumentDeadlines(bytes).bytes);
    const meter = new Meter();
    const started = performance.now();
    meter.arm({ at: started + 50, reason: 'timeout', from: started });
    const { error, ms } = timeThrow(() => new WebAssembly.Instance(module, { [METER_MODULE]: { [METER_IMPORT]: meter.check } }));
    expect(error).toBeInstanceOf(DeadlineExceeded);
    expect(ms).toBeLessThan(50 + TOLERANCE_MS);
  });
});

describe('deadline - calls stopped through the runtime', () => {
  let current: TestRuntime | undefined;
  afterEach(async () => {
    await current?.runtime.close();
    current = undefined;
  });

  /** The three guests that never end: a loop, a recursion tree without loops, a tail-call cycle. */
  const RUNAWAYS = [
    { fn: 'loop', body: new Uint8Array(0) },
    { fn: 'fib', body: new Uint8Array(60) },
    { fn: 'tail-cycle', body: new Uint8Array(0) },
  ] as const;

  async function expectStopped(t: TestRuntime, fn: string, body: Uint8Array): Promise<number> {
    const started = performance.now();
    const error = await t.runtime.invoke(fn, makeRequest({ body })).catch((e: unknown) => e);
    const ms = performance.now() - started;
    expect(E2rxError.is(error, 'E2RX_WASM_TIMEOUT'), `${fn}: ${String(error)}`).toBe(true);
    expect((error as E2rxError).details['fn']).toBe(fn);
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 1);
    expect(ms, fn).toBeLessThan(TIMEOUT_MS + TOLERANCE_MS);
    return ms;
  }

  it('deadline - a loop, a recursion tree and a tail-call cycle are stopped at the time limit in inline mode', async () => {
    const t = (current = await startRuntime({ fixtures: ['loop', 'fib', 'tail-cycle', 'echo'], inline: true, limits: { timeoutMs: TIMEOUT_MS } }));
    for (const { fn, body } of RUNAWAYS) await expectStopped(t, fn, body);
    const echo = await t.runtime.invoke('echo', makeRequest({ bodyText: 'still here' }));
    expect(echo.kind === 'output' && text(echo.output)).toBe('still here');
    const fib = await t.runtime.invoke('fib', makeRequest({ body: new Uint8Array(20) }));
    expect(fib.kind === 'output' && new DataView(fib.output.buffer, fib.output.byteOffset).getUint32(0, true)).toBe(6765);
  });

  it('deadline - on the calling thread a time limit shorter than the inline budget stops the call there', async () => {
    const t = (current = await startRuntime({ fixtures: ['loop', 'fib', 'tail-cycle'], inline: false, workers: 1, inlineBudgetMs: 5_000, limits: { timeoutMs: TIMEOUT_MS } }));
    for (const { fn, body } of RUNAWAYS) {
      expect(t.runtime.stats().functions[fn]?.lane).toBe('calling-thread');
      await expectStopped(t, fn, body);
    }
    expect(t.runtime.stats()).toMatchObject({ relocations: 0, workers: 0 });
  });

  it('deadline - on a worker each runaway is stopped at the time limit inside the worker, which serves on without a restart', async () => {
    const t = (current = await startRuntime({ fixtures: ['loop', 'fib', 'tail-cycle', 'echo'], inline: false, placement: 'workers', workers: 1, limits: { timeoutMs: TIMEOUT_MS } }));
    for (const { fn, body } of RUNAWAYS) {
      await expectStopped(t, fn, body);
      // the worker is free again as soon as its guest stopped itself: well before TIMEOUT_GRACE_MS would replace it
      const after = performance.now();
      const echo = await t.runtime.invoke('echo', makeRequest({ bodyText: `after ${fn}` }));
      expect(echo.kind === 'output' && text(echo.output)).toBe(`after ${fn}`);
      expect(performance.now() - after).toBeLessThan(TOLERANCE_MS);
    }
    expect(t.runtime.stats()).toMatchObject({ workers: 1, timeouts: 3, workerRestarts: 0 });
  });

  it('deadline - a guest sleeping in poll_oneoff on a worker is woken at its time limit; the worker serves on', async () => {
    const t = (current = await startRuntime({ fixtures: ['sleep', 'echo'], inline: false, placement: 'workers', workers: 1, limits: { timeoutMs: TIMEOUT_MS } }));
    await expectStopped(t, 'sleep', new Uint8Array(10_000)); // a 10 s sleep
    const after = performance.now();
    const echo = await t.runtime.invoke('echo', makeRequest({ bodyText: 'awake' }));
    expect(echo.kind === 'output' && text(echo.output)).toBe('awake');
    expect(performance.now() - after).toBeLessThan(TOLERANCE_MS);
    const short = await t.runtime.invoke('sleep', makeRequest({ body: new Uint8Array(20) }));
    expect(short.kind === 'output' && short.output.length).toBe(20);
    expect(t.runtime.stats()).toMatchObject({ workers: 1, timeouts: 1, workerRestarts: 0 });
  });

  it('deadline - a start function that never returns is stopped at the time limit, inline and on a worker', async () => {
    const inline = await startRuntime({ fixtures: ['start-loop'], inline: true, limits: { timeoutMs: TIMEOUT_MS } });
    const here = await expectStopped(inline, 'start-loop', new Uint8Array(0));
    expect(here).toBeLessThan(TIMEOUT_MS + TOLERANCE_MS);
    await inline.runtime.close();
    const t = (current = await startRuntime({ fixtures: ['start-loop', 'echo'], inline: false, placement: 'workers', workers: 1, limits: { timeoutMs: TIMEOUT_MS } }));
    for (let i = 0; i < 2; i += 1) {
      await expectStopped(t, 'start-loop', new Uint8Array(0));
      // the worker does not spend another time limit starting a spare instance that cannot start
      const after = performance.now();
      const echo = await t.runtime.invoke('echo', makeRequest({ bodyText: 'next' }));
      expect(echo.kind === 'output' && text(echo.output)).toBe('next');
      expect(performance.now() - after).toBeLessThan(TOLERANCE_MS);
    }
    expect(t.runtime.stats()).toMatchObject({ workers: 1, timeouts: 2, workerRestarts: 0 });
  });
});
