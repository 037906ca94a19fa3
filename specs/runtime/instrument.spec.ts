import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CAPABILITIES } from '../../src/directive/capability-config.js';
import { Meter } from '../../src/runtime/deadline.js';
import { InlineLane } from '../../src/runtime/inline.js';
import { FUEL_EXPORT, instrumentDeadlines, METER_IMPORT, METER_MODULE, NotInstrumentable } from '../../src/runtime/instrument.js';
import { pagesOf, resolveLimits } from '../../src/runtime/limits.js';
import { pinoSink } from '../../src/runtime/log-sink.js';
import { prepareModule } from '../../src/runtime/module-info.js';
import type { RunOutcome } from '../../src/runtime/outcome.js';
import type { FunctionRequest } from '../../src/runtime/request.js';
import { createRuntime, type Runtime } from '../../src/runtime/runtime.js';
import { capMemoryMaximum, readModuleLayout } from '../../src/runtime/wasm-binary.js';
import { compileAssemblyScript, compileWat, compileWatSource, watOf } from '../support/wasm.js';
import { captureLogger, FakeServices, makeRequest, Program, text } from './support/driver.js';
import { elementFlags, interfaceOf, repositoryFile, repositoryWasm, watFixtures } from './support/modules.js';

const LIMITS = resolveLimits({ timeoutMs: 2_000, maxMemoryMb: 32 });
const ALL_FEATURES = { simd: true, threads: true, exceptions: true, tail_call: true, reference_types: true, sat_float_to_int: true } as const;

type Exports = Record<string, (...args: never[]) => unknown>;

/** Instantiates an instrumented binary with a meter (no deadline) and `imports`; the meter is bound and armed. */
function instantiateMetered(bytes: Uint8Array, imports: WebAssembly.Imports = {}): { exports: Exports; meter: Meter; fuel: WebAssembly.Global } {
  const meter = new Meter();
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { ...imports, [METER_MODULE]: { [METER_IMPORT]: meter.check } });
  const fuel = instance.exports[FUEL_EXPORT] as WebAssembly.Global;
  meter.bind(fuel);
  meter.arm(undefined);
  return { exports: instance.exports as Exports, meter, fuel };
}

/** An asymmetric matcher, typed for object literals. */
const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern) as unknown;

/** What calling `fn` gave: its value, or the error's class and message. */
function outcomeOf(fn: () => unknown): unknown {
  try {
    const value = fn();
    return { value: typeof value === 'bigint' ? `${value}n` : value };
  } catch (error) {
    return { error: `${(error as Error).constructor.name}: ${(error as Error).message}` };
  }
}

/** Instruments `original`, checks the result validates, and returns both instances' exports. */
function both(original: Uint8Array, imports: WebAssembly.Imports = {}): { original: Exports; metered: Exports; fuel: WebAssembly.Global } {
  const instrumented = instrumentDeadlines(original).bytes;
  expect(WebAssembly.validate(instrumented)).toBe(true);
  const metered = instantiateMetered(instrumented, imports);
  const plain = new WebAssembly.Instance(new WebAssembly.Module(original), imports).exports as Exports;
  return { original: plain, metered: metered.exports, fuel: metered.fuel };
}

/** Calls `name` with each argument list on both instances and expects the same outcomes. */
function expectSame(pair: { original: Exports; metered: Exports }, name: string, argLists: ReadonlyArray<readonly unknown[]>): unknown[] {
  const outcomes = argLists.map((args) => outcomeOf(() => (pair.original[name] as (...a: unknown[]) => unknown)(...args)));
  const metered = argLists.map((args) => outcomeOf(() => (pair.metered[name] as (...a: unknown[]) => unknown)(...args)));
  expect(metered).toEqual(outcomes);
  return outcomes;
}

// ----- every module of the repository, through the runtime -----

/** The fixtures that never return (the instrumented module is stopped at its deadline; the original would hang). */
const NEVER_RETURNS: ReadonlySet<string> = new Set(['loop', 'tail-cycle', 'start-loop']);

