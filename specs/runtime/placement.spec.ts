import { afterEach, describe, expect, it, vi } from 'vitest';
import { BUDGET_STRIKES, FunctionPlacement, SLOW_SAMPLES, WARMUP_CALLS } from '../../src/runtime/placement.js';
import type { RunOutcome } from '../../src/runtime/outcome.js';
import type { Ticket } from '../../src/runtime/pool.js';
import { makeRequest, text } from './support/driver.js';
import { startRuntime, type TestRuntime } from './support/runtime.js';

const OPTIONS = { budgetMs: 10, slowMs: 1, timeoutMs: 30_000 };

describe('placement - FunctionPlacement', () => {
  it('FunctionPlacement - a call on the calling thread gets the inline budget, or the time limit when that is shorter', () => {
    expect(new FunctionPlacement('calling-thread', 'test', OPTIONS).deadline(100)).toEqual({ at: 110, reason: 'budget', from: 100 });
    expect(new FunctionPlacement('calling-thread', 'test', { ...OPTIONS, timeoutMs: 5 }).deadline(100)).toEqual({ at: 105, reason: 'timeout', from: 100 });
    expect(new FunctionPlacement('calling-thread', 'test', { ...OPTIONS, timeoutMs: 10 }).deadline(100)).toEqual({ at: 110, reason: 'timeout', from: 100 });
  });

  it('FunctionPlacement - the warm-up calls are not judged; a window whose lower quartile is slow moves the function', () => {
    const placement = new FunctionPlacement('calling-thread', 'test', OPTIONS);
    for (let i = 0; i < WARMUP_CALLS; i += 1) expect(placement.ran(500)).toBeUndefined();
    for (let i = 0; i < SLOW_SAMPLES - 1; i += 1) expect(placement.ran(5)).toBeUndefined();
    expect(placement.lane).toBe('calling-thread');
    expect(placement.ran(5)).toBe('three quarters of its calls take more than 1 ms, the limit for the calling thread');
    expect(placement.lane).toBe('workers');
    expect(placement.reason).toBe('three quarters of its calls take more than 1 ms, the limit for the calling thread');
  });

  it('FunctionPlacement - a window moves it when its lower quartile is slow: three quarters of its calls, not one more', () => {
    const window = (slow: number): FunctionPlacement => {
      const placement = new FunctionPlacement('calling-thread', 'test', OPTIONS);
      for (let i = 0; i < WARMUP_CALLS; i += 1) placement.ran(0.1);
      for (let i = 0; i < SLOW_SAMPLES; i += 1) placement.ran(i < slow ? 50 : 0.1);
      return placement;
    };
    const quarter = SLOW_SAMPLES / 4;
    expect(window(SLOW_SAMPLES - quarter - 1).lane).toBe('calling-thread');
    expect(window(SLOW_SAMPLES - quarter).lane).toBe('workers');
    // the windows follow one another: a fast window, then a slow one
    const placement = window(0);
    for (let i = 0; i < SLOW_SAMPLES; i += 1) placement.ran(3);
    expect(placement.lane).toBe('workers');
  });

  it('FunctionPlacement - a blocking call moves it at once, budget overruns after BUDGET_STRIKES; it moves once', () => {
    const blocked = new FunctionPlacement('calling-thread', 'test', OPTIONS);
    expect(blocked.relocated({ kind: 'relocate', reason: 'blocking', call: 'env.cache_get' })).toBe('it called env.cache_get');
    expect(blocked.lane).toBe('workers');
    expect(blocked.relocated({ kind: 'relocate', reason: 'blocking', call: 'wasi poll_oneoff' })).toBeUndefined();
    expect(blocked.reason).toBe('it called env.cache_get');

    const slow = new FunctionPlacement('calling-thread', 'test', OPTIONS);
    for (let i = 1; i < BUDGET_STRIKES; i += 1) {
      expect(slow.relocated({ kind: 'relocate', reason: 'budget' })).toBeUndefined();
      expect(slow.lane).toBe('calling-thread');
    }
    expect(slow.relocated({ kind: 'relocate', reason: 'budget' })).toBe(`${BUDGET_STRIKES} of its calls ran past the inline budget of 10 ms`);
    expect(slow.lane).toBe('workers');
    expect(slow.relocated({ kind: 'relocate', reason: 'budget' })).toBeUndefined();

    const workers = new FunctionPlacement('workers', 'runtime.placement is workers', OPTIONS);
    for (let i = 0; i < 100; i += 1) workers.ran(50);
    expect(workers.relocated({ kind: 'relocate', reason: 'blocking' })).toBeUndefined();
    expect(workers.reason).toBe('runtime.placement is workers');
  });
});

