import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2rxError } from '../../src/errors.js';
import { classify } from '../../src/runtime/instance.js';
import { GuestFault } from '../../src/runtime/memory.js';
import { WasiExit } from '../../src/runtime/wasi.js';
import { makeRequest, text } from './support/driver.js';
import { startRuntime, type TestRuntime } from './support/runtime.js';

const u32s = (bytes: Uint8Array): number[] => [...new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)];

describe('instance', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startRuntime({ fixtures: ['lifecycle', 'trap', 'oom', 'recursion', 'echo', 'counter'], limits: { maxMemoryMb: 8 } });
  });
  afterAll(() => t.runtime.close());

  it('create - calls _start then init once per instance, before the first allocate', async () => {
    for (let i = 0; i < 3; i += 1) {
      const result = await t.runtime.invoke('lifecycle', makeRequest());
      if (result.kind !== 'output') throw new Error(result.kind);
      expect(u32s(result.output)).toEqual([1, 1, 1, 1]);
    }
  });

  it('run - a trap fails that call only; the instance is replaced and the next call succeeds', async () => {
    const error = await t.runtime.invoke('trap', makeRequest()).catch((e: unknown) => e);
    expect(E2rxError.is(error, 'E2RX_WASM_TRAP')).toBe(true);
    expect((error as E2rxError).message).toBe('trap: wasm trap: unreachable');
    expect((error as E2rxError).details['fn']).toBe('trap');
    await t.runtime.invoke('counter', makeRequest());
    const second = await t.runtime.invoke('counter', makeRequest());
    if (second.kind !== 'output') throw new Error(second.kind);
    expect(u32s(second.output)).toEqual([2]);
  });

  it('run - running out of memory at the limit is E2RX_WASM_MEMORY; the next call succeeds', async () => {
    const error = await t.runtime.invoke('oom', makeRequest()).catch((e: unknown) => e);
    expect(E2rxError.is(error, 'E2RX_WASM_MEMORY')).toBe(true);
    expect((error as Error).message).toMatch(/at the memory limit \(8388608 of 8388608 bytes\)/);
    const again = await t.runtime.invoke('oom', makeRequest()).catch((e: unknown) => e);
    expect(E2rxError.is(again, 'E2RX_WASM_MEMORY')).toBe(true);
    const echo = await t.runtime.invoke('echo', makeRequest({ bodyText: 'still here' }));
    expect(echo.kind === 'output' && text(echo.output)).toBe('still here');
  });

  it('run - a stack overflow is a trap; the next call succeeds', async () => {
    const error = await t.runtime.invoke('recursion', makeRequest()).catch((e: unknown) => e);
    expect(E2rxError.is(error, 'E2RX_WASM_TRAP')).toBe(true);
    expect((error as Error).message).toBe('recursion: wasm trap: stack overflow');
    const echo = await t.runtime.invoke('echo', makeRequest({ bodyText: 'ok' }));
    expect(echo.kind).toBe('output');
  });

  it('run - the input is copied into the buffer allocate returns (memory grows to fit)', async () => {
    const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
    const result = await t.runtime.invoke('echo', makeRequest({ body: big }));
    if (result.kind !== 'output') throw new Error(result.kind);
    expect(Buffer.from(result.output).equals(Buffer.from(big))).toBe(true);
  });

  it('classify - tells exits, stack overflows, memory and plain traps apart', () => {
    expect(classify(new WasiExit(2), 0, 100)).toMatchObject({ code: 'E2RX_WASM_EXIT', details: { exitCode: 2 } });
    expect(classify(new RangeError('Maximum call stack size exceeded'), 0, 100)).toMatchObject({ code: 'E2RX_WASM_TRAP', message: 'wasm trap: stack overflow' });
    expect(classify(new WebAssembly.RuntimeError('unreachable'), 95, 100).code).toBe('E2RX_WASM_MEMORY');
    expect(classify(new WebAssembly.RuntimeError('unreachable'), 50, 100)).toMatchObject({ code: 'E2RX_WASM_TRAP', message: 'wasm trap: unreachable' });
    expect(classify(new GuestFault('out of bounds'), 0, 100).message).toBe('wasm trap in a host function: out of bounds');
    expect(classify(new RangeError('WebAssembly.Instance(): Out of memory: Cannot allocate Wasm memory'), 0, 100).code).toBe('E2RX_WASM_MEMORY');
  });
});

describe('instance - failures at start', () => {
  it('create - a trap in _start fails the call with phase "start"', async () => {
    const { compileWatSource } = await import('../support/wasm.js');
    const bytes = await compileWatSource(`(module (memory (export "memory") 1)
      (func (export "_start") unreachable)
      (func (export "allocate") (param i32) (result i32) (i32.const 0)) (func (export "run_e") (param i32 i32 i32)))`);
    const t = await startRuntime();
    await t.runtime.register('bad-start', bytes);
    const error = await t.runtime.invoke('bad-start', makeRequest()).catch((e: unknown) => e);
    expect(E2rxError.is(error, 'E2RX_WASM_TRAP')).toBe(true);
    expect((error as E2rxError).details).toMatchObject({ fn: 'bad-start', phase: 'start' });
    expect((error as Error).message).toMatch(/instantiation failed/);
    await t.runtime.close();
  });
});