/** The requests every Runnable gets, instrumented and not. */
function requestsFor(name: string): FunctionRequest[] {
  if (name === 'hostcall') {
    const program = new Program();
    program.call('log_msg', ...program.str('from hostcall'), 3).call('request_get_field', 0, ...program.str('method')).collect().returnOutput();
    return [makeRequest({ body: program.build(), id: 'hostcall' })];
  }
  if (name === 'fib') return [0, 1, 2, 10, 25].map((n) => makeRequest({ body: new Uint8Array(n) }));
  const json = JSON.stringify({ name: 'ada', email: 'ada@example.com', id: '1', amount: 12.5, items: [1, 2, 3] });
  return [
    makeRequest({ method: 'POST', url: '/hello/ada', bodyText: 'world', params: { name: 'ada', id: '1' }, headers: { 'content-type': 'text/plain' }, state: { first: new TextEncoder().encode('x') } }),
    makeRequest({ method: 'POST', url: '/users/1', bodyText: json, params: { id: '1' }, headers: { 'content-type': 'application/json' } }),
    makeRequest({ method: 'GET', url: '/greet/', params: { name: '' } }),
    makeRequest({ method: 'POST', url: '/hello/ada', bodyText: 'panic', params: { name: 'ada' } }),
    makeRequest({ method: 'POST', url: '/x', bodyText: 'abort' }),
  ];
}

/** An outcome as plain, comparable data (the request only by what the guest changed). */
function comparable(outcome: RunOutcome): unknown {
  switch (outcome.kind) {
    case 'output':
      return { kind: 'output', output: text(outcome.output), respHeaders: outcome.request.respHeaders, state: outcome.request.state };
    case 'runError':
      return { kind: 'runError', code: outcome.code, message: outcome.message };
    case 'none':
      return { kind: 'none' };
    case 'failure':
      return { kind: 'failure', code: outcome.failure.code, message: outcome.failure.message };
  }
}

/** Runs `bytes` instrumented (createRuntime, inline mode) and as it is (an inline lane given the original module). */
async function compareThroughRuntime(name: string, bytes: Uint8Array): Promise<{ instrumented: unknown[]; original: unknown[] }> {
  const instrumentedLog = captureLogger();
  const runtime: Runtime = createRuntime({
    capabilities: DEFAULT_CAPABILITIES,
    services: new FakeServices(),
    logger: instrumentedLog.logger,
    inline: true,
    freshInstancePerCall: true,
    limits: LIMITS,
  });
  const originalLog = captureLogger();
  try {
    const info = await runtime.register(name, bytes);
    expect(info.metered).toBe(true);
    const prepared = await prepareModule(name, bytes, pagesOf(LIMITS.maxMemoryMb));
    const lane = new InlineLane({ capabilities: DEFAULT_CAPABILITIES, secrets: {}, log: pinoSink(originalLog.logger), limits: LIMITS, fresh: true, instances: 1, speculative: false });
    const module = await WebAssembly.compile(capMemoryMaximum(bytes, pagesOf(LIMITS.maxMemoryMb)));
    lane.register({ name, version: 1, module, plan: prepared.plan.filter((binding) => binding.kind !== 'meter') });
    lane.prewarm(name, { at: performance.now() + LIMITS.timeoutMs, reason: 'timeout' }); // as register() does
    const instrumented: unknown[] = [];
    const original: unknown[] = [];
    for (const request of requestsFor(name)) {
      instrumentedLog.lines.length = 0;
      originalLog.lines.length = 0;
      let ran: RunOutcome | undefined;
      runtime.execute(name, request, (outcome) => (ran = outcome));
      if (ran === undefined) throw new Error('an inline call did not complete before execute returned');
      const plain = lane.run(name, request, { at: performance.now() + LIMITS.timeoutMs, reason: 'timeout' });
      if (plain.kind === 'relocate') throw new Error('an inline-mode lane relocated a call');
      const lines = (log: typeof originalLog): string[] => log.lines.filter((l) => l.fn === name).map((l) => `${l.level} ${l.msg}`);
      instrumented.push({ ...(comparable(ran) as object), log: lines(instrumentedLog) });
      original.push({ ...(comparable(plain) as object), log: lines(originalLog) });
    }
    return { instrumented, original };
  } finally {
    await runtime.close();
  }
}

/** Imports that record every call of a non-Runnable module (functions answer 0 of their result type). */
function recordingImports(bytes: Uint8Array, calls: string[]): WebAssembly.Imports {
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const entry of readModuleLayout(bytes).imports) {
    const target = (imports[entry.module] ??= {});
    if (entry.desc.kind === 'function') {
      const result = entry.desc.type.results[0];
      target[entry.name] = (...args: unknown[]) => {
        calls.push(`${entry.module}.${entry.name}(${args.map(String).join(',')})`);
        return result === 'i64' ? 0n : result === undefined ? undefined : 0;
      };
    } else if (entry.desc.kind === 'memory') target[entry.name] = new WebAssembly.Memory({ initial: entry.desc.limits.min });
  }
  return imports;
}