/** Runs `count` calls with execute() at once; resolves with each call's outcomes (every delivery, to catch a second one). */
let batches = 0;
async function executeAll(t: TestRuntime, name: string, bodies: readonly Uint8Array[]): Promise<RunOutcome[][]> {
  batches += 1;
  const deliveries: RunOutcome[][] = bodies.map(() => []);
  let pending = bodies.length;
  let resolveAll: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (resolveAll = resolve));
  const tickets: Array<Ticket | undefined> = [];
  bodies.forEach((body, i) => {
    tickets.push(
      t.runtime.execute(name, makeRequest({ body, id: `${name}-${batches}-${i}` }), (outcome) => {
        deliveries[i]?.push(outcome);
        pending -= 1;
        if (pending === 0) resolveAll();
      }),
    );
  });
  await all;
  await new Promise((resolve) => setTimeout(resolve, 100)); // room for a second delivery, which must not come
  return deliveries;
}

/** `n` bytes, all `fill`: distinct inputs of a chosen length (the fixtures sleep or spin for their input's length). */
const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

describe('placement - through the runtime', () => {
  let current: TestRuntime | undefined;
  afterEach(async () => {
    await current?.runtime.close();
    current = undefined;
  });

  it('placement - a pure function runs on the calling thread, completes before execute returns, and no worker starts', async () => {
    // No slicing, however busy the machine (that is the spec above): every call completes inside execute.
    const t = (current = await startRuntime({ fixtures: ['echo'], inline: false, workers: 2, inlineLagLimitMs: Number.POSITIVE_INFINITY }));
    expect(t.runtime.stats().functions['echo']).toMatchObject({ lane: 'calling-thread', placement: 'it is instrumented and imports no asynchronous host function' });
    for (let i = 0; i < 50; i += 1) {
      let got: RunOutcome | undefined;
      const ticket = t.runtime.execute('echo', makeRequest({ bodyText: `call ${i}` }), (outcome) => (got = outcome));
      expect(ticket).toBeUndefined();
      expect(got?.kind === 'output' && text(got.output)).toBe(`call ${i}`);
    }
    expect(t.runtime.stats()).toMatchObject({ mode: 'workers', workers: 0, relocations: 0 });
    expect(t.runtime.stats().functions['echo']).toMatchObject({ lane: 'calling-thread', calls: 50, failures: 0 });
  });

  it('placement - behind time, past 5 ms of calls in one turn, calls wait for the next turns (with a ticket), in order; timers run between slices', async () => {
    // inlineLagLimitMs 0: the loop counts as behind time from the start (by default, from a lag of 50 ms).
    const t = (current = await startRuntime({ fixtures: ['spin'], inline: false, workers: 1, slowCallMs: 100, inlineLagLimitMs: 0 }));
    expect(t.runtime.stats().functions['spin']).toMatchObject({ lane: 'calling-thread' });
    const order: number[] = [];
    let timerAt = -1;
    setTimeout(() => (timerAt = order.length), 0);
    const tickets: Array<unknown> = [];
    // Ten calls of 2 ms each, made in one turn: the first (up to three) fill the 5 ms slice, the rest wait.
    for (let i = 0; i < 10; i += 1) {
      tickets.push(
        t.runtime.execute('spin', makeRequest({ body: bytes(2, i) }), (outcome) => {
          if (outcome.kind === 'output') order.push(outcome.output[0] as number);
        }),
      );
    }
    const ranAtOnce = tickets.findIndex((ticket) => ticket !== undefined);
    expect(ranAtOnce).toBeGreaterThanOrEqual(1);
    expect(ranAtOnce).toBeLessThanOrEqual(3);
    expect(tickets.slice(ranAtOnce).every((ticket) => ticket !== undefined)).toBe(true);
    expect(t.runtime.stats().queued).toBe(10 - ranAtOnce);
    await vi.waitFor(() => expect(order).toHaveLength(10), { timeout: 5_000, interval: 5 });
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The timer fired after the first slice and before the last call: the waiting calls did not hold the thread.
    expect(timerAt).toBeGreaterThanOrEqual(ranAtOnce);
    expect(timerAt).toBeLessThan(10);
    expect(t.runtime.stats()).toMatchObject({ workers: 0, relocations: 0, queued: 0 });
  });

  it('placement - a call waiting for the next turn can be cancelled: it never runs', async () => {
    const t = (current = await startRuntime({ fixtures: ['spin'], inline: false, workers: 1, slowCallMs: 100, inlineLagLimitMs: 0 }));
    const done: number[] = [];
    const tickets = Array.from({ length: 5 }, (_, i) => t.runtime.execute('spin', makeRequest({ body: bytes(3, i) }), () => done.push(i)));
    expect(tickets[4]).toBeDefined();
    tickets[4]?.cancel();
    await vi.waitFor(() => expect(done).toHaveLength(4), { timeout: 5_000, interval: 5 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(done).toEqual([0, 1, 2, 3]);
  });

  it('placement - while the loop lags less than inlineLagLimitMs, calls run at once however long the turn', async () => {
    // A limit no loop reaches here, so that a busy machine does not make the loop count as behind.
    const t = (current = await startRuntime({ fixtures: ['spin'], inline: false, workers: 1, slowCallMs: 100, inlineLagLimitMs: 10_000 }));
    const tickets = Array.from({ length: 6 }, (_, i) => t.runtime.execute('spin', makeRequest({ body: bytes(2, i) }), () => undefined));
    expect(tickets).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
  });

  it('placement - a function importing an asynchronous host call starts on the workers', async () => {
    const t = (current = await startRuntime({ fixtures: ['exclusive'], inline: false, workers: 1 }));
    expect(t.runtime.stats().functions['exclusive']).toMatchObject({ lane: 'workers', placement: 'it imports asynchronous host functions (cache_get)' });
    const result = await t.runtime.invoke('exclusive', makeRequest());
    expect(result.kind === 'output' && result.output[0]).toBe(1);
    expect(t.services.calls.map((c) => c.op)).toEqual(['cacheGet']);
    expect(t.runtime.stats()).toMatchObject({ workers: 1, relocations: 0 });
  });

  it('placement - a function that sleeps moves to the workers on its first call; one "sleeping" line per call', async () => {
    const t = (current = await startRuntime({ fixtures: ['sleep'], inline: false, workers: 2 }));
    expect(t.runtime.stats().functions['sleep']?.lane).toBe('calling-thread');
    const first = await executeAll(t, 'sleep', [bytes(5, 1)]);
    expect(t.runtime.stats().functions['sleep']).toMatchObject({ lane: 'workers', placement: 'it called wasi poll_oneoff' });
    const rest = await executeAll(t, 'sleep', [2, 3, 4, 5, 6].map((fill) => bytes(5, fill)));
    for (const [i, delivered] of [...first, ...rest].entries()) {
      expect(delivered).toHaveLength(1);
      const outcome = delivered[0] as RunOutcome;
      expect(outcome.kind === 'output' && [...outcome.output]).toEqual([...bytes(5, i + 1)]);
    }
    const sleeping = t.lines.filter((l) => l.msg === 'sleeping').map((l) => l.request_id ?? '');
    expect(sleeping).toHaveLength(6);
    expect(new Set(sleeping).size).toBe(6); // one line for each call, none for the abandoned attempt
    expect(t.runtime.stats()).toMatchObject({ relocations: 1 });
    expect(t.runtime.stats().functions['sleep']).toMatchObject({ calls: 6, failures: 0 });
    expect(t.lines.filter((l) => l.msg.startsWith('sleep runs on the worker threads from now on')).map((l) => l.msg)).toEqual([
      'sleep runs on the worker threads from now on: it called wasi poll_oneoff',
    ]);
  });

  it('placement - an instance whose init blocks starts on a worker; its init prints once', async () => {
    const t = (current = await startRuntime({ fixtures: ['init-sleep'], inline: false, workers: 1 }));
    const result = await t.runtime.invoke('init-sleep', makeRequest({ bodyText: 'started' }));
    expect(result.kind === 'output' && text(result.output)).toBe('started');
    expect(t.runtime.stats().functions['init-sleep']).toMatchObject({ lane: 'workers', placement: 'it called wasi poll_oneoff' });
    expect(t.lines.filter((l) => l.msg === 'starting')).toHaveLength(1);
  });

  it(`placement - a function that always runs past the inline budget moves after ${BUDGET_STRIKES} overruns; each call answers once`, async () => {
    const t = (current = await startRuntime({ fixtures: ['spin'], inline: false, workers: 2, inlineBudgetMs: 5 }));
    for (let call = 1; call <= BUDGET_STRIKES + 2; call += 1) {
      // 80 ms of work: well past the budget even on a cold instance, whose first clock read comes only after
      // INITIAL_FUEL checks (about 20 ms into this loop, measured, before the code is optimised)
      const [delivered] = await executeAll(t, 'spin', [bytes(80, call)]);
      expect(delivered).toHaveLength(1);
      const outcome = (delivered as RunOutcome[])[0] as RunOutcome;
      expect(outcome.kind === 'output' && [...outcome.output]).toEqual([...bytes(80, call)]);
      expect(t.runtime.stats().relocations).toBe(Math.min(call, BUDGET_STRIKES));
      expect(t.runtime.stats().functions['spin']?.lane).toBe(call < BUDGET_STRIKES ? 'calling-thread' : 'workers');
    }
    expect(t.runtime.stats().functions['spin']).toMatchObject({ placement: `${BUDGET_STRIKES} of its calls ran past the inline budget of 5 ms`, calls: BUDGET_STRIKES + 2 });
  });

  it('placement - a slow function under the budget moves after the warm-up and one window of calls', async () => {
    const t = (current = await startRuntime({ fixtures: ['spin'], inline: false, workers: 1, inlineBudgetMs: 200, slowCallMs: 1 }));
    const window = WARMUP_CALLS + SLOW_SAMPLES;
    for (let call = 1; call <= window + 2; call += 1) {
      const [delivered] = await executeAll(t, 'spin', [bytes(3, call)]); // 3 ms of work
      const outcome = (delivered as RunOutcome[])[0] as RunOutcome;
      expect(outcome.kind === 'output' && [...outcome.output]).toEqual([...bytes(3, call)]);
      expect(t.runtime.stats().functions['spin']?.lane, `after call ${call}`).toBe(call < window ? 'calling-thread' : 'workers');
    }
    expect(t.runtime.stats().relocations).toBe(0);
    expect(t.runtime.stats().functions['spin']?.placement).toBe('three quarters of its calls take more than 1 ms, the limit for the calling thread');
  }, 30_000);

  it("placement - 'workers' keeps every function on the workers", async () => {
    const t = (current = await startRuntime({ fixtures: ['echo', 'spin', 'sleep'], inline: false, workers: 2, placement: 'workers' }));
    for (const name of ['echo', 'spin', 'sleep']) expect(t.runtime.stats().functions[name]).toMatchObject({ lane: 'workers', placement: 'runtime.placement is workers' });
    const outcomes = await executeAll(t, 'echo', Array.from({ length: 60 }, (_, i) => bytes(4, i)));
    outcomes.forEach((delivered, i) => {
      expect(delivered).toHaveLength(1);
      const outcome = delivered[0] as RunOutcome;
      expect(outcome.kind === 'output' && [...outcome.output]).toEqual([...bytes(4, i)]);
    });
    await executeAll(t, 'spin', [bytes(20, 1), bytes(20, 2)]);
    await executeAll(t, 'sleep', [bytes(5, 1)]);
    expect(t.runtime.stats()).toMatchObject({ relocations: 0, workers: 2 });
    for (const name of ['echo', 'spin', 'sleep']) expect(t.runtime.stats().functions[name]?.lane).toBe('workers');
  });

  it('placement - relocated calls made at once each answer exactly once, with their own result', async () => {
    const t = (current = await startRuntime({ fixtures: ['sleep', 'spin'], inline: false, workers: 2, inlineBudgetMs: 5 }));
    const sleeps = executeAll(t, 'sleep', Array.from({ length: 12 }, (_, i) => bytes(3, i)));
    const spins = executeAll(t, 'spin', Array.from({ length: 12 }, (_, i) => bytes(60, i)));
    for (const deliveries of [await sleeps, await spins]) {
      deliveries.forEach((delivered, i) => {
        expect(delivered).toHaveLength(1);
        const outcome = delivered[0] as RunOutcome;
        expect(outcome.kind === 'output' && outcome.output[0]).toBe(i);
      });
    }
    // the sleeper moved at its first call; the spinner ran on this thread (one at a time) until its third overrun
    expect(t.runtime.stats().relocations).toBe(1 + BUDGET_STRIKES);
    expect(t.runtime.stats().functions['sleep']).toMatchObject({ calls: 12, lane: 'workers' });
    expect(t.runtime.stats().functions['spin']).toMatchObject({ calls: 12, lane: 'workers' });
    const sleeping = t.lines.filter((l) => l.msg === 'sleeping').map((l) => l.request_id ?? '');
    expect(sleeping).toHaveLength(12);
    expect(new Set(sleeping).size).toBe(12);
  });
});