const modules: Array<{ name: string; bytes: () => Promise<Uint8Array> }> = [];
for (const fixture of await watFixtures()) {
  modules.push({
    name: `${fixture}.wat`,
    bytes: () =>
      fixture === 'every-immediate'
        ? readFile(new URL('../fixtures/wasm/every-immediate.wat', import.meta.url), 'utf8').then((source) => compileWatSource(source, fixture, { features: ALL_FEATURES }))
        : compileWat(fixture),
  });
}
modules.push({ name: 'as-runnable.ts', bytes: () => compileAssemblyScript('as-runnable') });
for (const path of await repositoryWasm()) modules.push({ name: path, bytes: () => repositoryFile(path) });

describe('instrument - every module of the repository', () => {

  it('instrumentDeadlines - the repository has the modules this suite expects', () => {
    const names = modules.map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['specs/fixtures/rust/hello-rs.wasm', 'examples/hello/hello.wasm', 'examples/users/create-user.wasm', 'echo.wat', 'loop.wat']));
    expect(names.length).toBeGreaterThanOrEqual(40);
  });

  for (const { name, bytes: load } of modules) {
    it(`instrumentDeadlines - ${name}: validates, keeps its imports and exports, adds the meter import and the fuel export`, async () => {
      const bytes = await load();
      const result = instrumentDeadlines(bytes);
      expect(WebAssembly.validate(result.bytes)).toBe(true);
      const before = interfaceOf(bytes);
      const after = interfaceOf(result.bytes);
      expect(after.imports).toEqual([...before.imports, `${METER_MODULE}.${METER_IMPORT}:function`]);
      expect(after.exports).toEqual([...before.exports, `${FUEL_EXPORT}:global`]);
      expect(result.functions).toBe(countDefinedFunctions(await watOf(bytes, ALL_FEATURES)));
    });

    const shortName = name.replace(/^.*\//, '').replace(/\.(wat|wasm|ts)$/, '');
    it(`instrumentDeadlines - ${name}: a call through the runtime gives the same outcome instrumented and not`, async () => {
      const bytes = await load();
      const exports = interfaceOf(bytes).exports;
      if (NEVER_RETURNS.has(shortName)) {
        // The original never returns, and nothing could stop it on this thread: deadline.spec.ts has these.
        const runtime = createRuntime({ capabilities: DEFAULT_CAPABILITIES, services: new FakeServices(), logger: captureLogger().logger, inline: true, limits: { timeoutMs: 100 } });
        await runtime.register(shortName, bytes);
        await expect(runtime.invoke(shortName, makeRequest())).rejects.toMatchObject({ code: 'E2RX_WASM_TIMEOUT' });
        await runtime.close();
        return;
      }
      if (!exports.includes('run_e:function')) {
        // Not a Runnable: call each exported function directly, with imports that record what they were called with.
        const originalCalls: string[] = [];
        const meteredCalls: string[] = [];
        const plain = new WebAssembly.Instance(new WebAssembly.Module(bytes), recordingImports(bytes, originalCalls)).exports as Exports;
        const metered = instantiateMetered(instrumentDeadlines(bytes).bytes, recordingImports(bytes, meteredCalls)).exports;
        const functions = exports.filter((e) => e.endsWith(':function')).map((e) => e.slice(0, -':function'.length));
        expect(functions.length).toBeGreaterThan(0);
        for (const fn of functions) {
          // (not 0: bench-wasi's loops count down from their argument and would run 2^32 times)
          for (const arg of [1, 3]) {
            expect(outcomeOf(() => (metered[fn] as (n: number) => unknown)(arg))).toEqual(outcomeOf(() => (plain[fn] as (n: number) => unknown)(arg)));
          }
        }
        expect(meteredCalls).toEqual(originalCalls);
        return;
      }
      const { instrumented, original } = await compareThroughRuntime(shortName, bytes);
      expect(instrumented).toEqual(original);
      expect(original.length).toBeGreaterThan(0);
    });
  }
});

function countDefinedFunctions(wat: string): number {
  return wat.split('\n').filter((line) => /^\s*\(func\b/.test(line) && !/^\s*\(import/.test(line)).length;
}

// ----- hand-written modules, one per rewrite -----

describe('instrument - rewrites', () => {
  it('instrumentDeadlines - nested loops and br_table out of loops: same results, one check per loop header', async () => {
    const bytes = await compileWatSource(`(module
      (func (export "nested") (param $n i32) (result i32)
        (local $i i32) (local $j i32) (local $acc i32)
        (block $done
          (loop $outer
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $j (i32.const 0))
            (loop $inner
              (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $i) (local.get $j))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br_if $inner (i32.lt_u (local.get $j) (local.get $i))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $outer)))
        (local.get $acc))
      (func (export "machine") (param $steps i32) (result i32)
        (local $state i32) (local $trace i32)
        (block $exit
          (loop $run
            (local.set $steps (i32.sub (local.get $steps) (i32.const 1)))
            (br_if $exit (i32.lt_s (local.get $steps) (i32.const 0)))
            (local.set $trace (i32.add (i32.mul (local.get $trace) (i32.const 3)) (local.get $state)))
            (block $s2
              (block $s1
                (block $s0 (br_table $s0 $s1 $s2 $exit (local.get $state)))
                (local.set $state (i32.const 1))
                (br $run))
              (local.set $state (i32.const 2))
              (br $run))
            (local.set $state (select (i32.const 0) (i32.const 3) (i32.and (local.get $trace) (i32.const 1))))
            (br $run)))
        (local.get $trace)))`);
    const result = instrumentDeadlines(bytes);
    expect(result).toMatchObject({ functions: 2, loopChecks: 3, entryChecks: 0 });
    const pair = both(bytes);
    const nested = (n: number): number => {
      let acc = 0;
      for (let i = 0; i < n; i += 1) for (let j = 0; j < Math.max(1, i); j += 1) acc = (acc + i * j) | 0;
      return acc;
    };
    expect(expectSame(pair, 'nested', [[0], [1], [10], [300]])).toEqual([0, 1, 10, 300].map((n) => ({ value: nested(n) })));
    expectSame(pair, 'machine', [[0], [1], [5], [9], [40]]);
    // one check per iteration of each loop: nested(10) runs the outer header 11 times and the inner one 1 + 1 + ... + 9
    pair.fuel.value = 1_000_000;
    (pair.metered['nested'] as (n: number) => number)(10);
    expect(1_000_000 - (pair.fuel.value as number)).toBe(11 + 1 + 45);
  });

  it('instrumentDeadlines - direct and mutual recursion: same results, one check per entry of a function that calls', async () => {
    const bytes = await compileWatSource(`(module
      (func $fact (export "fact") (param $n i64) (result i64)
        (if (result i64) (i64.le_u (local.get $n) (i64.const 1))
          (then (i64.const 1))
          (else (i64.mul (local.get $n) (call $fact (i64.sub (local.get $n) (i64.const 1)))))))
      (func $even (export "even") (param $n i32) (result i32)
        (if (result i32) (i32.eqz (local.get $n)) (then (i32.const 1)) (else (call $odd (i32.sub (local.get $n) (i32.const 1))))))
      (func $odd (param $n i32) (result i32)
        (if (result i32) (i32.eqz (local.get $n)) (then (i32.const 0)) (else (call $even (i32.sub (local.get $n) (i32.const 1))))))
      (func $leaf (export "leaf") (param $n i32) (result i32) (i32.mul (local.get $n) (local.get $n)))
      (func $fib (export "fib") (param $n i32) (result i32)
        (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
          (then (local.get $n))
          (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1))) (call $fib (i32.sub (local.get $n) (i32.const 2))))))))`);
    expect(instrumentDeadlines(bytes)).toMatchObject({ functions: 5, loopChecks: 0, entryChecks: 4 });
    const pair = both(bytes);
    expectSame(pair, 'fact', [[0n], [1n], [20n], [25n]]);
    expectSame(pair, 'even', [[0], [1], [10], [7777]]);
    expectSame(pair, 'leaf', [[12]]);
    expect(expectSame(pair, 'fib', [[0], [1], [20]])).toEqual([{ value: 0 }, { value: 1 }, { value: 6765 }]);
    pair.fuel.value = 1_000_000;
    (pair.metered['fib'] as (n: number) => number)(10);
    expect(1_000_000 - (pair.fuel.value as number)).toBe(177); // fib(10) enters fib 177 times
    const before = pair.fuel.value as number;
    (pair.metered['leaf'] as (n: number) => number)(3);
    expect(pair.fuel.value).toBe(before); // a function without calls or loops is not checked
  });

  it('instrumentDeadlines - return_call and return_call_indirect stay tail calls (Node 20 runs them without a flag)', async () => {
    const bytes = await compileWatSource(
      `(module
        (type $step (func (param i32 i64) (result i64)))
        (table 2 funcref)
        (elem (i32.const 0) $down $via)
        (func $down (export "down") (param $n i32) (param $acc i64) (result i64)
          (if (result i64) (i32.eqz (local.get $n))
            (then (local.get $acc))
            (else (return_call $down (i32.sub (local.get $n) (i32.const 1)) (i64.add (local.get $acc) (i64.extend_i32_u (local.get $n)))))))
        (func $via (export "via") (param $n i32) (param $acc i64) (result i64)
          (if (result i64) (i32.eqz (local.get $n))
            (then (local.get $acc))
            (else (return_call_indirect (type $step) (i32.sub (local.get $n) (i32.const 1)) (i64.add (local.get $acc) (i64.const 2)) (i32.const 1))))))`,
      'tail',
      { features: { tail_call: true } },
    );
    expect(instrumentDeadlines(bytes)).toMatchObject({ entryChecks: 2, loopChecks: 0 });
    const pair = both(bytes);
    // a million frames would overflow the stack if either were compiled as an ordinary call
    expect(expectSame(pair, 'down', [[1_000_000, 0n]])).toEqual([{ value: '500000500000n' }]);
    expect(expectSame(pair, 'via', [[1_000_000, 0n]])).toEqual([{ value: '2000000n' }]);
  });

  it('instrumentDeadlines - call_indirect through element segments of all eight forms, ref.func in globals and code', async () => {
    const bytes = await compileWatSource(`(module
      (type $i (func (result i32)))
      (table $t0 8 funcref)
      (table $t1 8 funcref)
      (global $g funcref (ref.func $d))
      (global $gm (mut funcref) (ref.null func))
      (func $a (result i32) (i32.const 1))
      (func $b (result i32) (i32.const 2))
      (func $c (result i32) (i32.const 3))
      (func $d (result i32) (i32.const 4))
      (func $e (result i32) (i32.const 5))
      (elem (i32.const 0) $a $b)
      (elem $p1 func $c)
      (elem (table $t1) (i32.const 0) func $b $a)
      (elem declare func $e)
      (elem (i32.const 2) funcref (ref.func $c) (ref.null func))
      (elem $p5 funcref (ref.func $d) (ref.null func))
      (elem (table $t1) (i32.const 2) funcref (ref.func $c) (ref.null func))
      (elem declare funcref (ref.func $a) (ref.null func))
      (func (export "t0") (param i32) (result i32) (call_indirect $t0 (type $i) (local.get 0)))
      (func (export "t1") (param i32) (result i32) (call_indirect $t1 (type $i) (local.get 0)))
      (func (export "init")
        (table.init $t0 $p1 (i32.const 4) (i32.const 0) (i32.const 1))
        (table.init $t0 $p5 (i32.const 5) (i32.const 0) (i32.const 2))
        (table.set $t0 (i32.const 7) (global.get $g))
        (global.set $gm (ref.func $e))
        (table.set $t1 (i32.const 7) (global.get $gm)))
      (func (export "fresh") (result funcref) (ref.func $e))
      (export "b" (func $b)))`);
    expect(elementFlags(bytes)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(elementFlags(instrumentDeadlines(bytes).bytes)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const pair = both(bytes);
    const indices = [[0], [1], [2], [3], [4], [5], [6], [7], [8]];
    expectSame(pair, 't0', indices);
    expectSame(pair, 't1', indices);
    expectSame(pair, 'init', [[]]);
    expect(expectSame(pair, 't0', indices)).toEqual([1, 2, 3, 'E', 3, 4, 'E', 4, 'E'].map((v) => (v === 'E' ? { error: matching(/RuntimeError/) } : { value: v })));
    expect(expectSame(pair, 't1', indices)).toEqual([2, 1, 3, 'E', 'E', 'E', 'E', 5, 'E'].map((v) => (v === 'E' ? { error: matching(/RuntimeError/) } : { value: v })));
    expect((pair.metered['b'] as () => number)()).toBe(2);
    expect(((pair.metered['fresh'] as () => () => number)())()).toBe(5);
  });

  it('instrumentDeadlines - a start function runs, renumbered, before anything else', async () => {
    const bytes = await compileWatSource(`(module
      (global $ready (mut i32) (i32.const 0))
      (func $helper (param $n i32) (result i32)
        (local $acc i32)
        (loop $l
          (local.set $acc (i32.add (local.get $acc) (local.get $n)))
          (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (local.get $acc))
      (func $init (global.set $ready (call $helper (i32.const 100))))
      (start $init)
      (func (export "ready") (result i32) (global.get $ready)))`);
    const pair = both(bytes);
    expect(expectSame(pair, 'ready', [[]])).toEqual([{ value: 5050 }]);
  });

  it('instrumentDeadlines - function and local names survive renumbered: stack traces name the right functions', async () => {
    const bytes = await compileWatSource(
      `(module
        (import "env" "boom" (func $host_boom))
        (func $outer_fn (export "run") (param $input i32) (local $counter i32) (call $middle_fn (local.get $input)))
        (func $middle_fn (param $depth i32) (local $unused i64) (call $inner_trap))
        (func $inner_trap unreachable))`,
      'names',
      { names: true },
    );
    const instrumented = instrumentDeadlines(bytes).bytes;
    const trace = (module: Uint8Array): string[] => {
      const imports = { env: { boom: () => undefined }, [METER_MODULE]: { [METER_IMPORT]: new Meter().check } };
      const instance = new WebAssembly.Instance(new WebAssembly.Module(module), imports);
      try {
        (instance.exports['run'] as (n: number) => void)(1);
      } catch (error) {
        return ((error as Error).stack ?? '').split('\n').filter((l) => l.includes('wasm-function')).map((l) => l.trim().replace(/ \(wasm:\/\/wasm\/[0-9a-f]+:/, ' ('));
      }
      throw new Error('no trap');
    };
    expect(trace(bytes)).toEqual([expect.stringMatching(/^at inner_trap \(wasm-function\[3\]/), expect.stringMatching(/^at middle_fn \(wasm-function\[2\]/), expect.stringMatching(/^at outer_fn \(wasm-function\[1\]/)]);
    expect(trace(instrumented)).toEqual([expect.stringMatching(/^at inner_trap \(wasm-function\[4\]/), expect.stringMatching(/^at middle_fn \(wasm-function\[3\]/), expect.stringMatching(/^at outer_fn \(wasm-function\[2\]/)]);
    const wat = await watOf(instrumented);
    expect(wat).toMatch(/\(func \$outer_fn \(type \d+\) \(param \$input i32\)\n\s+\(local \$counter i32\)/);
    expect(wat).toMatch(/\(func \$middle_fn \(type \d+\) \(param \$depth i32\)\n\s+\(local \$unused i64\)/);
    expect(wat).toMatch(/\(import "env" "boom" \(func \$host_boom/);
  });

  it('instrumentDeadlines - SIMD and bulk-memory instructions inside loops', async () => {
    const bytes = await compileWatSource(`(module
      (memory 1)
      (data $seed "0123456789abcdef")
      (func (export "mix") (param $n i32) (result i32)
        (local $i i32) (local $acc v128)
        (memory.fill (i32.const 0) (i32.const 7) (i32.const 1024))
        (memory.init $seed (i32.const 32) (i32.const 0) (i32.const 16))
        (loop $l
          (local.set $acc (i32x4.add (local.get $acc)
            (v128.load offset=16 (i32.and (i32.mul (local.get $i) (i32.const 16)) (i32.const 1008)))))
          (local.set $acc (i8x16.shuffle 1 0 3 2 5 4 7 6 9 8 11 10 13 12 15 14 (local.get $acc) (local.get $acc)))
          (memory.copy (i32.add (i32.const 2048) (local.get $i)) (i32.const 0) (i32.const 64))
          (v128.store offset=4096 (i32.const 0) (local.get $acc))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (i32.add (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))
          (i32.add (i32.load (i32.const 4100)) (i32.load8_u (i32.const 2100))))))`);
    expect(instrumentDeadlines(bytes)).toMatchObject({ loopChecks: 1 });
    expectSame(both(bytes), 'mix', [[1], [7], [100], [5000]]);
  });

  it('instrumentDeadlines - multi-value blocks, loops with parameters and multi-value results', async () => {
    const bytes = await compileWatSource(`(module
      (type $pair (func (param i32 i32) (result i32 i32)))
      (func $swap (param i32 i32) (result i32 i32) (local.get 1) (local.get 0))
      (func (export "pairs") (param $a i32) (param $b i32) (result i32 i32)
        (local.get $a) (local.get $b)
        (block (type $pair) (call $swap))
        (loop $l (param i32 i32) (result i32 i32)
          (local.set $b) (local.set $a)
          (local.set $a (i32.add (local.get $a) (i32.const 1)))
          (local.get $a) (local.get $b)
          (br_if $l (i32.lt_u (local.get $a) (i32.const 100)))))
      (func (export "sum") (param $n i32) (result i32)
        (i32.add (call $swap (local.get $n) (i32.const 5)))))`);
    expect(instrumentDeadlines(bytes)).toMatchObject({ loopChecks: 1, entryChecks: 2 });
    const pair = both(bytes);
    expect(expectSame(pair, 'pairs', [[1, 2], [200, 3]])).toEqual([{ value: [100, 1] }, { value: [100, 200] }]);
    expectSame(pair, 'sum', [[37]]);
  });

  it('instrumentDeadlines - memory arguments with large offsets are copied as they are', async () => {
    const bytes = await compileWatSource(`(module
      (memory 2)
      (data (i32.const 65532) "\\2a\\00\\00\\00")
      (func (export "far") (param $p i32) (result i32) (i32.load offset=4294967295 (local.get $p)))
      (func (export "near") (param $p i32) (result i32) (i32.load offset=65532 align=1 (local.get $p)))
      (func (export "wide") (param $p i32) (result i64) (i64.load32_u offset=2147483647 (local.get $p)))
      (func (export "loop") (param $p i32) (result i32)
        (local $acc i32)
        (loop $l
          (local.set $acc (i32.add (local.get $acc) (i32.load offset=65532 (i32.const 0))))
          (br_if $l (local.tee $p (i32.sub (local.get $p) (i32.const 1)))))
        (local.get $acc)))`);
    const pair = both(bytes);
    expect(expectSame(pair, 'far', [[0]])).toEqual([{ error: matching(/RuntimeError: memory access out of bounds/) }]);
    expect(expectSame(pair, 'near', [[0], [1]])).toEqual([{ value: 42 }, { value: 0 }]);
    expectSame(pair, 'wide', [[0]]);
    expect(expectSame(pair, 'loop', [[10]])).toEqual([{ value: 420 }]);
  });

  it('instrumentDeadlines - a module without type, import, global or export sections gets them', async () => {
    const empty = await compileWatSource('(module)');
    expect(empty.length).toBe(8);
    const dataOnly = await compileWatSource('(module (memory 1) (data (i32.const 0) "x"))');
    const startOnly = await compileWatSource('(module (global $g (mut i32) (i32.const 0)) (func $s (global.set $g (i32.const 1))) (start $s))');
    for (const bytes of [empty, dataOnly, startOnly]) {
      const result = instrumentDeadlines(bytes);
      expect(WebAssembly.validate(result.bytes)).toBe(true);
      expect(interfaceOf(result.bytes)).toEqual({ imports: [`${METER_MODULE}.${METER_IMPORT}:function`], exports: [`${FUEL_EXPORT}:global`] });
      const { fuel } = instantiateMetered(result.bytes);
      expect(fuel.value).toBeGreaterThan(0);
      fuel.value = 7; // the fuel is a mutable i32
      expect(fuel.value).toBe(7);
    }
  });

  it('instrumentDeadlines - exceptions thrown and caught inside loops (legacy exception handling, as Node 20 has it)', async () => {
    const bytes = await compileWatSource(
      `(module
        (tag $stop (param i32))
        (func $maybe (param $i i32) (if (i32.eq (local.get $i) (i32.const 37)) (then (throw $stop (local.get $i)))))
        (func (export "find") (param $n i32) (result i32)
          (local $i i32)
          (try (result i32)
            (do
              (loop $l
                (call $maybe (local.get $i))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
              (i32.const -1))
            (catch $stop))))`,
      'exceptions',
      { features: { exceptions: true } },
    );
    expect(instrumentDeadlines(bytes)).toMatchObject({ loopChecks: 1, entryChecks: 1 });
    expect(expectSame(both(bytes), 'find', [[10], [100]])).toEqual([{ value: -1 }, { value: 37 }]);
  });
});

// ----- modules the rewrite refuses -----

describe('instrument - refusals', () => {
  const runnable = (extra: string): string => `(module
    ${extra}
    (import "env" "return_result" (func $return_result (param i32 i32 i32)))
    (memory (export "memory") 1)
    (data (i32.const 16) "fine")
    (func (export "allocate") (param i32) (result i32) (i32.const 1024))
    (func (export "deallocate") (param i32 i32))
    (func (export "run_e") (param i32 i32 i32) (call $return_result (i32.const 16) (i32.const 4) (local.get 2))))`;

  it('instrumentDeadlines - refuses a module that already imports from __e2rx or exports __e2rx_fuel', async () => {
    const importsMeter = await compileWatSource(runnable('(import "__e2rx" "deadline" (func))'));
    const importsGlobal = await compileWatSource(runnable('(import "__e2rx" "other" (global i32))'));
    const exportsFuel = await compileWatSource('(module (global (export "__e2rx_fuel") i32 (i32.const 0)))');
    expect(() => instrumentDeadlines(importsMeter)).toThrow(new NotInstrumentable('the module already imports __e2rx.deadline'));
    expect(() => instrumentDeadlines(importsGlobal)).toThrow(NotInstrumentable);
    expect(() => instrumentDeadlines(exportsFuel)).toThrow(new NotInstrumentable('the module already exports __e2rx_fuel'));
    expect(() => instrumentDeadlines(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 10, 200]))).toThrow(NotInstrumentable);
  });

  it('prepareModule - a module the rewrite refuses runs as it is: metered false, with the reason', async () => {
    const bytes = await compileWatSource(runnable('(import "__e2rx" "deadline" (func))'));
    const { info, plan } = await prepareModule('refused', bytes, 16);
    expect(info).toMatchObject({ metered: false, meteringError: 'the module already imports __e2rx.deadline' });
    expect(plan.some((b) => b.kind === 'meter')).toBe(false);

    const inline = createRuntime({ capabilities: DEFAULT_CAPABILITIES, services: new FakeServices(), logger: captureLogger().logger, inline: true });
    expect(await inline.register('refused', bytes)).toMatchObject({ metered: false });
    const result = await inline.invoke('refused', makeRequest());
    expect(result.kind === 'output' && text(result.output)).toBe('fine');
    await inline.close();

    const log = captureLogger();
    const auto = createRuntime({ capabilities: DEFAULT_CAPABILITIES, services: new FakeServices(), logger: log.logger, workers: 1 });
    await auto.register('refused', bytes);
    expect(auto.stats().functions['refused']).toMatchObject({
      lane: 'workers',
      placement: 'its module cannot be instrumented with deadline checks (the module already imports __e2rx.deadline)',
    });
    // Losing the calling thread is worth a warning (level 40), with the reason.
    expect(log.lines.filter((line) => line.level === 40).map((line) => line.msg)).toContainEqual(
      'refused runs on the worker threads: its module cannot be instrumented with deadline checks (the module already imports __e2rx.deadline)',
    );
    const onWorker = await auto.invoke('refused', makeRequest());
    expect(onWorker.kind === 'output' && text(onWorker.output)).toBe('fine');
    await auto.close();
  });

  it('prepareModule - a module refused for its own __e2rx_fuel export keeps that global to itself', async () => {
    // run_e returns its two globals (one immutable, one it counts in) as little-endian u32s
    const source = (name: string): string => `(module
      (import "env" "return_result" (func $return_result (param i32 i32 i32)))
      (memory (export "memory") 1)
      (global $fixed i32 (i32.const 7))
      (global $count (mut i32) (i32.const 100))
      (export "${name}" (global $fixed))
      (export "counted" (global $count))
      (func (export "allocate") (param i32) (result i32) (i32.const 1024))
      (func (export "deallocate") (param i32 i32))
      (func (export "run_e") (param i32 i32 i32)
        (global.set $count (i32.add (global.get $count) (i32.const 1)))
        (i32.store (i32.const 16) (global.get $fixed))
        (i32.store (i32.const 20) (global.get $count))
        (call $return_result (i32.const 16) (i32.const 8) (local.get 2))))`;
    const runtime = createRuntime({ capabilities: DEFAULT_CAPABILITIES, services: new FakeServices(), logger: captureLogger().logger, inline: true });
    const info = await runtime.register('own-fuel', await compileWatSource(source(FUEL_EXPORT)));
    expect(info).toMatchObject({ metered: false, meteringError: 'the module already exports __e2rx_fuel' });
    const words = (output: Uint8Array): number[] => [...new Uint32Array(output.slice().buffer)];
    const first = await runtime.invoke('own-fuel', makeRequest());
    const second = await runtime.invoke('own-fuel', makeRequest());
    expect([first, second].map((r) => (r.kind === 'output' ? words(r.output) : r.kind))).toEqual([
      [7, 101],
      [7, 102],
    ]);
    await runtime.close();
  });
});
